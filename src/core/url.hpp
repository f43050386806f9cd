// Parsing store URLs (core only; backends get the parsed Url from spi/url.hpp).
#pragma once

#include <string_view>

#include "spi/url.hpp"

namespace kvps {

// Throws kvps::Error(KVPS_INVALID_URL) naming what is wrong (bad percent escape, no scheme,
// bad port, control character...). The message never repeats a password.
Url parse_url(std::string_view text);

}  // namespace kvps
