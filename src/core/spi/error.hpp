// Errors inside the library: thrown as kvps::Error, turned into a status and this thread's
// message by the C shims (api.cpp). Messages name the culprit and never contain a secret.
#pragma once

#include "kvps.h"

#include <exception>
#include <string>
#include <string_view>

namespace kvps {

class Error : public std::exception {
public:
    Error(kvps_status status, std::string message)
        : status_(status), message_(std::move(message)) {}
    kvps_status status() const noexcept { return status_; }
    const char *what() const noexcept override { return message_.c_str(); }
    const std::string &message() const noexcept { return message_; }

private:
    kvps_status status_;
    std::string message_;
};

[[noreturn]] void fail(kvps_status status, std::string message);

// A key as it may appear in a message: quoted, control and non-ASCII-safe bytes escaped,
// shortened in the middle when long.
std::string quote(std::string_view text);

// Maps an errno value to the closest status (ENOENT -> NOT_FOUND, EACCES/EPERM ->
// PERMISSION_DENIED, ENOSPC/EDQUOT -> NO_SPACE, ENOMEM -> NO_MEMORY, else IO).
kvps_status status_from_errno(int err);

// Throws status_from_errno(err) with "what: strerror(err)".
[[noreturn]] void fail_errno(int err, std::string what);

}  // namespace kvps
