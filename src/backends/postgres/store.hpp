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

// What both layouts share (table.cpp): the pool, stat, remove, listing, and copy and rename as
// one retried transaction each. A layout prepares these statements, in these shapes (an etag is
// text in both: the version's digits, or the row's xmin):
//   stat_            $1 key -> size, mtime, etag, content_type, metadata
//   delete_          $1 key
//   delete_match_    $1 key, $2 etag -> a row when it deleted one
//   list_open_       $1 lower, $2 after, $3 limit -> key, size, mtime, etag (in byte order)
//   list_bounded_    the same with $3 an upper bound, $4 the limit
//   source_share_    $1 key -> the layout's source row, content_type and metadata at columns 3
//   source_update_   and 4 (FOR SHARE for a copy, FOR UPDATE for a rename)
// and writes the layout's own part of a copy and a rename.
class TableStore : public Backend {
public:
    explicit TableStore(const Settings &settings);

    void put(std::string_view key, const void *data, size_t size) override {
        put_with(key, data, size, PutOptions());
    }
    std::optional<Metadata> stat(std::string_view key) override;
    void remove(std::string_view key) override;
    ListResult list(std::string_view prefix, std::string_view token, size_t limit) override;
    // Start after, and folding by a delimiter: a folded prefix's keys are skipped by the index.
    ListResult list_with(const ListQuery &query) override;
    // In one transaction: the source row is locked (FOR SHARE) and copy_row writes the target
    // under the condition.
    std::string copy(std::string_view from, std::string_view to,
                     const PutOptions &options) override;
    // Atomic, in one transaction: the source row is locked (FOR UPDATE), the target's old value
    // goes (under the condition), and move_row gives the source row the target's key.
    std::string rename(std::string_view from, std::string_view to,
                       const PutOptions &options) override;

    // Throws KVPS_PRECONDITION_FAILED for key, saying why from its current row.
    [[noreturn]] void condition_failed(Connection &conn, std::string_view key,
                                       const PutOptions &options);
    // The failure for a version that vanished while being read.
    [[noreturn]] void vanished(std::string_view key);

protected:
    // The layout's part of a copy: writes `to` from the locked source row; the etag written.
    virtual std::string copy_row(Connection &conn, const Result &source, std::string_view from,
                                 std::string_view to, const PutOptions &options,
                                 const Properties &properties) = 0;
    // The layout's part of a rename, the target gone: the source row takes the key `to`, with
    // properties; the etag.
    virtual std::string move_row(Connection &conn, std::string_view from, std::string_view to,
                                 const Properties &properties) = 0;

    Settings settings_;
    Pool pool_;
    Statement stat_, delete_, delete_match_, list_open_, list_bounded_, source_share_,
        source_update_;

private:
    // Up to limit entries with lower <= key < upper ("" = none) and key > after.
    ListResult page(std::string_view lower, std::string_view after, std::string_view upper,
                    size_t limit);
    // fn(conn) in a transaction, retried as retry_transaction says.
    std::string transaction(std::string_view to, const PutOptions &options,
                            const std::function<std::string(Connection &)> &fn);
};

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
