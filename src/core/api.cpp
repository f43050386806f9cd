// The C API: thin shims that validate input, call the backend, and turn every exception into
// a status plus this thread's message. No C++ type or exception leaves this file.
#include "kvps.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <strings.h>
#include <string>
#include <vector>

#include "backend.hpp"
#include "cursor.hpp"
#include "keys.hpp"
#include "log.hpp"
#include "registry.hpp"

struct kvps_store {
    std::unique_ptr<kvps::Backend> backend;
    const kvps::RegisteredBackend *registered = nullptr;
    std::string url;       // redacted, for kvps_store_url
    std::string cursor_id; // what a cursor must carry to be accepted by this store
};

struct kvps_reader {
    kvps_store *store;
    std::string key;
    std::unique_ptr<kvps::Reader> reader;
    uint64_t position;   // absolute offset in the value
    uint64_t range_end;  // absolute, clamped
    uint64_t value_size;
    std::string etag;    // of the version being read; "" when the backend cannot tell
};

struct kvps_writer {
    std::unique_ptr<kvps::Writer> writer;
    std::string key;
    bool failed = false;
    uint64_t written = 0;  // for the log line
    char *etag_out = nullptr;  // kvps_put_options.etag_out of kvps_writer_open_with
};

struct kvps_list_page {
    std::vector<kvps::Entry> entries;
    std::vector<kvps_entry> views;
    std::string cursor;
    bool complete = true;
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
    auto values = kvps::check_options(url.scheme, backend->spec.options, url.query, extra);
    auto store = std::make_unique<kvps_store>();
    store->registered = backend;
    store->url = redacted_url(url, *backend, values);
    store->cursor_id = store_identity(backend->spec.name + ":" + url.authority() + url.path);
    kvps::Config config(std::move(url), std::move(values), &backend->spec.options);
    store->backend = backend->spec.open(config);
    if (!store->backend) kvps::fail(KVPS_INTERNAL, "backend " + backend->spec.name + " returned no store");
    *out = store.release();
    return KVPS_OK;
}

// Gives a fetched value to the C caller: KVPS_NOT_FOUND when there is none.
kvps_status hand_over(std::optional<kvps::Bytes> value, void **data, size_t *size, uint64_t &amount) {
    if (!value) return KVPS_NOT_FOUND;
    amount = *size = value->size();
    *data = value->release();
    return KVPS_OK;
}

// Version 2 fields of kvps_stat_info: content type and metadata pairs "name\0value\0".
void fill_properties(const kvps::Properties &properties, kvps_stat_info *out) {
    std::string_view type = properties.content_type.empty() ? kvps::kDefaultContentType : properties.content_type;
    size_t n = std::min(type.size(), sizeof out->content_type - 1);
    std::memcpy(out->content_type, type.data(), n);
    out->content_type[n] = '\0';
    size_t at = 0, count = 0;
    for (const auto &[name, value] : properties.metadata) {
        // Values read from a server that allows more than S3's limit may not fit: kept in order
        // as far as they do.
        if (at + name.size() + value.size() + 2 > sizeof out->metadata) break;
        std::memcpy(out->metadata + at, name.c_str(), name.size() + 1);
        at += name.size() + 1;
        std::memcpy(out->metadata + at, value.c_str(), value.size() + 1);
        at += value.size() + 1;
        ++count;
    }
    out->metadata_count = count;
}

void check_stat_version(const kvps_stat_info *out) {
    if (out->version != 1 && out->version != KVPS_STAT_VERSION)
        kvps::fail(KVPS_INVALID_ARGUMENT, "kvps_stat_info.version is " + std::to_string(out->version) +
                                              "; initialize it with KVPS_STAT_INIT");
}

void fill_stat(const kvps::Metadata &meta, kvps_stat_info *out) {
    out->size = meta.size;
    out->mtime_ns = meta.mtime_ns;
    size_t n = std::min(meta.etag.size(), sizeof out->etag - 1);
    std::memcpy(out->etag, meta.etag.data(), n);
    out->etag[n] = '\0';
    if (out->version >= 2) fill_properties(meta.properties, out);
}

void copy_etag(const std::string &etag, char *out) {
    if (!out) return;
    size_t n = std::min(etag.size(), size_t{KVPS_ETAG_MAX - 1});
    std::memcpy(out, etag.data(), n);
    out[n] = '\0';
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
            return hand_over(store->backend->get(k), data, size, amount);
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
            return hand_over(store->backend->get_range(k, offset, length), data, size, amount);
        });
    });
}

KVPS_API kvps_status kvps_stat(kvps_store *store, const char *key, kvps_stat_info *out) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        check_stat_version(out);
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
            *out = new kvps_reader{store, std::string(k), std::move(reader), span.start,
                                   span.start + span.count, size, std::move(etag)};
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
            if (owned->etag_out) copy_etag(owned->writer->etag(), owned->etag_out);
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
        require(store, "store");
        require(out, "out");
        std::string_view p = prefix ? prefix : "";
        if (p.size() > KVPS_KEY_MAX)
            kvps::fail(KVPS_INVALID_KEY, "invalid prefix " + kvps::quote(p) + ": longer than " +
                                             std::to_string(KVPS_KEY_MAX) + " bytes");
        if (!p.empty() && !kvps::is_utf8(p))
            kvps::fail(KVPS_INVALID_KEY, "invalid prefix " + kvps::quote(p) + ": not valid UTF-8");
        std::string token;
        if (cursor && *cursor) token = kvps::read_cursor(cursor, store->cursor_id, p);
        size_t limit = page_size ? page_size : 1000;
        return logged("list", p, [&](uint64_t &amount) {
            kvps::ListResult result = store->backend->list(p, token, limit);
            auto page = std::make_unique<kvps_list_page>();
            page->entries = std::move(result.entries);
            page->views.reserve(page->entries.size());
            for (const kvps::Entry &e : page->entries)
                page->views.push_back(kvps_entry{e.key.c_str(), e.size, e.mtime_ns, e.etag.c_str()});
            page->complete = result.next.empty();
            if (!page->complete) page->cursor = kvps::make_cursor(store->cursor_id, p, result.next);
            amount = page->entries.size();
            *out = page.release();
            return KVPS_OK;
        }, "keys");
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

/* ---- conditional writes, properties, copy and rename */

KVPS_API kvps_status kvps_put_with(kvps_store *store, const char *key, const void *data, size_t size,
                                   const kvps_put_options *options) {
    if (!options) return kvps_put(store, key, data, size);
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        if (size) require(data, "data");
        kvps::PutOptions opts = kvps::put_options_from(options);
        return logged("put_with", k, [&](uint64_t &amount) {
            amount = size;
            copy_etag(store->backend->put_with(k, data, size, opts), options->etag_out);
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_get_with(kvps_store *store, const char *key, void **data, size_t *size,
                                   kvps_stat_info *info) {
    if (!info) return kvps_get(store, key, data, size);
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(data, "data");
        require(size, "size");
        check_stat_version(info);
        return logged("get_with", k, [&](uint64_t &amount) {
            kvps::Metadata meta;
            std::optional<kvps::Bytes> value = store->backend->get_with(k, meta);
            if (!value) return KVPS_NOT_FOUND;
            meta.size = value->size();
            fill_stat(meta, info);
            return hand_over(std::move(value), data, size, amount);
        });
    });
}

KVPS_API kvps_status kvps_writer_open_with(kvps_store *store, const char *key,
                                           const kvps_put_options *options, kvps_writer **out) {
    if (!options) return kvps_writer_open(store, key, out);
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        kvps::PutOptions opts = kvps::put_options_from(options);
        auto writer = store->backend->open_writer_with(k, opts);
        *out = new kvps_writer{std::move(writer), std::string(k), false, 0, options->etag_out};
        return KVPS_OK;
    });
}

namespace {

// kvps_copy and kvps_rename: check both keys, and settle a key onto itself here (nothing to
// move; only the condition, and new properties if any, matter).
kvps_status copy_or_rename(kvps_store *store, const char *from, const char *to,
                           const kvps_put_options *options, bool rename) {
    require(store, "store");
    std::string_view f = kvps::check_key(from);
    std::string_view t = kvps::check_key(to);
    kvps::PutOptions opts = kvps::put_options_from(options);
    return logged(rename ? "rename" : "copy", f, [&](uint64_t &amount) {
        std::string etag;
        if (f == t && !opts.sets_properties()) {
            std::optional<kvps::Metadata> meta = store->backend->stat(f);
            if (!meta)
                kvps::fail(KVPS_NOT_FOUND, std::string("cannot ") + (rename ? "rename" : "copy") + " key " +
                                               kvps::quote(f) + ": it does not exist");
            kvps::check_condition(t, opts, &meta->etag);
            etag = meta->etag;
            amount = meta->size;
        } else if (f == t || !rename) {
            etag = store->backend->copy(f, t, opts);
        } else {
            etag = store->backend->rename(f, t, opts);
        }
        copy_etag(etag, options ? options->etag_out : nullptr);
        return KVPS_OK;
    });
}

}  // namespace

KVPS_API kvps_status kvps_copy(kvps_store *store, const char *from, const char *to,
                               const kvps_put_options *options) {
    return guard([&] { return copy_or_rename(store, from, to, options, false); });
}

KVPS_API kvps_status kvps_rename(kvps_store *store, const char *from, const char *to,
                                 const kvps_put_options *options) {
    return guard([&] { return copy_or_rename(store, from, to, options, true); });
}

KVPS_API kvps_status kvps_stat_metadata_at(const kvps_stat_info *info, size_t i, const char **name,
                                           const char **value) {
    return guard([&] {
        require(info, "info");
        require(name, "name");
        require(value, "value");
        if (info->version < 2)
            kvps::fail(KVPS_INVALID_ARGUMENT, "kvps_stat_info.version is " + std::to_string(info->version) +
                                                  ": metadata needs version 2 (KVPS_STAT_INIT)");
        if (i >= info->metadata_count || info->metadata_count > sizeof info->metadata / 3)
            kvps::fail(KVPS_INVALID_ARGUMENT, "metadata index " + std::to_string(i) + " is out of range (" +
                                                  std::to_string(info->metadata_count) + " pairs)");
        const char *p = info->metadata;
        const char *end = info->metadata + sizeof info->metadata;
        auto next = [&](const char *at) {
            const void *nul = std::memchr(at, '\0', static_cast<size_t>(end - at));
            if (!nul) kvps::fail(KVPS_INVALID_ARGUMENT, "kvps_stat_info.metadata is not NUL-terminated");
            return static_cast<const char *>(nul) + 1;
        };
        for (size_t j = 0; j < i; ++j) p = next(next(p));
        const char *v = next(p);
        next(v);
        *name = p;
        *value = v;
        return KVPS_OK;
    });
}

KVPS_API const char *kvps_stat_metadata_get(const kvps_stat_info *info, const char *name) {
    if (!info || !name || info->version < 2) return nullptr;
    for (size_t i = 0; i < info->metadata_count; ++i) {
        const char *n = nullptr, *v = nullptr;
        if (kvps_stat_metadata_at(info, i, &n, &v) != KVPS_OK) return nullptr;
        if (strcasecmp(n, name) == 0) return v;
    }
    return nullptr;
}

}  // extern "C"
