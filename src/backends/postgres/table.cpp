// What both table layouts share: the pool, stat, remove, keyset-paginated listing, and copy and
// rename as one retried transaction each.
#include <algorithm>
#include <climits>

#include "store.hpp"

namespace kvps::pg {

TableStore::TableStore(const Settings &settings)
    : settings_(settings), pool_(settings.connect, settings.pool_size, settings.pool_timeout) {}

std::optional<Metadata> TableStore::stat(std::string_view key) {
    return pool_.run([&](Connection &conn) -> std::optional<Metadata> {
        Result r = conn.run(stat_, Params().text(key));
        if (r.rows() == 0) return std::nullopt;
        return Metadata{static_cast<uint64_t>(r.int8(0, 0)), r.time_ns(0, 1),
                        std::string(r.bytes(0, 2)), r.properties(0, 3)};
    });
}

void TableStore::remove(std::string_view key) {
    pool_.run([&](Connection &conn) { conn.run(delete_, Params().text(key)); });
}

ListResult TableStore::list(std::string_view prefix, std::string_view token, size_t limit) {
    return page(prefix, token, prefix_upper_bound(prefix), limit);
}

ListResult TableStore::list_with(const ListQuery &query) {
    std::string upper = prefix_upper_bound(query.prefix);
    return list_by_level(query, [&](std::string_view lower, std::string_view after, size_t limit) {
        return page(lower, after, upper, limit);
    });
}

ListResult TableStore::page(std::string_view lower, std::string_view after, std::string_view upper,
                            size_t limit) {
    size_t capped = std::min<size_t>(limit, INT32_MAX);
    return pool_.run([&](Connection &conn) {
        Params p;
        p.text(lower).text(after);
        if (!upper.empty()) p.text(upper);
        p.int8(static_cast<int64_t>(capped) + 1);
        Result r = conn.run(upper.empty() ? list_open_ : list_bounded_, p);
        ListResult out;
        int rows = std::min<int>(r.rows(), static_cast<int>(capped));
        out.entries.reserve(static_cast<size_t>(rows));
        for (int i = 0; i < rows; ++i)
            out.entries.push_back(Entry{std::string(r.bytes(i, 0)),
                                        static_cast<uint64_t>(r.int8(i, 1)), r.time_ns(i, 2),
                                        std::string(r.bytes(i, 3))});
        // One row more than asked for says there is a next page; the cursor is the last key.
        if (r.rows() > rows) out.next = out.entries.back().key;
        return out;
    });
}

std::string TableStore::transaction(std::string_view to, const PutOptions &options,
                                    const std::function<std::string(Connection &)> &fn) {
    return retry_transaction(to, options, [&] {
        return pool_.run_once([&](Connection &conn) {
            std::string etag;
            in_transaction(conn, [&] { etag = fn(conn); });
            return etag;
        });
    });
}

std::string TableStore::copy(std::string_view from, std::string_view to,
                             const PutOptions &options) {
    return transaction(to, options, [&](Connection &conn) {
        Result source = conn.run(source_share_, Params().text(from));
        if (source.rows() == 0)
            fail(KVPS_NOT_FOUND,
                 "postgres: cannot copy key " + quote(from) + ": it does not exist");
        return copy_row(conn, source, from, to, options,
                        options.properties_over(source.properties(0, 3)));
    });
}

std::string TableStore::rename(std::string_view from, std::string_view to,
                               const PutOptions &options) {
    return transaction(to, options, [&](Connection &conn) {
        Result source = conn.run(source_update_, Params().text(from));
        if (source.rows() == 0)
            fail(KVPS_NOT_FOUND,
                 "postgres: cannot rename key " + quote(from) + ": it does not exist");
        Properties properties = options.properties_over(source.properties(0, 3));
        if (options.create_only) {
            if (conn.run(stat_, Params().text(to)).rows() > 0) condition_failed(conn, to, options);
        } else if (!options.if_match.empty()) {
            if (conn.run(delete_match_, Params().text(to).text(options.if_match)).rows() == 0)
                condition_failed(conn, to, options);
        } else {
            conn.run(delete_, Params().text(to));
        }
        return move_row(conn, from, to, properties);
    });
}

void TableStore::condition_failed(Connection &conn, std::string_view key,
                                  const PutOptions &options) {
    Result r = conn.run(stat_, Params().text(key));
    std::string etag = r.rows() ? std::string(r.bytes(0, 2)) : "";
    check_condition(key, options, r.rows() ? &etag : nullptr);
    fail_condition(key, options, "the value changed meanwhile");
}

void TableStore::vanished(std::string_view key) {
    if (!stat(key))
        fail(KVPS_NOT_FOUND, "postgres: key " + quote(key) + " was deleted while being read");
    fail(KVPS_PRECONDITION_FAILED,
         "postgres: key " + quote(key) + " changed while being read; open a new reader");
}

std::string prefix_upper_bound(std::string_view prefix) {
    std::string s(prefix);
    while (!s.empty()) {
        // The last code point: back up over continuation bytes.
        size_t start = s.size() - 1;
        while (start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
        auto lead = static_cast<unsigned char>(s[start]);
        size_t len = s.size() - start;
        uint32_t cp = len == 1 ? lead : lead & (0x7F >> len);
        for (size_t i = start + 1; i < s.size(); ++i)
            cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
        s.resize(start);
        ++cp;
        if (cp == 0xD800) cp = 0xE000;  // surrogates are not characters
        if (cp > 0x10FFFF) continue;    // no successor: carry into the previous character
        if (cp < 0x80) {
            s += static_cast<char>(cp);
        } else if (cp < 0x800) {
            s += static_cast<char>(0xC0 | (cp >> 6));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s += static_cast<char>(0xE0 | (cp >> 12));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            s += static_cast<char>(0xF0 | (cp >> 18));
            s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        }
        return s;
    }
    return "";
}

ListResult list_by_level(const ListQuery &query, const PageFn &page) {
    std::string after(query.token.empty() ? query.start_after : query.token);
    if (query.delimiter.empty()) return page(query.prefix, after, query.limit);
    ListResult out;
    size_t items = 0;
    std::string lower(query.prefix);
    for (;;) {
        ListResult rows = page(lower, after, query.limit - items + 1);
        bool skipped = false;
        for (Entry &e : rows.entries) {
            std::string_view folded = common_prefix(e.key, query.prefix, query.delimiter);
            if (folded.empty() || folded > std::string_view(after)) {
                if (items == query.limit) {
                    out.next = after;
                    return out;
                }
                ++items;
                if (folded.empty()) {
                    after = e.key;
                    out.entries.push_back(std::move(e));
                    continue;
                }
                out.prefixes.emplace_back(folded);
                after = folded;
            }
            // The next page starts past every key under the folded prefix.
            lower = prefix_upper_bound(folded);
            if (lower.empty()) return out;
            skipped = true;
            break;
        }
        if (!skipped && rows.next.empty()) return out;
    }
}

std::string resolve_schema(Connection &conn, const std::string &schema) {
    if (!schema.empty()) return schema;
    Result r = conn.exec("SELECT current_schema()");
    if (r.rows() == 0 || r.null(0, 0))
        fail(KVPS_INVALID_OPTION, "postgres: no schema on the search_path of " + conn.where() +
                                      " exists; name one with the schema option");
    return std::string(r.bytes(0, 0));
}

}  // namespace kvps::pg
