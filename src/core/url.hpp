// Store URLs: scheme://[userinfo@]host[:port]/path?name=value&...
// Parsed once by the core; backends read the parts they need from Config::url().
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvps {

struct Url {
    std::string scheme;    // lowercased
    std::string user;      // percent-decoded; "" when absent
    std::string password;  // percent-decoded; never put in a message
    bool has_password = false;
    std::string host;      // percent-decoded, as written (case kept)
    std::string port;      // digits, "" when absent
    std::string path;      // percent-decoded; "" or starting with '/'
    std::string raw_path;  // as written
    std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

    // "host" or "host:port".
    std::string authority() const { return port.empty() ? host : host + ":" + port; }
};

// Throws kvps::Error(KVPS_INVALID_URL) naming what is wrong (bad percent escape, no scheme,
// bad port, control character...). The message never repeats a password.
Url parse_url(std::string_view text);

// The URL text with what may be its user info ("user:password@") replaced by "***", for any
// message that must show a URL.
std::string redact_userinfo(std::string_view text);

// Percent-decoding; throws KVPS_INVALID_URL on a malformed escape. '+' is kept as is.
std::string percent_decode(std::string_view text, std::string_view what);

// Percent-encodes everything but unreserved characters (A-Z a-z 0-9 - . _ ~) and `keep`.
std::string percent_encode(std::string_view text, std::string_view keep = "");

}  // namespace kvps
