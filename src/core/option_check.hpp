// The typed option engine's checking side (core only): options given to kvps_open are
// checked here against the backend's table (spi/options.hpp) before the backend sees them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spi/options.hpp"

namespace kvps {

// Checks options given in the URL query and outside it (which win) against a backend's table:
// unknown names (with the nearest valid one suggested), duplicates in the URL, values of the
// wrong type, missing required options: each is KVPS_INVALID_OPTION naming the option. Returns
// lowercase name -> value as given. Secret values are never repeated in a message.
std::map<std::string, std::string> check_options(
    std::string_view scheme, const std::vector<OptionSpec> &specs,
    const std::vector<std::pair<std::string, std::string>> &url_options,
    const std::vector<std::pair<std::string, std::string>> &extra_options);

}  // namespace kvps
