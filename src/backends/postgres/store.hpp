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
using PageFn =
    std::function<ListResult(std::string_view lower, std::string_view after, size_t limit)>;
ListResult list_by_level(const ListQuery &query, const PageFn &page);

// Runs fn (a whole transaction) again when the server aborted it for a deadlock (40P01: two
// copies or renames in opposite directions) or a unique violation (23505: another writer
// created the target meanwhile; for create_only that is the condition failing). Nothing of an
// aborted transaction stays, so running it again is safe.
template <typename Fn>
auto retry_transaction(std::string_view to, const PutOptions &options, Fn &&fn) {
    for (int attempt = 0;; ++attempt) {
        try {
            return fn();
        } catch (const Error &e) {
            bool deadlock = e.message().find("(SQLSTATE 40P01)") != std::string::npos;
            bool created = e.message().find("(SQLSTATE 23505)") != std::string::npos;
            if (e.status() != KVPS_REMOTE || (!deadlock && !created)) throw;
            if (created && options.create_only)
                fail_condition(to, options, "the key was created meanwhile");
            if (attempt >= 3) throw;
        }
    }
}

// The schema of the table: the given one, else the connection's current schema.
std::string resolve_schema(Connection &conn, const std::string &schema);

}  // namespace kvps::pg
