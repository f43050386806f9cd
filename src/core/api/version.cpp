// The C API, sections Version, Status and errors, Buffers.
#include "kvps.h"

#include <cstdlib>

extern "C" {

KVPS_API const char *kvps_version(void) { return KVPS_VERSION_STRING; }
KVPS_API int kvps_version_number(void) { return KVPS_VERSION_NUMBER; }

KVPS_API const char *kvps_status_name(kvps_status status) {
    switch (status) {
    case KVPS_OK: return "KVPS_OK";
    case KVPS_NOT_FOUND: return "KVPS_NOT_FOUND";
    case KVPS_INVALID_ARGUMENT: return "KVPS_INVALID_ARGUMENT";
    case KVPS_INVALID_URL: return "KVPS_INVALID_URL";
    case KVPS_UNKNOWN_SCHEME: return "KVPS_UNKNOWN_SCHEME";
    case KVPS_INVALID_OPTION: return "KVPS_INVALID_OPTION";
    case KVPS_INVALID_KEY: return "KVPS_INVALID_KEY";
    case KVPS_PERMISSION_DENIED: return "KVPS_PERMISSION_DENIED";
    case KVPS_PRECONDITION_FAILED: return "KVPS_PRECONDITION_FAILED";
    case KVPS_IO: return "KVPS_IO";
    case KVPS_NETWORK: return "KVPS_NETWORK";
    case KVPS_TIMEOUT: return "KVPS_TIMEOUT";
    case KVPS_REMOTE: return "KVPS_REMOTE";
    case KVPS_UNSUPPORTED: return "KVPS_UNSUPPORTED";
    case KVPS_NO_MEMORY: return "KVPS_NO_MEMORY";
    case KVPS_INTERNAL: return "KVPS_INTERNAL";
    case KVPS_NO_SPACE: return "KVPS_NO_SPACE";
    case KVPS_CANCELLED: return "KVPS_CANCELLED";
    case KVPS_OUTCOME_UNKNOWN: return "KVPS_OUTCOME_UNKNOWN";
    case KVPS_CORRUPT: return "KVPS_CORRUPT";
    case KVPS_NO_CREDENTIALS: return "KVPS_NO_CREDENTIALS";
    }
    return "KVPS_UNKNOWN_STATUS";
}

KVPS_API void kvps_free(void *data) { std::free(data); }

}  // extern "C"
