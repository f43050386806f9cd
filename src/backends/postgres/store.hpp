// The postgres backend's stores: kvps's own layout (chunked rows, see README.md) and
// KVPSButter's one-row-per-key table (layout=kvpsbutter).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "spi/backend.hpp"
#include "pg.hpp"

namespace kvps::pg {

struct Settings {
    ConnectInfo connect;
    std::string schema;  // "" = the connection's current schema
    std::string table = "kvps";
    bool create = true;
    bool kvpsbutter = false;  // layout=kvpsbutter
    uint32_t chunk_size = 1 << 20;
    size_t pool_size = 8;
    std::chrono::milliseconds pool_timeout{30'000};
};

std::unique_ptr<Backend> open_store(const Settings &settings);
std::unique_ptr<Backend> open_kvpsbutter_store(const Settings &settings);

// The bounds of a prefix listing: every key that starts with prefix is >= prefix and < the
// returned upper bound (by code points, which is byte order in UTF-8); "" when there is none
// (an empty prefix, or one made only of U+10FFFF).
std::string prefix_upper_bound(std::string_view prefix);

// kvps_list_with over a store's pages: page(lower, after, limit) returns up to limit entries
// with lower <= key < the prefix's upper bound and key > after (next set when there are more).
// Folding by a delimiter starts the next page past a folded prefix, so its keys are never read.
using PageFn = std::function<ListResult(std::string_view lower, std::string_view after, size_t limit)>;
ListResult list_by_level(const ListQuery &query, const PageFn &page);

// The schema of the table: the given one, else the connection's current schema.
std::string resolve_schema(Connection &conn, const std::string &schema);

}  // namespace kvps::pg
