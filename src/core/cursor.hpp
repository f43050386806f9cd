// List cursors: the backend's resume token wrapped with the store and prefix it belongs to and
// a checksum, so a garbled or foreign cursor is refused (KVPS_INVALID_ARGUMENT) instead of
// silently listing the wrong thing.
#pragma once

#include <string>
#include <string_view>

namespace kvps {

std::string make_cursor(std::string_view store_id, std::string_view prefix, std::string_view token);

// Returns the token; throws KVPS_INVALID_ARGUMENT naming what is wrong.
std::string read_cursor(std::string_view cursor, std::string_view store_id,
                        std::string_view prefix);

}  // namespace kvps
