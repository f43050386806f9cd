// layout=kvpsbutter: KVPSButter's table, one row per key (keyname text primary key, keyvalue
// bytea, size bigint, last_modified timestamptz), read and written as KVPSButter does. A value
// lives in one bytea, so it is at most 1 GiB and a writer gathers it in memory; readers fetch
// it in slices, staying on the row version (xmin) they opened.
#include <algorithm>
#include <climits>
#include <cstring>

#include "store.hpp"

namespace kvps::pg {
namespace {

constexpr uint64_t kMaxValue = (uint64_t{1} << 30) - 1;  // PostgreSQL's largest field

// The write statements: by condition (none, create_only, if_match), by where the value comes
// from (a parameter, or another key's row: a server-side copy), and with or without properties.
enum Condition { kAny = 0, kCreate = 1, kMatch = 2 };
enum Source { kData = 0, kCopy = 1 };

class ButterStore;

// A reader over slices of one row version's keyvalue.
class SliceReader final : public Reader {
public:
    SliceReader(ButterStore &store, std::string key, std::string xmin, uint64_t size,
                uint64_t start, uint64_t end, std::string first)
        : store_(store),
          key_(std::move(key)),
          xmin_(std::move(xmin)),
          size_(size),
          pos_(start),
          end_(end),
          slice_start_(start),
          slice_(std::move(first)) {}
    size_t read(void *buffer, size_t capacity) override;
    uint64_t value_size() const override { return size_; }
    bool seek(uint64_t offset, uint64_t end) override {
        end_ = std::min(end, size_);
        pos_ = std::min(offset, end_);
        return true;
    }
    std::string etag() const override { return xmin_; }

private:
    ButterStore &store_;
    std::string key_;
    std::string xmin_;
    uint64_t size_, pos_, end_;
    uint64_t slice_start_;
    std::string slice_;
};

class ButterStore final : public TableStore {
public:
    explicit ButterStore(const Settings &s) : TableStore(s) {
        pool_.run([&](Connection &conn) {
            std::string schema = quote_identifier(resolve_schema(conn, s.schema));
            table_ = schema + "." + quote_identifier(s.table);
            props_ = schema + "." + quote_identifier(s.table + "_kvps_props");
            ensure_table(conn);
        });
        const std::string &t = table_;
        prepare_writes();
        // Properties belong to the row version written in the same transaction (equal xmin): a
        // value KVPSButter overwrites has none, without KVPSButter knowing of the table.
        std::string props_columns =
            has_props_ ? "p.content_type, p.metadata" : "NULL::text, NULL::jsonb";
        std::string from = " FROM " + t + " t" +
                           (has_props_ ? " LEFT JOIN " + props_ +
                                             " p ON p.keyname = t.keyname COLLATE \"C\""
                                             " AND p.xmin = t.xmin"
                                       : std::string()) +
                           " WHERE t.keyname = $1::text";
        // The shapes TableStore wants (store.hpp).
        stat_ = {"kb_stat", "SELECT t.size, coalesce(t.last_modified, 'epoch'), t.xmin::text, " +
                                props_columns + from};
        open_ = {"kb_open",
                 "SELECT octet_length(t.keyvalue)::int8, t.xmin::text,"
                 " substring(t.keyvalue FROM $2::int4 FOR $3::int4), " +
                     props_columns + ", coalesce(t.last_modified, 'epoch')" + from};
        std::string source = "SELECT t.size, coalesce(t.last_modified, 'epoch'), t.xmin::text, " +
                             props_columns + from;
        source_share_ = {"kb_source_share", source + " FOR SHARE OF t"};
        source_update_ = {"kb_source_update", source + " FOR UPDATE OF t"};
        slice_ = {"kb_slice", "SELECT substring(keyvalue FROM $2::int4 FOR $3::int4) FROM " + t +
                                  " WHERE keyname = $1::text AND xmin::text = $4::text"};
        delete_ = {"kb_delete", has_props_ ? "WITH p AS (DELETE FROM " + props_ +
                                                 " WHERE keyname = $1::text)"
                                                 " DELETE FROM " +
                                                 t + " WHERE keyname = $1::text"
                                           : "DELETE FROM " + t + " WHERE keyname = $1::text"};
        delete_match_ = {
            "kb_delete_match",
            "DELETE FROM " + t + " WHERE keyname = $1::text AND xmin::text = $2::text RETURNING 1"};
        move_ = {"kb_move", "UPDATE " + t +
                                " SET keyname = $2::text, last_modified = clock_timestamp()"
                                " WHERE keyname = $1::text RETURNING xmin::text"};
        props_put_ = {
            "kb_props_put",
            "INSERT INTO " + props_ +
                " (keyname, content_type, metadata)"
                " VALUES ($1::text, $2::text, $3::jsonb) ON CONFLICT (keyname) DO UPDATE"
                " SET content_type = excluded.content_type, metadata = excluded.metadata"};
        // Byte order whatever the column's collation; with COLLATE "C" (as kvps creates it) the
        // primary key's index serves the range.
        std::string list =
            "SELECT keyname, size, coalesce(last_modified, 'epoch'), xmin::text FROM " + t +
            " WHERE keyname COLLATE \"C\" >= $1::text AND keyname COLLATE \"C\" > $2::text";
        list_open_ = {"kb_list", list + " ORDER BY keyname COLLATE \"C\" LIMIT $3::int8"};
        list_bounded_ = {"kb_list_bounded", list +
                                                " AND keyname COLLATE \"C\" < $3::text"
                                                " ORDER BY keyname COLLATE \"C\" LIMIT $4::int8"};
    }

    // One statement: the row (INSERT ... ON CONFLICT, or UPDATE ... WHERE xmin = etag) and, in
    // a CTE of the same statement, its properties.
    std::string put_with(std::string_view key, const void *data, size_t size,
                         const PutOptions &options) override {
        if (size > kMaxValue)
            fail(KVPS_INVALID_ARGUMENT,
                 "postgres: value of key " + quote(key) + " is " + std::to_string(size) +
                     " bytes; layout=kvpsbutter keeps a value in one bytea of at most 1 GiB - 1");
        Properties properties = options.properties();
        auto write = [&](Connection &conn) {
            std::optional<std::string> made = write_row(
                conn, key, kData, {static_cast<const char *>(data), size}, options, properties);
            if (!made) condition_failed(conn, key, options);
            return *made;
        };
        return options.conditional() ? pool_.run_once(write) : pool_.run(write);
    }

    std::optional<Bytes> get_with(std::string_view key, Metadata &meta) override {
        return pool_.run([&](Connection &conn) -> std::optional<Bytes> {
            Result r = conn.run(open_, position(key, 0, KVPS_TO_END));
            if (r.rows() == 0) return std::nullopt;
            std::string_view data = r.bytes(0, 2);
            meta = Metadata{static_cast<uint64_t>(r.int8(0, 0)), r.time_ns(0, 5),
                            std::string(r.bytes(0, 1)), r.properties(0, 3)};
            return Bytes::copy(data.data(), data.size());
        });
    }

    std::string copy_row(Connection &conn, const Result &, std::string_view from,
                         std::string_view to, const PutOptions &options,
                         const Properties &properties) override {
        std::optional<std::string> made = write_row(conn, to, kCopy, from, options, properties);
        if (!made) condition_failed(conn, to, options);
        return *made;
    }

    // The properties go to the companion table in the same transaction: the same xmin.
    std::string move_row(Connection &conn, std::string_view from, std::string_view to,
                         const Properties &properties) override {
        Result moved = conn.run(move_, Params().text(from).text(to));
        if (!(properties == Properties())) {
            if (!has_props_)
                fail(KVPS_UNSUPPORTED, "postgres: key " + quote(to) + ": table " + props_ +
                                           " does not exist (create=false)");
            conn.run(props_put_, Params().text(to).properties(properties));
        }
        return std::string(moved.bytes(0, 0));
    }

    std::optional<Bytes> get(std::string_view key) override {
        return get_range(key, 0, KVPS_TO_END);
    }

    std::optional<Bytes> get_range(std::string_view key, uint64_t offset,
                                   uint64_t length) override {
        return pool_.run([&](Connection &conn) -> std::optional<Bytes> {
            Result r = conn.run(open_, position(key, offset, length));
            if (r.rows() == 0) return std::nullopt;
            std::string_view data = r.bytes(0, 2);
            return Bytes::copy(data.data(), data.size());
        });
    }

    std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
        uint64_t want = std::min<uint64_t>(length, settings_.chunk_size);
        return pool_.run([&](Connection &conn) -> std::unique_ptr<Reader> {
            Result r = conn.run(open_, position(key, offset, want));
            if (r.rows() == 0) return nullptr;
            auto size = static_cast<uint64_t>(r.int8(0, 0));
            Span64 span = clamp_range(size, offset, length);
            return std::make_unique<SliceReader>(
                *this, std::string(key), std::string(r.bytes(0, 1)), size, span.start,
                span.start + span.count, std::string(r.bytes(0, 2)));
        });
    }

    // The slice [offset, offset + count) of the row version xmin; nullopt when that version is
    // gone.
    std::optional<std::string> slice(std::string_view key, const std::string &xmin, uint64_t offset,
                                     uint64_t count) {
        return pool_.run([&](Connection &conn) -> std::optional<std::string> {
            Params p = position(key, offset, count);
            p.text(xmin);
            Result r = conn.run(slice_, p);
            if (r.rows() == 0) return std::nullopt;
            return std::string(r.bytes(0, 0));
        });
    }

    uint32_t slice_size() const { return settings_.chunk_size; }

private:
    void prepare_writes() {
        const std::string &t = table_;
        static const char *const names[] = {"any", "create", "match"};
        for (int c = kAny; c <= kMatch; ++c) {
            for (int source = kData; source <= kCopy; ++source) {
                for (int with_props = 0; with_props <= 1; ++with_props) {
                    // $1 key, $2 the value (or the key to copy it from), then (if_match) the
                    // etag, then (with properties) content type and metadata.
                    int next = 3;
                    std::string etag = c == kMatch ? "$" + std::to_string(next++) + "::text" : "";
                    std::string value = source == kCopy ? "(SELECT s.keyvalue FROM " + t +
                                                              " s WHERE s.keyname = $2::text)"
                                                        : std::string("$2::bytea");
                    std::string sql;
                    if (c == kMatch) {
                        sql = "UPDATE " + t + " SET keyvalue = " + value +
                              ", size = octet_length(" + value +
                              "), last_modified = clock_timestamp() WHERE keyname = $1::text AND "
                              "xmin::text = " +
                              etag;
                    } else {
                        sql = "INSERT INTO " + t +
                              " (keyname, keyvalue, size, last_modified) VALUES ($1::text, " +
                              value + ", octet_length(" + value +
                              "), clock_timestamp()) ON CONFLICT (keyname) DO ";
                        sql +=
                            c == kCreate
                                ? "NOTHING"
                                : "UPDATE SET keyvalue = excluded.keyvalue, size = excluded.size,"
                                  " last_modified = excluded.last_modified";
                    }
                    sql += " RETURNING xmin::text AS etag";
                    if (with_props) {
                        std::string type = "$" + std::to_string(next) + "::text";
                        std::string meta = "$" + std::to_string(next + 1) + "::jsonb";
                        sql = "WITH w AS (" + sql + "), p AS (INSERT INTO " + props_ +
                              " (keyname, content_type, metadata) SELECT $1::text, " + type + ", " +
                              meta +
                              " FROM w ON CONFLICT (keyname) DO UPDATE SET content_type = "
                              "excluded.content_type,"
                              " metadata = excluded.metadata) SELECT etag FROM w";
                    }
                    write_[c][source][with_props] = {std::string("kb_write_") + names[c] +
                                                         (source == kCopy ? "_copy" : "") +
                                                         (with_props ? "_props" : ""),
                                                     sql};
                }
            }
        }
    }

    // The etag written, or nullopt when options' condition did not hold.
    std::optional<std::string> write_row(Connection &conn, std::string_view key, Source source,
                                         std::string_view value, const PutOptions &options,
                                         const Properties &properties) {
        bool with_props = !(properties == Properties());
        if (with_props && !has_props_)
            fail(KVPS_UNSUPPORTED, "postgres: key " + quote(key) + ": table " + props_ +
                                       " (a KVPSButter table's content types and metadata) does "
                                       "not exist (create=false)");
        Condition condition = options.create_only        ? kCreate
                              : options.if_match.empty() ? kAny
                                                         : kMatch;
        Params p;
        p.text(key);
        if (source == kCopy)
            p.text(value);
        else
            p.bytes(value.data(), value.size());
        if (condition == kMatch) p.text(options.if_match);
        if (with_props) p.properties(properties);
        Result r = conn.run(write_[condition][source][with_props], p);
        if (r.rows() == 0) return std::nullopt;
        return std::string(r.bytes(0, 0));
    }

    // key, 1-based start and count for substring(); a value is under 1 GiB, so int4 reaches past
    // it.
    static Params position(std::string_view key, uint64_t offset, uint64_t length) {
        Params p;
        p.text(key)
            .int4(static_cast<int32_t>(std::min<uint64_t>(offset, INT32_MAX - 1) + 1))
            .int4(static_cast<int32_t>(std::min<uint64_t>(length, INT32_MAX)));
        return p;
    }

    void ensure_table(Connection &conn) {
        Result exists = conn.run({"kb_exists", "SELECT to_regclass($1::text) IS NOT NULL"},
                                 Params().text(table_));
        if (exists.boolean(0, 0)) {
            try {
                conn.exec("SELECT keyname, keyvalue, size, last_modified FROM " + table_ +
                          " LIMIT 0");
            } catch (const Error &e) {
                fail(KVPS_INVALID_ARGUMENT, "postgres: table " + table_ +
                                                " is not a KVPSButter table "
                                                "(keyname, keyvalue, size, last_modified): " +
                                                e.message());
            }
            ensure_props(conn);
            return;
        }
        if (!settings_.create)
            fail(KVPS_NOT_FOUND, "postgres: table " + table_ + " does not exist on " +
                                     conn.where() + " (create=false)");
        // KVPSButter's table, with keys in byte order so listing uses the primary key's index.
        conn.exec("CREATE TABLE IF NOT EXISTS " + table_ +
                  " (\n"
                  "  keyname text COLLATE \"C\" PRIMARY KEY,\n"
                  "  keyvalue bytea NOT NULL,\n"
                  "  size bigint NOT NULL,\n"
                  "  last_modified timestamptz DEFAULT CURRENT_TIMESTAMP)");
        ensure_props(conn);
    }

    // The companion table of content types and metadata (KVPSButter's own table is left as it
    // is): created beside the table unless create=false.
    void ensure_props(Connection &conn) {
        has_props_ = conn.run({"kb_props_exists", "SELECT to_regclass($1::text) IS NOT NULL"},
                              Params().text(props_))
                         .boolean(0, 0);
        if (has_props_ || !settings_.create) return;
        conn.exec("CREATE TABLE IF NOT EXISTS " + props_ +
                  " (\n"
                  "  keyname text COLLATE \"C\" PRIMARY KEY,\n"
                  "  content_type text,\n"
                  "  metadata jsonb)");
        has_props_ = true;
    }

    std::string table_, props_;
    bool has_props_ = false;
    Statement write_[3][2][2], open_, slice_, move_, props_put_;
};

size_t SliceReader::read(void *buffer, size_t capacity) {
    if (pos_ >= end_ || capacity == 0) return 0;
    if (pos_ < slice_start_ || pos_ >= slice_start_ + slice_.size()) {
        std::optional<std::string> next =
            store_.slice(key_, xmin_, pos_, std::min<uint64_t>(end_ - pos_, store_.slice_size()));
        if (!next || next->empty()) store_.vanished(key_);
        slice_start_ = pos_;
        slice_ = std::move(*next);
    }
    size_t n = static_cast<size_t>(
        std::min<uint64_t>({capacity, end_ - pos_, slice_start_ + slice_.size() - pos_}));
    std::memcpy(buffer, slice_.data() + (pos_ - slice_start_), n);
    pos_ += n;
    return n;
}

}  // namespace

std::unique_ptr<Backend> open_kvpsbutter_store(const Settings &settings) {
    return std::make_unique<ButterStore>(settings);
}

}  // namespace kvps::pg
