// How the tool fails: every error becomes a Failure carrying the exit code and the message for
// standard error, thrown up to main.
#pragma once

#include <string>

#include "kvps.h"

namespace cli {

// The exit codes documented in --help.
enum ExitCode : int {
    EXIT_OK = 0,
    EXIT_NOT_FOUND = 1,
    EXIT_USAGE = 2,
    EXIT_STORAGE = 3,
    EXIT_INTERRUPTED = 130,  // 128 + SIGINT; after cleanup the signal itself is re-raised
};

struct Failure {
    int code;
    std::string message;  // printed on standard error; "" prints nothing
};

// The exit code for a library status: 1 not found, 2 bad input, 3 storage failure.
int exit_code_for(kvps_status status);

// Throws a usage failure (exit 2).
[[noreturn]] void usage_error(const std::string &message);

// Throws the failure for a status a kvps call just returned on this thread, with the library's
// message (its status name when the library set none), prefixed by context when given.
[[noreturn]] void library_error(kvps_status status, const std::string &context = "");

// library_error for an operation that names no key (open, list, delete): there
// KVPS_NOT_FOUND means the store itself is missing, a store error (exit 3).
[[noreturn]] void store_error(kvps_status status, const std::string &context = "");

// Throws "not found: KEY" with exit code 1.
[[noreturn]] void not_found(const std::string &key);

}  // namespace cli
