// Logging through the callback set with kvps_set_logger. Backends log one DEBUG line per
// request (never a secret); the core logs one INFO line per store operation.
#pragma once

#include "kvps.h"

#include <string_view>

namespace kvps {

// Cheap check to do before building a line.
bool log_enabled(kvps_log_level level) noexcept;
void log(kvps_log_level level, std::string_view line) noexcept;

}  // namespace kvps
