// The C API, section Values (and Streams): conditional writes, content type and metadata,
// copy and rename (kvps_put_options).
#include "api/shim.hpp"
#include "spi/checksum.hpp"

#include <strings.h>

#include <algorithm>
#include <cstring>

#include "keys.hpp"
#include "spi/put_options.hpp"

using namespace kvps::shim;

namespace kvps::shim {

// Version 2 fields of kvps_stat_info: content type and metadata pairs "name\0value\0".
void fill_properties(const kvps::Properties &properties, kvps_stat_info *out) {
    std::string_view type =
        properties.content_type.empty() ? kvps::kDefaultContentType : properties.content_type;
    size_t n = std::min(type.size(), sizeof out->content_type - 1);
    std::memcpy(out->content_type, type.data(), n);
    out->content_type[n] = '\0';
    size_t at = 0, count = 0;
    for (const auto &[name, value] : properties.metadata) {
        // Values read from a server that allows more than S3's limit may not fit: kept in order
        // as far as they do.
        if (at + name.size() + value.size() + 2 > sizeof out->metadata) break;
        std::memcpy(out->metadata + at, name.c_str(), name.size() + 1);
        at += name.size() + 1;
        std::memcpy(out->metadata + at, value.c_str(), value.size() + 1);
        at += value.size() + 1;
        ++count;
    }
    out->metadata_count = count;
}

void check_stat_version(const kvps_stat_info *out) {
    if (out->version != 1 && out->version != KVPS_STAT_VERSION)
        kvps::fail(KVPS_INVALID_ARGUMENT, "kvps_stat_info.version is " +
                                              std::to_string(out->version) +
                                              "; initialize it with KVPS_STAT_INIT");
}

void copy_etag(const std::string &etag, char *out) {
    if (!out) return;
    size_t n = std::min(etag.size(), size_t{KVPS_ETAG_MAX - 1});
    std::memcpy(out, etag.data(), n);
    out[n] = '\0';
}

}  // namespace kvps::shim

namespace {

// kvps_copy and kvps_rename: check both keys, and settle a key onto itself here (nothing to
// move; only the condition, and new properties if any, matter).
kvps_status copy_or_rename(kvps_store *store, const char *from, const char *to,
                           const kvps_put_options *options, bool rename) {
    require(store, "store");
    std::string_view f = kvps::check_key(from);
    std::string_view t = kvps::check_key(to);
    kvps::PutOptions opts = kvps::put_options_from(options);
    return logged(rename ? "rename" : "copy", f, [&](uint64_t &amount) {
        std::string etag;
        if (f == t && !opts.sets_properties()) {
            std::optional<kvps::Metadata> meta = store->backend->stat(f);
            if (!meta)
                kvps::fail(KVPS_NOT_FOUND, std::string("cannot ") + (rename ? "rename" : "copy") +
                                               " key " + kvps::quote(f) + ": it does not exist");
            kvps::check_condition(t, opts, &meta->etag);
            etag = meta->etag;
            amount = meta->size;
        } else if (f == t || !rename) {
            etag = store->backend->copy(f, t, opts);
        } else {
            etag = store->backend->rename(f, t, opts);
        }
        copy_etag(etag, options ? options->etag_out : nullptr);
        return KVPS_OK;
    });
}

}  // namespace

extern "C" {

/* ---- conditional writes, properties, copy and rename */

KVPS_API kvps_status kvps_put_with(kvps_store *store, const char *key, const void *data,
                                   size_t size, const kvps_put_options *options) {
    if (!options) return kvps_put(store, key, data, size);
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        if (size) require(data, "data");
        kvps::PutOptions opts = kvps::put_options_from(options);
        return logged("put_with", k, [&](uint64_t &amount) {
            amount = size;
            copy_etag(store->backend->put_with(k, data, size, opts), options->etag_out);
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_get_with(kvps_store *store, const char *key, void **data, size_t *size,
                                   kvps_stat_info *info) {
    if (!info) return kvps_get(store, key, data, size);
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(data, "data");
        require(size, "size");
        check_stat_version(info);
        return logged("get_with", k, [&](uint64_t &amount) {
            kvps::Metadata meta;
            std::optional<kvps::Bytes> value = store->backend->get_with(k, meta);
            if (!value) return KVPS_NOT_FOUND;
            if (meta.crc32c && store->verify_checksums)
                kvps::check_crc32c(k, *meta.crc32c, kvps::crc32c(value->data(), value->size()));
            meta.size = value->size();
            fill_stat(meta, info);
            return hand_over(std::move(value), data, size, amount);
        });
    });
}

KVPS_API kvps_status kvps_writer_open_with(kvps_store *store, const char *key,
                                           const kvps_put_options *options, kvps_writer **out) {
    if (!options) return kvps_writer_open(store, key, out);
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        kvps::PutOptions opts = kvps::put_options_from(options);
        auto writer = store->backend->open_writer_with(k, opts);
        *out = new kvps_writer{StoreRef(store),  std::move(writer), std::string(k), false, 0,
                               options->etag_out};
        return KVPS_OK;
    });
}

KVPS_API kvps_status kvps_copy(kvps_store *store, const char *from, const char *to,
                               const kvps_put_options *options) {
    return guard([&] { return copy_or_rename(store, from, to, options, false); });
}

KVPS_API kvps_status kvps_rename(kvps_store *store, const char *from, const char *to,
                                 const kvps_put_options *options) {
    return guard([&] { return copy_or_rename(store, from, to, options, true); });
}

KVPS_API kvps_status kvps_stat_metadata_at(const kvps_stat_info *info, size_t i, const char **name,
                                           const char **value) {
    return guard([&] {
        require(info, "info");
        require(name, "name");
        require(value, "value");
        if (info->version < 2)
            kvps::fail(KVPS_INVALID_ARGUMENT, "kvps_stat_info.version is " +
                                                  std::to_string(info->version) +
                                                  ": metadata needs version 2 (KVPS_STAT_INIT)");
        if (i >= info->metadata_count || info->metadata_count > sizeof info->metadata / 3)
            kvps::fail(KVPS_INVALID_ARGUMENT, "metadata index " + std::to_string(i) +
                                                  " is out of range (" +
                                                  std::to_string(info->metadata_count) + " pairs)");
        const char *p = info->metadata;
        const char *end = info->metadata + sizeof info->metadata;
        auto next = [&](const char *at) {
            const void *nul = std::memchr(at, '\0', static_cast<size_t>(end - at));
            if (!nul)
                kvps::fail(KVPS_INVALID_ARGUMENT, "kvps_stat_info.metadata is not NUL-terminated");
            return static_cast<const char *>(nul) + 1;
        };
        for (size_t j = 0; j < i; ++j) p = next(next(p));
        const char *v = next(p);
        next(v);
        *name = p;
        *value = v;
        return KVPS_OK;
    });
}

KVPS_API const char *kvps_stat_metadata_get(const kvps_stat_info *info, const char *name) {
    if (!info || !name || info->version < 2) return nullptr;
    for (size_t i = 0; i < info->metadata_count; ++i) {
        const char *n = nullptr, *v = nullptr;
        if (kvps_stat_metadata_at(info, i, &n, &v) != KVPS_OK) return nullptr;
        if (strcasecmp(n, name) == 0) return v;
    }
    return nullptr;
}

}  // extern "C"
