// The C API, section Values.
#include "api/shim.hpp"

#include <algorithm>
#include <cstring>
#include "keys.hpp"
#include "spi/checksum.hpp"

using namespace kvps::shim;

namespace kvps::shim {

// The whole value, checked against the checksum stored with it (unless the store opted out).
std::optional<kvps::Bytes> get_verified(kvps_store *store, std::string_view key) {
    std::optional<uint32_t> expected;
    std::optional<kvps::Bytes> value = store->backend->get_checked(key, expected);
    if (value && expected && store->verify_checksums)
        kvps::check_crc32c(key, *expected, kvps::crc32c(value->data(), value->size()));
    return value;
}

// Gives a fetched value to the C caller: KVPS_NOT_FOUND when there is none.
kvps_status hand_over(std::optional<kvps::Bytes> value, void **data, size_t *size,
                      uint64_t &amount) {
    if (!value) return KVPS_NOT_FOUND;
    amount = *size = value->size();
    *data = value->release();
    return KVPS_OK;
}

void fill_stat(const kvps::Metadata &meta, kvps_stat_info *out) {
    out->size = meta.size;
    out->mtime_ns = meta.mtime_ns;
    size_t n = std::min(meta.etag.size(), sizeof out->etag - 1);
    std::memcpy(out->etag, meta.etag.data(), n);
    out->etag[n] = '\0';
    if (out->version >= 2) fill_properties(meta.properties, out);
}

}  // namespace kvps::shim

extern "C" {

KVPS_API kvps_status kvps_put(kvps_store *store, const char *key, const void *data, size_t size) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        if (size) require(data, "data");
        return logged("put", k, [&](uint64_t &amount) {
            amount = size;
            store->backend->put(k, data, size);
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_get(kvps_store *store, const char *key, void **data, size_t *size) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(data, "data");
        require(size, "size");
        return logged("get", k, [&](uint64_t &amount) {
            return hand_over(get_verified(store, k), data, size, amount);
        });
    });
}

KVPS_API kvps_status kvps_get_range(kvps_store *store, const char *key, uint64_t offset,
                                    uint64_t length, void **data, size_t *size) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(data, "data");
        require(size, "size");
        return logged("get_range", k, [&](uint64_t &amount) {
            if (offset == 0 && length == KVPS_TO_END)
                return hand_over(get_verified(store, k), data, size, amount);
            return hand_over(store->backend->get_range(k, offset, length), data, size, amount);
        });
    });
}

KVPS_API kvps_status kvps_stat(kvps_store *store, const char *key, kvps_stat_info *out) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        check_stat_version(out);
        return logged("stat", k, [&](uint64_t &amount) {
            std::optional<kvps::Metadata> meta = store->backend->stat(k);
            if (!meta) return KVPS_NOT_FOUND;
            fill_stat(*meta, out);
            amount = meta->size;
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_delete(kvps_store *store, const char *key) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        return logged("delete", k, [&](uint64_t &) {
            store->backend->remove(k);
            return KVPS_OK;
        });
    });
}

/* ---- reads into the caller's memory, presigned URLs */

KVPS_API kvps_status kvps_get_into(kvps_store *store, const char *key, uint64_t offset,
                                   void *buffer, size_t capacity, size_t *size) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        if (capacity) require(buffer, "buffer");
        require(size, "size");
        return logged("get_into", k, [&](uint64_t &amount) {
            std::optional<uint32_t> expected;
            std::optional<uint64_t> got =
                store->backend->get_into(k, offset, buffer, capacity, expected);
            if (!got) return KVPS_NOT_FOUND;
            if (*got > capacity) {
                *size = static_cast<size_t>(std::min<uint64_t>(*got, SIZE_MAX));
                kvps::fail(KVPS_INVALID_ARGUMENT,
                           "buffer of " + std::to_string(capacity) +
                               " bytes is too small for key " + kvps::quote(k) + ": " +
                               std::to_string(*got) + " bytes from offset " +
                               std::to_string(offset) +
                               " (nothing was copied; the size needed is in *size)");
            }
            if (offset == 0 && expected && store->verify_checksums)
                kvps::check_crc32c(k, *expected, kvps::crc32c(buffer, static_cast<size_t>(*got)));
            amount = *size = static_cast<size_t>(*got);
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_presign(kvps_store *store, const char *key, const char *method,
                                  uint64_t expires_seconds, char **url) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(method, "method");
        require(url, "url");
        std::string_view m = method;
        if (m != "GET" && m != "PUT")
            kvps::fail(KVPS_INVALID_ARGUMENT,
                       "method " + kvps::quote(m) + " cannot be presigned; use \"GET\" or \"PUT\"");
        if (expires_seconds < 1 || expires_seconds > 604800)
            kvps::fail(KVPS_INVALID_ARGUMENT,
                       "expires_seconds is " + std::to_string(expires_seconds) +
                           "; a presigned URL lasts from 1 second to 7 days (604800)");
        return logged("presign", k, [&](uint64_t &) {
            std::string text = store->backend->presign(k, m, expires_seconds);
            *url = kvps::Bytes::copy(text.data(), text.size()).release();
            return KVPS_OK;
        });
    });
}

}  // extern "C"
