// The C API: thin shims that validate input, call the backend, and turn every exception into
// a status plus this thread's message. No C++ type or exception leaves this file.
#include "kvps.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend.hpp"
#include "checksum.hpp"
#include "config.hpp"
#include "cursor.hpp"
#include "keys.hpp"
#include "log.hpp"
#include "registry.hpp"

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

namespace {

thread_local std::string t_last_error;

void set_error(const std::string &message) {
    try {
        t_last_error = message;
    } catch (...) {
        t_last_error.clear();
    }
}

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

void require(const void *pointer, const char *name) {
    if (!pointer) kvps::fail(KVPS_INVALID_ARGUMENT, std::string(name) + " is NULL");
}

// One INFO line per operation, when logging is on: op, key, status, bytes, duration.
class OpLog {
public:
    OpLog(const char *op, std::string_view key) : op_(op), key_(key) {
        if (kvps::log_enabled(KVPS_LOG_INFO)) start_ = std::chrono::steady_clock::now(), on_ = true;
    }
    kvps_status done(kvps_status status, uint64_t amount = 0, const char *unit = "bytes") {
        if (on_) {
            double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
            char tail[96];
            std::snprintf(tail, sizeof tail, " -> %s, %llu %s, %.3f ms", kvps_status_name(status),
                          static_cast<unsigned long long>(amount), unit, ms);
            kvps::log(KVPS_LOG_INFO, std::string(op_) + " " + kvps::quote(key_) + tail);
        }
        return status;
    }

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

std::string redacted_url(const kvps::Url &url, const kvps::RegisteredBackend &backend,
                         const std::map<std::string, std::string> &options) {
    std::string out = url.scheme + "://";
    if (!url.user.empty() || url.has_password) {
        out += kvps::percent_encode(url.user);
        if (url.has_password) out += ":***";
        out += '@';
    }
    out += url.authority() + url.raw_path;
    char sep = '?';
    for (const auto &[name, value] : options) {
        bool secret = false;
        for (const kvps::OptionSpec &spec : backend.spec.options)
            if (spec.name == name && spec.type == KVPS_OPTION_SECRET) secret = true;
        if (secret) continue;
        out += sep + name + "=" + kvps::percent_encode(value, "/:");
        sep = '&';
    }
    return out;
}

// A short fingerprint of where a store's data lives, carried by its cursors.
std::string store_identity(std::string_view where) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : where) h = (h ^ c) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

// verify_checksums is the core's own store option, accepted by every backend: it is taken out
// of the URL query and the extra options before the backend's table is checked.
bool take_verify_option(std::vector<std::pair<std::string, std::string>> &url_options,
                        std::vector<std::pair<std::string, std::string>> &extra) {
    constexpr std::string_view kName = "verify_checksums";
    bool verify = true;
    for (auto *options : {&url_options, &extra}) {
        for (auto it = options->begin(); it != options->end();) {
            std::string name = it->first;
            for (char &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (name != kName) {
                ++it;
                continue;
            }
            std::optional<bool> value = kvps::parse_bool(it->second);
            if (!value)
                kvps::fail(KVPS_INVALID_OPTION, "option verify_checksums must be a bool (true/false), not " +
                                                    kvps::quote(it->second));
            verify = *value;
            it = options->erase(it);
        }
    }
    return verify;
}

kvps_status open_store(const char *url_text, const kvps_option *options, size_t n_options,
                       kvps_store **out) {
    require(url_text, "url");
    require(out, "out");
    if (n_options) require(options, "options");
    kvps::Url url = kvps::parse_url(url_text);
    const kvps::RegisteredBackend *backend = kvps::find_backend(url.scheme);
    if (!backend)
        kvps::fail(KVPS_UNKNOWN_SCHEME, "unknown scheme \"" + url.scheme + "://\"; known schemes: " +
                                            kvps::known_schemes());
    std::vector<std::pair<std::string, std::string>> extra;
    for (size_t i = 0; i < n_options; ++i) {
        if (!options[i].name) kvps::fail(KVPS_INVALID_ARGUMENT, "options[" + std::to_string(i) + "].name is NULL");
        if (!options[i].value)
            kvps::fail(KVPS_INVALID_ARGUMENT, "value of option \"" + std::string(options[i].name) + "\" is NULL");
        extra.emplace_back(options[i].name, options[i].value);
    }
    bool verify = take_verify_option(url.query, extra);
    auto values = kvps::check_options(url.scheme, backend->spec.options, url.query, extra);
    auto store = std::make_unique<kvps_store>();
    store->verify_checksums = verify;
    store->registered = backend;
    store->url = redacted_url(url, *backend, values);
    if (!verify) store->url += std::string(store->url.find('?') == std::string::npos ? "?" : "&") + "verify_checksums=false";
    store->cursor_id = store_identity(backend->spec.name + ":" + url.authority() + url.path);
    kvps::Config config(std::move(url), std::move(values), &backend->spec.options);
    store->backend = backend->spec.open(config);
    if (!store->backend) kvps::fail(KVPS_INTERNAL, "backend " + backend->spec.name + " returned no store");
    *out = store.release();
    return KVPS_OK;
}

// The whole value, checked against the checksum stored with it (unless the store opted out).
std::optional<kvps::Bytes> get_verified(kvps_store *store, std::string_view key) {
    std::optional<uint32_t> expected;
    std::optional<kvps::Bytes> value = store->backend->get_checked(key, expected);
    if (value && expected && store->verify_checksums)
        kvps::check_crc32c(key, *expected, kvps::crc32c(value->data(), value->size()));
    return value;
}

// Gives a fetched value to the C caller: KVPS_NOT_FOUND when there is none.
kvps_status hand_over(std::optional<kvps::Bytes> value, void **data, size_t *size, uint64_t &amount) {
    if (!value) return KVPS_NOT_FOUND;
    amount = *size = value->size();
    *data = value->release();
    return KVPS_OK;
}

void fill_stat(const kvps::Metadata &meta, kvps_stat_info *out) {
    out->size = meta.size;
    out->mtime_ns = meta.mtime_ns;
    size_t n = std::min(meta.etag.size(), sizeof out->etag - 1);
    std::memcpy(out->etag, meta.etag.data(), n);
    out->etag[n] = '\0';
}

// Checks each key of a batch; items with a bad key get their status here and are skipped.
template <typename Item>
std::vector<Item> batch_items(size_t n, const char *const *keys, kvps_status *statuses,
                              std::vector<size_t> &index, std::vector<std::string> &errors) {
    std::vector<Item> items;
    errors.assign(n, std::string());
    for (size_t i = 0; i < n; ++i) {
        try {
            Item item;
            item.key = kvps::check_key(keys[i]);
            items.push_back(std::move(item));
            index.push_back(i);
            statuses[i] = KVPS_OK;
        } catch (const kvps::Error &e) {
            statuses[i] = e.status();
            errors[i] = e.message();
        }
    }
    return items;
}

template <typename Item>
kvps_status batch_result(std::vector<Item> &items, const std::vector<size_t> &index,
                         kvps_status *statuses, std::vector<std::string> &errors,
                         bool not_found_ok) {
    for (size_t j = 0; j < items.size(); ++j) {
        statuses[index[j]] = items[j].status;
        errors[index[j]] = items[j].error;
    }
    for (size_t i = 0; i < errors.size(); ++i) {
        if (statuses[i] == KVPS_OK || (not_found_ok && statuses[i] == KVPS_NOT_FOUND)) continue;
        set_error("item " + std::to_string(i) + ": " + errors[i]);
        return statuses[i];
    }
    return KVPS_OK;
}

// A prefix or start_after: NULL is "", else at most KVPS_KEY_MAX bytes of UTF-8.
std::string_view check_list_text(const char *text, const char *what) {
    std::string_view t = text ? text : "";
    if (t.size() > KVPS_KEY_MAX)
        kvps::fail(KVPS_INVALID_KEY, std::string("invalid ") + what + " " + kvps::quote(t) + ": longer than " +
                                         std::to_string(KVPS_KEY_MAX) + " bytes");
    if (!t.empty() && !kvps::is_utf8(t))
        kvps::fail(KVPS_INVALID_KEY, std::string("invalid ") + what + " " + kvps::quote(t) + ": not valid UTF-8");
    return t;
}

// kvps_list and kvps_list_with.
kvps_status list_page(kvps_store *store, const kvps_list_options &options, kvps_list_page **out) {
    require(store, "store");
    require(out, "out");
    std::string_view p = check_list_text(options.prefix, "prefix");
    std::string_view start_after = check_list_text(options.start_after, "start_after");
    std::string_view delimiter = options.delimiter ? options.delimiter : "";
    if (options.delimiter) {
        if (delimiter.empty() || delimiter.size() > KVPS_KEY_MAX || !kvps::is_utf8(delimiter) ||
            std::any_of(delimiter.begin(), delimiter.end(), [](char c) { return (unsigned char)c < 0x20 || c == 0x7f; }))
            kvps::fail(KVPS_INVALID_ARGUMENT, "invalid delimiter " + kvps::quote(delimiter) +
                                                  ": use NULL for none, else non-empty UTF-8 without control characters");
    }
    // A cursor belongs to one prefix and one delimiter: it carries both.
    std::string scope(p);
    if (!delimiter.empty()) scope.append("\x1f").append(delimiter);
    std::string token;
    if (options.cursor && *options.cursor) token = kvps::read_cursor(options.cursor, store->cursor_id, scope);
    kvps::ListQuery query{p, token, token.empty() ? start_after : std::string_view(), delimiter,
                          options.page_size ? options.page_size : 1000};
    return logged("list", p, [&](uint64_t &amount) {
        kvps::ListResult result = store->backend->list_with(query);
        auto page = std::make_unique<kvps_list_page>();
        page->entries = std::move(result.entries);
        page->prefixes = std::move(result.prefixes);
        page->views.reserve(page->entries.size());
        for (const kvps::Entry &e : page->entries)
            page->views.push_back(kvps_entry{e.key.c_str(), e.size, e.mtime_ns, e.etag.c_str()});
        page->complete = result.next.empty();
        if (!page->complete) page->cursor = kvps::make_cursor(store->cursor_id, scope, result.next);
        amount = page->entries.size() + page->prefixes.size();
        *out = page.release();
        return KVPS_OK;
    }, "keys");
}

}  // namespace

extern "C" {

KVPS_API const char *kvps_version(void) { return KVPS_VERSION_STRING; }
KVPS_API int kvps_version_number(void) { return KVPS_VERSION_NUMBER; }

KVPS_API const char *kvps_status_name(kvps_status status) {
    switch (status) {
    case KVPS_OK: return "KVPS_OK";
    case KVPS_NOT_FOUND: return "KVPS_NOT_FOUND";
    case KVPS_INVALID_ARGUMENT: return "KVPS_INVALID_ARGUMENT";
    case KVPS_INVALID_URL: return "KVPS_INVALID_URL";
    case KVPS_UNKNOWN_SCHEME: return "KVPS_UNKNOWN_SCHEME";
    case KVPS_INVALID_OPTION: return "KVPS_INVALID_OPTION";
    case KVPS_INVALID_KEY: return "KVPS_INVALID_KEY";
    case KVPS_PERMISSION_DENIED: return "KVPS_PERMISSION_DENIED";
    case KVPS_PRECONDITION_FAILED: return "KVPS_PRECONDITION_FAILED";
    case KVPS_IO: return "KVPS_IO";
    case KVPS_NETWORK: return "KVPS_NETWORK";
    case KVPS_TIMEOUT: return "KVPS_TIMEOUT";
    case KVPS_REMOTE: return "KVPS_REMOTE";
    case KVPS_UNSUPPORTED: return "KVPS_UNSUPPORTED";
    case KVPS_NO_MEMORY: return "KVPS_NO_MEMORY";
    case KVPS_INTERNAL: return "KVPS_INTERNAL";
    case KVPS_NO_SPACE: return "KVPS_NO_SPACE";
    case KVPS_CANCELLED: return "KVPS_CANCELLED";
    case KVPS_OUTCOME_UNKNOWN: return "KVPS_OUTCOME_UNKNOWN";
    case KVPS_CORRUPT: return "KVPS_CORRUPT";
    case KVPS_NO_CREDENTIALS: return "KVPS_NO_CREDENTIALS";
    }
    return "KVPS_UNKNOWN_STATUS";
}

KVPS_API const char *kvps_last_error(void) { return t_last_error.c_str(); }

KVPS_API void kvps_free(void *data) { std::free(data); }

KVPS_API kvps_status kvps_open(const char *url, kvps_store **out) {
    return guard([&] { return open_store(url, nullptr, 0, out); });
}

KVPS_API kvps_status kvps_open_with(const char *url, const kvps_option *options, size_t n_options,
                                    kvps_store **out) {
    return guard([&] { return open_store(url, options, n_options, out); });
}

KVPS_API void kvps_close(kvps_store *store) {
    try {
        delete store;
    } catch (...) {
    }
}

KVPS_API const char *kvps_store_url(const kvps_store *store) { return store ? store->url.c_str() : ""; }

KVPS_API uint64_t kvps_capabilities(const kvps_store *store) {
    return store ? store->registered->spec.capabilities : 0;
}

KVPS_API kvps_status kvps_put(kvps_store *store, const char *key, const void *data, size_t size) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        if (size) require(data, "data");
        return logged("put", k, [&](uint64_t &amount) {
            amount = size;
            store->backend->put(k, data, size);
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_get(kvps_store *store, const char *key, void **data, size_t *size) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(data, "data");
        require(size, "size");
        return logged("get", k, [&](uint64_t &amount) {
            return hand_over(get_verified(store, k), data, size, amount);
        });
    });
}

KVPS_API kvps_status kvps_get_range(kvps_store *store, const char *key, uint64_t offset,
                                    uint64_t length, void **data, size_t *size) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(data, "data");
        require(size, "size");
        return logged("get_range", k, [&](uint64_t &amount) {
            if (offset == 0 && length == KVPS_TO_END) return hand_over(get_verified(store, k), data, size, amount);
            return hand_over(store->backend->get_range(k, offset, length), data, size, amount);
        });
    });
}

KVPS_API kvps_status kvps_stat(kvps_store *store, const char *key, kvps_stat_info *out) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        if (out->version != KVPS_STAT_VERSION)
            kvps::fail(KVPS_INVALID_ARGUMENT, "kvps_stat_info.version is " + std::to_string(out->version) +
                                                  "; initialize it with KVPS_STAT_INIT");
        return logged("stat", k, [&](uint64_t &amount) {
            std::optional<kvps::Metadata> meta = store->backend->stat(k);
            if (!meta) return KVPS_NOT_FOUND;
            fill_stat(*meta, out);
            amount = meta->size;
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_delete(kvps_store *store, const char *key) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        return logged("delete", k, [&](uint64_t &) {
            store->backend->remove(k);
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_get_into(kvps_store *store, const char *key, uint64_t offset, void *buffer,
                                   size_t capacity, size_t *size) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        if (capacity) require(buffer, "buffer");
        require(size, "size");
        return logged("get_into", k, [&](uint64_t &amount) {
            std::optional<uint32_t> expected;
            std::optional<uint64_t> got = store->backend->get_into(k, offset, buffer, capacity, expected);
            if (!got) return KVPS_NOT_FOUND;
            if (*got > capacity) {
                *size = static_cast<size_t>(std::min<uint64_t>(*got, SIZE_MAX));
                kvps::fail(KVPS_INVALID_ARGUMENT, "buffer of " + std::to_string(capacity) + " bytes is too small for key " +
                                                      kvps::quote(k) + ": " + std::to_string(*got) +
                                                      " bytes from offset " + std::to_string(offset) +
                                                      " (nothing was copied; the size needed is in *size)");
            }
            if (offset == 0 && expected && store->verify_checksums)
                kvps::check_crc32c(k, *expected, kvps::crc32c(buffer, static_cast<size_t>(*got)));
            amount = *size = static_cast<size_t>(*got);
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_presign(kvps_store *store, const char *key, const char *method, uint64_t expires_seconds,
                                  char **url) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(method, "method");
        require(url, "url");
        std::string_view m = method;
        if (m != "GET" && m != "PUT")
            kvps::fail(KVPS_INVALID_ARGUMENT, "method " + kvps::quote(m) + " cannot be presigned; use \"GET\" or \"PUT\"");
        if (expires_seconds < 1 || expires_seconds > 604800)
            kvps::fail(KVPS_INVALID_ARGUMENT, "expires_seconds is " + std::to_string(expires_seconds) +
                                                  "; a presigned URL lasts from 1 second to 7 days (604800)");
        return logged("presign", k, [&](uint64_t &) {
            std::string text = store->backend->presign(k, m, expires_seconds);
            kvps::Bytes copy = kvps::Bytes::copy(text.data(), text.size());
            *url = copy.release();
            return KVPS_OK;
        });
    });
}

/* ---- streams */

KVPS_API kvps_status kvps_reader_open(kvps_store *store, const char *key, uint64_t offset,
                                      uint64_t length, kvps_reader **out) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        return logged("reader_open", k, [&](uint64_t &amount) {
            std::unique_ptr<kvps::Reader> reader = store->backend->open_reader(k, offset, length);
            if (!reader) return KVPS_NOT_FOUND;
            uint64_t size = reader->value_size();
            kvps::Span64 span = kvps::clamp_range(size, offset, length);
            std::string etag = reader->etag();
            std::optional<uint32_t> expected;
            if (store->verify_checksums && span.start == 0 && span.count == size) expected = reader->checksum();
            *out = new kvps_reader{store, std::string(k), std::move(reader), span.start,
                                   span.start + span.count, size, std::move(etag), expected};
            amount = span.count;
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_reader_read(kvps_reader *reader, void *buffer, size_t capacity, size_t *n) {
    return guard([&] {
        require(reader, "reader");
        require(n, "n");
        if (capacity) require(buffer, "buffer");
        *n = 0;
        if (reader->position >= reader->range_end || capacity == 0) return KVPS_OK;
        uint64_t left = reader->range_end - reader->position;
        size_t got = reader->reader->read(buffer, static_cast<size_t>(std::min<uint64_t>(capacity, left)));
        if (got == 0)
            kvps::fail(KVPS_IO, "value of key " + kvps::quote(reader->key) + " ended after " +
                                    std::to_string(reader->position) + " of " +
                                    std::to_string(reader->range_end) + " bytes (it changed or was truncated)");
        if (reader->expected) {
            reader->running = kvps::crc32c(buffer, got, reader->running);
            if (reader->position + got == reader->value_size) {
                std::optional<uint32_t> expected = std::exchange(reader->expected, std::nullopt);
                kvps::check_crc32c(reader->key, *expected, reader->running);
            }
        }
        reader->position += got;
        *n = got;
        return KVPS_OK;
    });
}

KVPS_API kvps_status kvps_reader_seek(kvps_reader *reader, uint64_t offset) {
    return guard([&] {
        require(reader, "reader");
        uint64_t target = std::min(offset, reader->range_end);
        if (target == reader->position) return KVPS_OK;
        reader->expected.reset();  // no longer reading the whole value in order
        if (target == reader->range_end || reader->reader->seek(target, reader->range_end)) {
            reader->position = target;
            return KVPS_OK;
        }
        // The backend's reader cannot seek: open a new one, and make sure it reads the same
        // version of the value, so a reader never mixes two versions.
        auto fresh = reader->store->backend->open_reader(reader->key, target, reader->range_end - target);
        if (!fresh)
            kvps::fail(KVPS_NOT_FOUND, "key " + kvps::quote(reader->key) + " was deleted while being read");
        if (fresh->etag() != reader->etag || fresh->value_size() != reader->value_size)
            kvps::fail(KVPS_PRECONDITION_FAILED,
                       "key " + kvps::quote(reader->key) + " changed while being read; open a new reader");
        reader->reader = std::move(fresh);
        reader->position = target;
        return KVPS_OK;
    });
}

KVPS_API uint64_t kvps_reader_value_size(const kvps_reader *reader) { return reader ? reader->value_size : 0; }

KVPS_API void kvps_reader_close(kvps_reader *reader) { delete reader; }

KVPS_API kvps_status kvps_writer_open(kvps_store *store, const char *key, kvps_writer **out) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        auto writer = store->backend->open_writer(k);
        *out = new kvps_writer{std::move(writer), std::string(k)};
        return KVPS_OK;
    });
}

KVPS_API kvps_status kvps_writer_write(kvps_writer *writer, const void *data, size_t size) {
    return guard([&] {
        require(writer, "writer");
        if (size) require(data, "data");
        if (writer->failed)
            kvps::fail(KVPS_INVALID_ARGUMENT, "writer of key " + kvps::quote(writer->key) +
                                                  " failed earlier; abort it");
        try {
            writer->writer->write(data, size);
            writer->written += size;
        } catch (...) {
            writer->failed = true;
            throw;
        }
        return KVPS_OK;
    });
}

KVPS_API kvps_status kvps_writer_commit(kvps_writer *writer) {
    return guard([&] {
        require(writer, "writer");
        std::unique_ptr<kvps_writer> owned(writer);
        if (owned->failed) {
            owned->writer->abort();
            kvps::fail(KVPS_INVALID_ARGUMENT, "writer of key " + kvps::quote(owned->key) +
                                                  " failed earlier; nothing was committed");
        }
        return logged("commit", owned->key, [&](uint64_t &amount) {
            amount = owned->written;
            try {
                owned->writer->commit();
            } catch (...) {
                owned->writer->abort();
                throw;
            }
            return KVPS_OK;
        });
    });
}

KVPS_API void kvps_writer_abort(kvps_writer *writer) {
    if (!writer) return;
    writer->writer->abort();
    delete writer;
}

/* ---- listing */

KVPS_API kvps_status kvps_list(kvps_store *store, const char *prefix, const char *cursor,
                               size_t page_size, kvps_list_page **out) {
    return guard([&] {
        kvps_list_options options = KVPS_LIST_OPTIONS_INIT;
        options.prefix = prefix;
        options.cursor = cursor;
        options.page_size = page_size;
        return list_page(store, options, out);
    });
}

KVPS_API size_t kvps_list_page_count(const kvps_list_page *page) { return page ? page->views.size() : 0; }

KVPS_API const kvps_entry *kvps_list_page_entry(const kvps_list_page *page, size_t i) {
    return page && i < page->views.size() ? &page->views[i] : nullptr;
}

KVPS_API const char *kvps_list_page_cursor(const kvps_list_page *page) {
    return page && !page->complete ? page->cursor.c_str() : nullptr;
}

KVPS_API void kvps_list_page_free(kvps_list_page *page) { delete page; }

KVPS_API kvps_status kvps_list_with(kvps_store *store, const kvps_list_options *options, kvps_list_page **out) {
    return guard([&] {
        kvps_list_options defaults = KVPS_LIST_OPTIONS_INIT;
        if (options && options->version != KVPS_LIST_OPTIONS_VERSION)
            kvps::fail(KVPS_INVALID_ARGUMENT, "kvps_list_options.version is " + std::to_string(options->version) +
                                                  "; initialize it with KVPS_LIST_OPTIONS_INIT");
        return list_page(store, options ? *options : defaults, out);
    });
}

KVPS_API size_t kvps_list_page_prefix_count(const kvps_list_page *page) { return page ? page->prefixes.size() : 0; }

KVPS_API const char *kvps_list_page_prefix(const kvps_list_page *page, size_t i) {
    return page && i < page->prefixes.size() ? page->prefixes[i].c_str() : nullptr;
}

/* ---- batch */

KVPS_API kvps_status kvps_put_many(kvps_store *store, size_t n, const char *const *keys,
                                   const void *const *data, const size_t *sizes, kvps_status *statuses) {
    return guard([&] {
        require(store, "store");
        if (n == 0) return KVPS_OK;
        require(keys, "keys");
        require(data, "data");
        require(sizes, "sizes");
        require(statuses, "statuses");
        std::vector<size_t> index;
        std::vector<std::string> errors;
        auto items = batch_items<kvps::PutItem>(n, keys, statuses, index, errors);
        std::vector<kvps::PutItem> ready;
        std::vector<size_t> ready_index;
        for (size_t j = 0; j < items.size(); ++j) {
            size_t i = index[j];
            if (sizes[i] && !data[i]) {
                statuses[i] = KVPS_INVALID_ARGUMENT;
                errors[i] = "data[" + std::to_string(i) + "] is NULL";
                continue;
            }
            items[j].data = data[i];
            items[j].size = sizes[i];
            ready.push_back(std::move(items[j]));
            ready_index.push_back(i);
        }
        store->backend->put_many(ready);
        return batch_result(ready, ready_index, statuses, errors, false);
    });
}

KVPS_API kvps_status kvps_get_many(kvps_store *store, size_t n, const char *const *keys, void **data,
                                   size_t *sizes, kvps_status *statuses) {
    return guard([&] {
        require(store, "store");
        if (n == 0) return KVPS_OK;
        require(keys, "keys");
        require(data, "data");
        require(sizes, "sizes");
        require(statuses, "statuses");
        for (size_t i = 0; i < n; ++i) data[i] = nullptr, sizes[i] = 0;
        std::vector<size_t> index;
        std::vector<std::string> errors;
        auto items = batch_items<kvps::GetItem>(n, keys, statuses, index, errors);
        store->backend->get_many(items);
        for (kvps::GetItem &item : items) {
            if (item.status != KVPS_OK || !item.crc32c || !store->verify_checksums) continue;
            try {
                kvps::check_crc32c(item.key, *item.crc32c, kvps::crc32c(item.value.data(), item.value.size()));
            } catch (const kvps::Error &e) {
                item.status = e.status();
                item.error = e.message();
                item.value = kvps::Bytes();
            }
        }
        for (size_t j = 0; j < items.size(); ++j)
            if (items[j].status == KVPS_OK) {
                sizes[index[j]] = items[j].value.size();
                data[index[j]] = items[j].value.release();
            }
        return batch_result(items, index, statuses, errors, true);
    });
}

KVPS_API kvps_status kvps_delete_many(kvps_store *store, size_t n, const char *const *keys,
                                      kvps_status *statuses) {
    return guard([&] {
        require(store, "store");
        if (n == 0) return KVPS_OK;
        require(keys, "keys");
        require(statuses, "statuses");
        std::vector<size_t> index;
        std::vector<std::string> errors;
        auto items = batch_items<kvps::DeleteItem>(n, keys, statuses, index, errors);
        store->backend->delete_many(items);
        return batch_result(items, index, statuses, errors, false);
    });
}

/* ---- backends */

KVPS_API const char *kvps_option_type_name(kvps_option_type type) {
    switch (type) {
    case KVPS_OPTION_STRING: return "string";
    case KVPS_OPTION_BOOL: return "bool";
    case KVPS_OPTION_INTEGER: return "integer";
    case KVPS_OPTION_SIZE: return "size";
    case KVPS_OPTION_DURATION: return "duration";
    case KVPS_OPTION_URL: return "url";
    case KVPS_OPTION_SECRET: return "secret";
    }
    return "unknown";
}

KVPS_API size_t kvps_backend_count(void) { return kvps::backend_count(); }

KVPS_API const kvps_backend_info *kvps_backend_at(size_t i) {
    const kvps::RegisteredBackend *b = kvps::backend_at(i);
    return b ? &b->info : nullptr;
}

KVPS_API const kvps_backend_info *kvps_backend_find(const char *scheme) {
    if (!scheme) return nullptr;
    const kvps::RegisteredBackend *b = kvps::find_backend(scheme);
    return b ? &b->info : nullptr;
}

KVPS_API const kvps_option_info *kvps_backend_option(const kvps_backend_info *backend, size_t i) {
    if (!backend || i >= backend->option_count) return nullptr;
    // Look the backend up again so a pointer that is not ours is refused, not dereferenced.
    const kvps::RegisteredBackend *b = kvps::find_backend(backend->schemes[0]);
    return b && &b->info == backend ? &b->option_infos[i] : nullptr;
}

}  // extern "C"
