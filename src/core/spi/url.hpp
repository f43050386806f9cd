// A store URL as the core parsed it: scheme://[userinfo@]host[:port]/path?name=value&...
// Backends read the parts they need from Config::url(); parsing is the core's (url.hpp).
#pragma once

#include <string>
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

}  // namespace kvps
