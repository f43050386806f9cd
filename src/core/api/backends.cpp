// The C API, section Backends and options.
#include "api/shim.hpp"

using namespace kvps::shim;

extern "C" {

KVPS_API const char *kvps_option_type_name(kvps_option_type type) {
    switch (type) {
    case KVPS_OPTION_STRING: return "string";
    case KVPS_OPTION_BOOL: return "bool";
    case KVPS_OPTION_INTEGER: return "integer";
    case KVPS_OPTION_SIZE: return "size";
    case KVPS_OPTION_DURATION: return "duration";
    case KVPS_OPTION_URL: return "url";
    case KVPS_OPTION_SECRET: return "secret";
    }
    return "unknown";
}

KVPS_API size_t kvps_backend_count(void) { return kvps::backend_count(); }

KVPS_API const kvps_backend_info *kvps_backend_at(size_t i) {
    const kvps::RegisteredBackend *b = kvps::backend_at(i);
    return b ? &b->info : nullptr;
}

KVPS_API const kvps_backend_info *kvps_backend_find(const char *scheme) {
    if (!scheme) return nullptr;
    const kvps::RegisteredBackend *b = kvps::find_backend(scheme);
    return b ? &b->info : nullptr;
}

KVPS_API const kvps_option_info *kvps_backend_option(const kvps_backend_info *backend, size_t i) {
    if (!backend || i >= backend->option_count) return nullptr;
    // Look the backend up again so a pointer that is not ours is refused, not dereferenced.
    const kvps::RegisteredBackend *b = kvps::find_backend(backend->schemes[0]);
    return b && &b->info == backend ? &b->option_infos[i] : nullptr;
}

}  // extern "C"
