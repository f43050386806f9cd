// The C API, section Values.
#include "api/shim.hpp"

#include <algorithm>
#include <cstring>
#include "keys.hpp"

using namespace kvps::shim;

namespace kvps::shim {

kvps_status hand_over(std::optional<kvps::Bytes> value, void **data, size_t *size, uint64_t &amount) {
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
            return hand_over(store->backend->get(k), data, size, amount);
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

}  // extern "C"
