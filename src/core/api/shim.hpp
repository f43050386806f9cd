// What the C shims in src/core/api/ share: the handles behind the opaque C types, and the
// guard that turns every exception into a status plus this thread's message. Core only.
#pragma once

#include "kvps.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry.hpp"
#include "spi/backend.hpp"
#include "spi/error.hpp"

// A store lives until kvps_close and its last reader and writer are gone (as with
// sqlite3_close_v2): each of them holds a reference.
struct kvps_store {
    std::atomic<size_t> refs{1};
    std::unique_ptr<kvps::Backend> backend;
    const kvps::RegisteredBackend *registered = nullptr;
    std::string url;               // redacted, for kvps_store_url
    std::string store_id;          // what a cursor must carry to be accepted by this store
    bool verify_checksums = true;  // the store option every backend accepts (see kvps.h)
};

namespace kvps::shim {

// Drops one reference; the last one frees the store.
void release(kvps_store *store) noexcept;

// One reference to a store, held by a reader or a writer (declared first in them, so it is
// dropped after the backend's reader or writer is gone).
class StoreRef {
public:
    explicit StoreRef(kvps_store *store) noexcept : store_(store) {
        store_->refs.fetch_add(1, std::memory_order_relaxed);
    }
    StoreRef(const StoreRef &) = delete;
    StoreRef &operator=(const StoreRef &) = delete;
    ~StoreRef() { release(store_); }
    kvps_store *operator->() const noexcept { return store_; }
    kvps_store *get() const noexcept { return store_; }

private:
    kvps_store *store_;
};

}  // namespace kvps::shim

struct kvps_reader {
    kvps::shim::StoreRef store;
    std::string key;
    std::unique_ptr<kvps::Reader> reader;  // nullptr after a seek it could not follow
    uint64_t position;                     // absolute offset in the value
    uint64_t range_end;                    // absolute, clamped
    uint64_t value_size;
    std::string etag;  // of the version being read; "" when the backend cannot tell
    // Checksum verification of a reader reading the whole value in order: expected is the
    // stored CRC32C, running the CRC32C of the bytes read so far; off after a seek.
    std::optional<uint32_t> expected;
    uint32_t running = 0;
};

struct kvps_writer {
    kvps::shim::StoreRef store;
    std::unique_ptr<kvps::Writer> writer;
    std::string key;
    bool failed = false;
    uint64_t written = 0;      // for the log line
    char *etag_out = nullptr;  // kvps_put_options.etag_out of kvps_writer_open_with
};

// One reference to a block of bytes (kvps_blob_share makes another handle, not a copy).
struct kvps_blob {
    kvps::SharedBytes bytes;
};

struct kvps_list_page {
    std::vector<kvps::Entry> entries;
    std::vector<kvps_entry> views;
    std::string cursor;
    bool complete = true;
    std::vector<std::string> prefixes;  // common prefixes of a delimiter listing
};

namespace kvps::shim {

// Sets this thread's kvps_last_error() text (never throws).
void set_error(std::string_view message) noexcept;
// Sets this thread's per-item messages of its last batch call ("" for items that succeeded).
void set_item_errors(std::vector<std::string> messages) noexcept;
// Called at the start of every call that returns a status: forgets the last batch's items.
void forget_item_errors() noexcept;

// Throws KVPS_INVALID_ARGUMENT "<name> is NULL".
void require(const void *pointer, const char *name);

// Runs fn, turning exceptions into a status and this thread's message. Every call that
// returns a status goes through here, so every one sets kvps_last_error().
template <typename Fn>
kvps_status guard(Fn &&fn) noexcept {
    // Cleared first, so a success or a not-found result leaves no stale message behind, while
    // a failure (even one returned as KVPS_NOT_FOUND, e.g. a batch item's) keeps its own.
    set_error("");
    forget_item_errors();
    try {
        return fn();
    } catch (const kvps::Error &e) {
        set_error(e.message());
        return e.status();
    } catch (const std::bad_alloc &) {
        set_error("out of memory");
        return KVPS_NO_MEMORY;
    } catch (const std::exception &e) {
        set_error(std::string("internal error: ") + e.what());
        return KVPS_INTERNAL;
    } catch (...) {
        set_error("internal error: unknown exception");
        return KVPS_INTERNAL;
    }
}

// One INFO line per operation, when logging is on: op, key, status, amount, duration.
class OpLog {
public:
    OpLog(const char *op, std::string_view key);
    kvps_status done(kvps_status status, uint64_t amount, const char *unit);

private:
    const char *op_;
    std::string_view key_;
    bool on_ = false;
    std::chrono::steady_clock::time_point start_;
};

// Runs one backend call with its log line. fn(amount) returns the status and sets the bytes
// (or keys) it moved.
template <typename Fn>
kvps_status logged(const char *op, std::string_view key, Fn &&fn, const char *unit = "bytes") {
    OpLog log(op, key);
    uint64_t amount = 0;
    try {
        kvps_status status = fn(amount);
        return log.done(status, amount, unit);
    } catch (const kvps::Error &e) {
        log.done(e.status(), amount, unit);
        throw;
    }
}

// ---- Values helpers shared by values.cpp and writes.cpp
// Gives a fetched value to the C caller: KVPS_NOT_FOUND when there is none.
kvps_status hand_over(std::optional<kvps::Bytes> value, void **data, size_t *size,
                      uint64_t &amount);
// Throws KVPS_INVALID_ARGUMENT unless out->version is one this library knows (1 or 2).
void check_stat_version(const kvps_stat_info *out);
// Fills the fields of out's version.
void fill_stat(const kvps::Metadata &meta, kvps_stat_info *out);
// Fills the version 2 fields (content type, metadata) of out.
void fill_properties(const kvps::Properties &properties, kvps_stat_info *out);
// Copies an etag into a KVPS_ETAG_MAX buffer; out may be NULL.
void copy_etag(const std::string &etag, char *out);

}  // namespace kvps::shim
