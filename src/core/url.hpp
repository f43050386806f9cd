// Parsing store URLs (core only; backends get the parsed Url from spi/url.hpp).
#pragma once

#include <string>
#include <string_view>

#include "spi/url.hpp"

namespace kvps {

// Throws kvps::Error(KVPS_INVALID_URL) naming what is wrong (bad percent escape, no scheme,
// bad port, control character...). The message never repeats a password.
Url parse_url(std::string_view text);

// The URL text with what may be its user info ("user:password@") replaced by "***", for any
// message that must show a URL.
std::string redact_userinfo(std::string_view text);

}  // namespace kvps
