#include "errors.hpp"

namespace cli {

int exit_code_for(kvps_status status) {
    switch (status) {
    case KVPS_OK: return EXIT_OK;
    case KVPS_NOT_FOUND: return EXIT_NOT_FOUND;
    case KVPS_INVALID_ARGUMENT:
    case KVPS_INVALID_URL:
    case KVPS_UNKNOWN_SCHEME:
    case KVPS_INVALID_OPTION:
    case KVPS_INVALID_KEY: return EXIT_USAGE;
    default: return EXIT_STORAGE;
    }
}

void usage_error(const std::string &message) {
    throw Failure{EXIT_USAGE, message + " (see 'kvps --help')"};
}

void library_error(kvps_status status, const std::string &context) {
    std::string message = kvps_last_error();
    if (message.empty()) message = kvps_status_name(status);
    throw Failure{exit_code_for(status), context + message};
}

void store_error(kvps_status status, const std::string &context) {
    try {
        library_error(status, context);
    } catch (Failure &failure) {
        if (status == KVPS_NOT_FOUND) failure.code = EXIT_STORAGE;
        throw;
    }
}

void not_found(const std::string &key) { throw Failure{EXIT_NOT_FOUND, "not found: " + key}; }

}  // namespace cli
