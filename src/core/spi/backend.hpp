// The internal backend interface: what a folder under src/backends/ implements.
// C++20, no ABI promise. The C shims in src/core/api/ validate every input (keys, options,
// ranges, cursors) before a backend sees it, catch every exception, and supply generic
// fallbacks (streams, ranges, batches) for what a backend leaves out.
//
// A backend:
//   - implements put/get/stat/remove (required) and whatever optional operation it does better
//     than the fallback, and says so in its capability bits;
//   - is used from many threads at once: it must be thread-safe;
//   - reports failures by throwing kvps::Error (see kvps::fail) with a message naming the culprit
//     and never a secret; "not found" is a result (nullopt / nullptr), not an exception;
//   - registers itself with a static kvps::Registrar (see registrar.hpp).
#pragma once

#include "kvps.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bytes.hpp"
#include "error.hpp"
#include "put_options.hpp"
#include "shared_bytes.hpp"

namespace kvps {

struct Metadata {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::string etag;       // changes whenever the value changes; at most KVPS_ETAG_MAX - 1 bytes
    Properties properties;  // content type and user metadata
    // The CRC32C stored with the value (see get_checked); filled by get_with for the core to
    // verify, and by stat where the backend has it at hand. nullopt: none (or not looked up).
    std::optional<uint32_t> crc32c;

    // Constructors rather than an aggregate, so Metadata{size, mtime, etag} stays warning-free.
    Metadata() = default;
    Metadata(uint64_t size_, int64_t mtime_ns_, std::string etag_, Properties properties_ = {})
        : size(size_),
          mtime_ns(mtime_ns_),
          etag(std::move(etag_)),
          properties(std::move(properties_)) {}
};

struct Entry {
    std::string key;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::string etag;  // "" when not known cheaply
};

struct ListResult {
    std::vector<Entry> entries;  // in byte order of keys, all starting with the prefix
    std::string next;            // the backend's token for the next page; "" = listing complete
    // With a delimiter (ListQuery): the common prefixes, in byte order; together with entries
    // one byte order across pages, and each prefix once in the whole listing.
    std::vector<std::string> prefixes;
};

// A listing request of kvps_list_with. The page holds at most limit entries and prefixes
// together, each item strictly greater than start_after (when the token is "").
struct ListQuery {
    std::string_view prefix;
    std::string_view token;        // "" = from the start, else a ListResult::next of this backend
    std::string_view start_after;  // "" = none
    std::string_view delimiter;    // "" = a flat listing
    size_t limit = 1000;           // >= 1
};

// The common prefix a key folds into under a delimiter listing: prefix + the text up to and
// including the first delimiter after it; "" when the key does not fold (no delimiter after
// the prefix, or no delimiter asked for).
std::string_view common_prefix(std::string_view key, std::string_view prefix,
                               std::string_view delimiter);

// A stream over a range of one value.
class Reader {
public:
    virtual ~Reader() = default;
    // Reads up to capacity bytes; returns 0 only at the end of the range.
    virtual size_t read(void *buffer, size_t capacity) = 0;
    // The size of the whole value when the reader was opened.
    virtual uint64_t value_size() const = 0;
    // Moves to `offset` (absolute in the value) and reads on up to `end` (absolute, clamped),
    // staying on the version of the value the reader opened. Returns false when this reader
    // cannot seek; the core then opens a new reader and refuses it (KVPS_PRECONDITION_FAILED)
    // if its etag() differs, so a reader never mixes two versions of a value.
    virtual bool seek(uint64_t offset, uint64_t end) {
        (void)offset;
        (void)end;
        return false;
    }
    // The etag of the version being read; "" when unknown.
    virtual std::string etag() const { return ""; }
    // The CRC32C stored with the whole value being read; nullopt when it has none. The core
    // verifies a reader that reads the whole value in order.
    virtual std::optional<uint32_t> checksum() const { return std::nullopt; }
    // Up to max (>= 1) of the next bytes as a block shared with the value, without a copy
    // (size 0 at the end of the range); nullopt when the reader has no block to share, and the
    // core then reads into a block of its own.
    virtual std::optional<SharedBytes> read_shared(size_t max) {
        (void)max;
        return std::nullopt;
    }
};

// A value being written: nothing is visible before commit().
class Writer {
public:
    virtual ~Writer() = default;
    virtual void write(const void *data, size_t size) = 0;
    // Appends an immutable block: a store that keeps values in the process may keep it instead
    // of copying it.
    virtual void write_shared(const SharedBytes &part) { write(part.data(), part.size); }
    // Makes the value visible atomically; on failure leaves the old value and throws.
    virtual void commit() = 0;
    // Discards the value; must not throw. Called by the core for an uncommitted writer.
    virtual void abort() noexcept = 0;
    // The etag of the value commit() made; "" before a commit or when the backend cannot tell
    // without another request.
    virtual std::string etag() const { return ""; }
};

// Batch items: the backend fills status (and error, when status is a failure).
struct PutItem {
    std::string_view key;
    const void *data = nullptr;
    size_t size = 0;
    kvps_status status = KVPS_OK;
    std::string error;
};
struct GetItem {
    std::string_view key;
    Bytes value;
    kvps_status status = KVPS_OK;  // KVPS_NOT_FOUND for a missing key
    std::string error;
    std::optional<uint32_t> crc32c;  // the checksum stored with the value (see get_checked)
};
struct DeleteItem {
    std::string_view key;
    kvps_status status = KVPS_OK;
    std::string error;
};

// ---- asynchronous operations run by the backend itself (optional; see Backend::start)
enum class AsyncKind { get, get_range, stat, remove, put };
struct AsyncRequest {
    AsyncKind kind = AsyncKind::get;
    std::string_view key;                       // valid until start returns
    uint64_t offset = 0, length = KVPS_TO_END;  // get_range
    const void *data = nullptr;                 // put: kept by the core until done is called
    size_t size = 0;
    const PutOptions *options = nullptr;  // put: put_with's (nullptr: a plain put); valid until
                                          // start returns
};
struct AsyncResult {
    kvps_status status = KVPS_OK;  // KVPS_NOT_FOUND (message "") for a missing key
    std::string message;
    std::optional<Bytes> value;      // get, get_range
    std::optional<uint32_t> crc32c;  // get: as get_checked's (the core verifies)
    std::optional<Metadata> meta;    // stat
    std::string etag;                // put: the etag put_with returns
};
// A request in flight. cancel() stops it promptly, done then reporting KVPS_CANCELLED (a write
// whose body was all sent is let finish, as in the blocking path); harmless after done.
// Thread-safe.
class AsyncOperation {
public:
    virtual ~AsyncOperation() = default;
    virtual void cancel() noexcept = 0;
};
using AsyncDone = std::function<void(AsyncResult)>;

class Backend {
public:
    virtual ~Backend() = default;

    // ---- required
    virtual void put(std::string_view key, const void *data, size_t size) = 0;
    virtual std::optional<Bytes> get(std::string_view key) = 0;
    virtual std::optional<Metadata> stat(std::string_view key) = 0;
    virtual void remove(std::string_view key) = 0;  // a missing key is not an error

    // ---- the store prefix
    // The text the core puts before every key this backend is given (and takes off every key
    // and common prefix it lists), e.g. "photos/" of s3://bucket/photos: a backend works on
    // full object names only, and its messages naming one are shown with the caller's key.
    // Asked once, right after the backend opened. Default: none.
    virtual std::string store_prefix() const { return ""; }

    // ---- optional: only for a backend that declares KVPS_CAP_LIST (the core refuses kvps_list
    // with KVPS_UNSUPPORTED otherwise, so the default that throws is never reached)
    // Up to limit (>= 1) entries whose keys start with prefix, strictly after the position
    // token names ("" = from the start; otherwise a value this backend put in ListResult::next).
    // A key that exists for the whole listing must be returned exactly once. Tokens never
    // contain a NUL byte (list_with's generic fold tells its own tokens by one).
    virtual ListResult list(std::string_view prefix, std::string_view token, size_t limit);

    // ---- optional: the defaults are generic fallbacks over the required operations
    // offset/length are as the caller gave them (length may be KVPS_TO_END); clamp to the value.
    virtual std::optional<Bytes> get_range(std::string_view key, uint64_t offset, uint64_t length);
    // nullptr = not found. Default: the range is fetched whole into memory.
    virtual std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset,
                                                uint64_t length);
    // Default: the value is gathered in memory and put on commit.
    virtual std::unique_ptr<Writer> open_writer(std::string_view key);
    // Defaults: a loop of put_item/get_item/delete_item below.
    virtual void put_many(std::span<PutItem> items);
    virtual void get_many(std::span<GetItem> items);
    virtual void delete_many(std::span<DeleteItem> items);

    // ---- listing by level, reads into the caller's memory, checksums, presigned URLs
    // Default: a generic fold over list() that reads every key under the prefix (a backend
    // that can skip a common prefix's keys, or asks its server, does better).
    virtual ListResult list_with(const ListQuery &query);
    // The whole value and, in crc32c, the CRC32C stored with it (nullopt when it has none;
    // the core verifies). Default: get() and no checksum. Backends that store checksums
    // compute them in put/open_writer (see checksum.hpp).
    virtual std::optional<Bytes> get_checked(std::string_view key, std::optional<uint32_t> &crc32c);
    // kvps_put_blob and kvps_get_blob: a store that keeps values in the process keeps the
    // caller's block and hands its own back. Defaults: put() the bytes; get_checked() into a
    // new block.
    virtual void put_shared(std::string_view key, const SharedBytes &value) {
        put(key, value.data(), value.size);
    }
    virtual std::optional<SharedBytes> get_shared(std::string_view key,
                                                  std::optional<uint32_t> &crc32c);
    // Copies the value from offset to its end into buffer when it fits in capacity, and
    // returns that size (nullopt = not found). When it does not fit, returns the size and
    // writes nothing. crc32c as in get_checked (only needed with offset 0).
    // Default: get_checked / get_range, then a copy.
    virtual std::optional<uint64_t> get_into(std::string_view key, uint64_t offset, void *buffer,
                                             size_t capacity, std::optional<uint32_t> &crc32c);
    // A URL that allows method ("GET" or "PUT") on key for expires_seconds without credentials.
    // Default: KVPS_UNSUPPORTED.
    virtual std::string presign(std::string_view key, std::string_view method,
                                uint64_t expires_seconds);
    // ---- conditional writes, properties, copy and rename (see kvps_put_options)
    // A condition must be checked atomically with the write it guards: a backend that cannot
    // must leave put_with's default, which refuses conditions (KVPS_UNSUPPORTED) rather than
    // check-then-write. Each returns the etag of the value it made.
    // Default: an unconditional put without properties, then stat for the etag.
    virtual std::string put_with(std::string_view key, const void *data, size_t size,
                                 const PutOptions &options);
    // The options hold at commit(). Default: the value gathered in memory, put_with on commit.
    virtual std::unique_ptr<Writer> open_writer_with(std::string_view key,
                                                     const PutOptions &options);
    // The value and the metadata of that same version, meta.crc32c included (the core verifies
    // it as for get_checked); nullopt = not found.
    // Default: stat, get_checked, stat again until the etag holds still.
    virtual std::optional<Bytes> get_with(std::string_view key, Metadata &meta);
    // Copies `from` (content type and metadata too, unless options give new ones) to `to`,
    // options' condition applying to `to`. A missing `from` throws KVPS_NOT_FOUND. The core
    // handles from == to without new properties. Default: get_with, then put_with.
    virtual std::string copy(std::string_view from, std::string_view to, const PutOptions &options);
    // Default: copy, then remove `from` (not atomic).
    virtual std::string rename(std::string_view from, std::string_view to,
                               const PutOptions &options);

    // ---- optional: asynchronous operations on the backend's own I/O threads (issue 22)
    // Starts request without blocking and returns its handle; done is called exactly once with
    // the outcome as the blocking call would give it (get: as get_checked; get_range: length
    // >= 1 and not the whole value; put: a plain put, or put_with when it has options), on any
    // thread, possibly before start returns; it must not block. nullptr: not run this way (done is
    // then never called), and the core runs the blocking call on its worker pool. Default: nullptr.
    virtual std::shared_ptr<AsyncOperation> start(const AsyncRequest &request, AsyncDone done) {
        (void)request;
        (void)done;
        return nullptr;
    }
};

// The one per-item error policy of batch calls, for the core's loops and a backend's own
// (parallel) ones alike: each runs one item and records its status and message; nothing
// escapes, so one failed item never stops the others.
void put_item(Backend &backend, PutItem &item) noexcept;
void get_item(Backend &backend, GetItem &item) noexcept;
void delete_item(Backend &backend, DeleteItem &item) noexcept;
// Inside a catch block: the status of the exception being handled (kvps::Error as thrown,
// std::bad_alloc as KVPS_NO_MEMORY, anything else as KVPS_INTERNAL); its message goes to
// `message`.
kvps_status record_failure(std::string &message) noexcept;

// Clamps [offset, offset + length) to a value of `size` bytes; returns {start, count}.
struct Span64 {
    uint64_t start;
    uint64_t count;
};
Span64 clamp_range(uint64_t size, uint64_t offset, uint64_t length);

}  // namespace kvps
