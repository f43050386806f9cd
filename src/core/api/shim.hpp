// What the C shims in src/core/api/ share: the handles behind the opaque C types, and the
// guard that turns every exception into a status plus this thread's message. Core only.
#pragma once

#include "kvps.h"

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

struct kvps_store {
    std::unique_ptr<kvps::Backend> backend;
    const kvps::RegisteredBackend *registered = nullptr;
    std::string url;       // redacted, for kvps_store_url
    std::string cursor_id; // what a cursor must carry to be accepted by this store
    bool verify_checksums = true;  // the store option every backend accepts (see kvps.h)
};

struct kvps_reader {
    kvps_store *store;
    std::string key;
    std::unique_ptr<kvps::Reader> reader;
    uint64_t position;   // absolute offset in the value
    uint64_t range_end;  // absolute, clamped
    uint64_t value_size;
    std::string etag;    // of the version being read; "" when the backend cannot tell
    // Checksum verification of a reader reading the whole value in order: expected is the
    // stored CRC32C, running the CRC32C of the bytes read so far; off after a seek.
    std::optional<uint32_t> expected;
    uint32_t running = 0;
};

struct kvps_writer {
    std::unique_ptr<kvps::Writer> writer;
    std::string key;
    bool failed = false;
    uint64_t written = 0;  // for the log line
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

// Throws KVPS_INVALID_ARGUMENT "<name> is NULL".
void require(const void *pointer, const char *name);

// Runs fn, turning exceptions into a status and this thread's message.
template <typename Fn>
kvps_status guard(Fn &&fn) noexcept {
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

}  // namespace kvps::shim
