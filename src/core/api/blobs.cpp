// The C API, section Blobs: values without a copy (the stream calls are in streams.cpp).
#include "api/shim.hpp"

#include "keys.hpp"
#include "spi/checksum.hpp"

using namespace kvps::shim;

namespace {

// The deleter of a block kvps_blob_wrap made: calls the caller's release once the last
// reference is gone. It is armed only once the block is built, so a wrap that fails (out of
// memory) releases nothing, as kvps.h promises.
struct WrapRelease {
    kvps_release_fn release;
    void *user;
    const char *data;
    size_t size;
    bool armed = false;
    void operator()(const char *) const noexcept {
        if (armed && release) release(user);
    }
};

}  // namespace

extern "C" {

KVPS_API kvps_status kvps_blob_wrap(const void *data, size_t size, kvps_release_fn release,
                                    void *user, kvps_blob **out) {
    return guard([&] {
        require(out, "out");
        if (size) require(data, "data");
        auto blob = std::make_unique<kvps_blob>();
        const char *bytes = static_cast<const char *>(data);
        std::shared_ptr<const char> owner(bytes, WrapRelease{release, user, bytes, size});
        std::get_deleter<WrapRelease>(owner)->armed = true;
        blob->bytes = {std::move(owner), size};
        *out = blob.release();
        return KVPS_OK;
    });
}

KVPS_API const void *kvps_blob_data(const kvps_blob *blob) {
    return blob ? blob->bytes.data() : "";
}

KVPS_API size_t kvps_blob_size(const kvps_blob *blob) { return blob ? blob->bytes.size : 0; }

KVPS_API kvps_blob *kvps_blob_share(const kvps_blob *blob) {
    if (!blob) return nullptr;
    return new (std::nothrow) kvps_blob{blob->bytes};
}

KVPS_API void kvps_blob_free(kvps_blob *blob) { delete blob; }

KVPS_API void *kvps_blob_user(const kvps_blob *blob, kvps_release_fn release) {
    if (!blob) return nullptr;
    const WrapRelease *wrap = std::get_deleter<WrapRelease>(blob->bytes.owner);
    if (!wrap || wrap->release != release || blob->bytes.owner.get() != wrap->data ||
        blob->bytes.size != wrap->size)
        return nullptr;
    return wrap->user;
}

KVPS_API kvps_status kvps_put_blob(kvps_store *store, const char *key, const kvps_blob *blob) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(blob, "blob");
        return logged("put", k, [&](uint64_t &amount) {
            amount = blob->bytes.size;
            store->backend->put_shared(k, blob->bytes);
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_get_blob(kvps_store *store, const char *key, kvps_blob **out) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        return logged("get", k, [&](uint64_t &amount) {
            std::optional<uint32_t> expected;
            std::optional<kvps::SharedBytes> value = store->backend->get_shared(k, expected);
            if (!value) return KVPS_NOT_FOUND;
            if (expected && store->verify_checksums)
                kvps::check_crc32c(k, *expected, kvps::crc32c(value->data(), value->size));
            amount = value->size;
            *out = new kvps_blob{std::move(*value)};
            return KVPS_OK;
        });
    });
}

}  // extern "C"
