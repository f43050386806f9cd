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

class ButterStore;

// A reader over slices of one row version's keyvalue.
class SliceReader final : public Reader {
public:
    SliceReader(ButterStore &store, std::string key, std::string xmin, uint64_t size, uint64_t start,
                uint64_t end, std::string first)
        : store_(store), key_(std::move(key)), xmin_(std::move(xmin)), size_(size), pos_(start), end_(end),
          slice_start_(start), slice_(std::move(first)) {}
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

class ButterStore final : public Backend {
public:
    explicit ButterStore(const Settings &s) : settings_(s), pool_(s.connect, s.pool_size, s.pool_timeout) {
        pool_.run([&](Connection &conn) {
            table_ = quote_identifier(resolve_schema(conn, s.schema)) + "." + quote_identifier(s.table);
            ensure_table(conn);
        });
        const std::string &t = table_;
        put_ = {"kb_put", "INSERT INTO " + t + " (keyname, keyvalue, size, last_modified)"
                          " VALUES ($1::text, $2::bytea, octet_length($2::bytea), clock_timestamp())"
                          " ON CONFLICT (keyname) DO UPDATE SET keyvalue = excluded.keyvalue,"
                          " size = excluded.size, last_modified = excluded.last_modified"};
        stat_ = {"kb_stat", "SELECT size, coalesce(last_modified, 'epoch'), xmin::text FROM " + t +
                                " WHERE keyname = $1::text"};
        open_ = {"kb_open", "SELECT octet_length(keyvalue)::int8, xmin::text, substring(keyvalue FROM $2::int4 FOR $3::int4)"
                            " FROM " + t + " WHERE keyname = $1::text"};
        slice_ = {"kb_slice", "SELECT substring(keyvalue FROM $2::int4 FOR $3::int4) FROM " + t +
                                  " WHERE keyname = $1::text AND xmin::text = $4::text"};
        delete_ = {"kb_delete", "DELETE FROM " + t + " WHERE keyname = $1::text"};
        // Byte order whatever the column's collation; with COLLATE "C" (as kvps creates it) the
        // primary key's index serves the range.
        std::string list = "SELECT keyname, size, coalesce(last_modified, 'epoch'), xmin::text FROM " + t +
                           " WHERE keyname COLLATE \"C\" >= $1::text AND keyname COLLATE \"C\" > $2::text";
        list_open_ = {"kb_list", list + " ORDER BY keyname COLLATE \"C\" LIMIT $3::int8"};
        list_bounded_ = {"kb_list_bounded", list + " AND keyname COLLATE \"C\" < $3::text"
                                                   " ORDER BY keyname COLLATE \"C\" LIMIT $4::int8"};
    }

    void put(std::string_view key, const void *data, size_t size) override {
        if (size > kMaxValue)
            fail(KVPS_INVALID_ARGUMENT, "postgres: value of key " + quote(key) + " is " + std::to_string(size) +
                                            " bytes; layout=kvpsbutter keeps a value in one bytea of at most 1 GiB - 1");
        pool_.run([&](Connection &conn) { conn.run(put_, Params().text(key).bytes(data, size)); });
    }

    std::optional<Bytes> get(std::string_view key) override { return get_range(key, 0, KVPS_TO_END); }

    std::optional<Bytes> get_range(std::string_view key, uint64_t offset, uint64_t length) override {
        return pool_.run([&](Connection &conn) -> std::optional<Bytes> {
            Result r = conn.run(open_, position(key, offset, length));
            if (r.rows() == 0) return std::nullopt;
            std::string_view data = r.bytes(0, 2);
            return Bytes::copy(data.data(), data.size());
        });
    }

    std::optional<Metadata> stat(std::string_view key) override {
        return pool_.run([&](Connection &conn) -> std::optional<Metadata> {
            Result r = conn.run(stat_, Params().text(key));
            if (r.rows() == 0) return std::nullopt;
            return Metadata{static_cast<uint64_t>(r.int8(0, 0)), r.time_ns(0, 1), std::string(r.bytes(0, 2))};
        });
    }

    void remove(std::string_view key) override {
        pool_.run([&](Connection &conn) { conn.run(delete_, Params().text(key)); });
    }

    ListResult list(std::string_view prefix, std::string_view token, size_t limit) override {
        std::string upper = prefix_upper_bound(prefix);
        size_t capped = std::min<size_t>(limit, INT32_MAX);
        return pool_.run([&](Connection &conn) {
            Params p;
            p.text(prefix).text(token);
            if (!upper.empty()) p.text(upper);
            p.int8(static_cast<int64_t>(capped) + 1);
            Result r = conn.run(upper.empty() ? list_open_ : list_bounded_, p);
            ListResult out;
            int rows = std::min<int>(r.rows(), static_cast<int>(capped));
            for (int i = 0; i < rows; ++i)
                out.entries.push_back(Entry{std::string(r.bytes(i, 0)), static_cast<uint64_t>(r.int8(i, 1)),
                                            r.time_ns(i, 2), std::string(r.bytes(i, 3))});
            if (r.rows() > rows) out.next = out.entries.back().key;
            return out;
        });
    }

    std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset, uint64_t length) override {
        uint64_t want = std::min<uint64_t>(length, settings_.chunk_size);
        return pool_.run([&](Connection &conn) -> std::unique_ptr<Reader> {
            Result r = conn.run(open_, position(key, offset, want));
            if (r.rows() == 0) return nullptr;
            auto size = static_cast<uint64_t>(r.int8(0, 0));
            Span64 span = clamp_range(size, offset, length);
            return std::make_unique<SliceReader>(*this, std::string(key), std::string(r.bytes(0, 1)), size,
                                                 span.start, span.start + span.count, std::string(r.bytes(0, 2)));
        });
    }

    // The slice [offset, offset + count) of the row version xmin; nullopt when that version is gone.
    std::optional<std::string> slice(std::string_view key, const std::string &xmin, uint64_t offset, uint64_t count) {
        return pool_.run([&](Connection &conn) -> std::optional<std::string> {
            Params p = position(key, offset, count);
            p.text(xmin);
            Result r = conn.run(slice_, p);
            if (r.rows() == 0) return std::nullopt;
            return std::string(r.bytes(0, 0));
        });
    }

    [[noreturn]] void vanished(std::string_view key) {
        if (!stat(key)) fail(KVPS_NOT_FOUND, "postgres: key " + quote(key) + " was deleted while being read");
        fail(KVPS_PRECONDITION_FAILED, "postgres: key " + quote(key) + " changed while being read; open a new reader");
    }

    uint32_t slice_size() const { return settings_.chunk_size; }

private:
    // key, 1-based start and count for substring(); a value is under 1 GiB, so int4 reaches past it.
    static Params position(std::string_view key, uint64_t offset, uint64_t length) {
        Params p;
        p.text(key)
            .int4(static_cast<int32_t>(std::min<uint64_t>(offset, INT32_MAX - 1) + 1))
            .int4(static_cast<int32_t>(std::min<uint64_t>(length, INT32_MAX)));
        return p;
    }

    void ensure_table(Connection &conn) {
        Result exists = conn.run({"kb_exists", "SELECT to_regclass($1::text) IS NOT NULL"}, Params().text(table_));
        if (exists.boolean(0, 0)) {
            try {
                conn.exec("SELECT keyname, keyvalue, size, last_modified FROM " + table_ + " LIMIT 0");
            } catch (const Error &e) {
                fail(KVPS_INVALID_ARGUMENT, "postgres: table " + table_ + " is not a KVPSButter table "
                                            "(keyname, keyvalue, size, last_modified): " + e.message());
            }
            return;
        }
        if (!settings_.create)
            fail(KVPS_NOT_FOUND, "postgres: table " + table_ + " does not exist on " + conn.where() + " (create=false)");
        // KVPSButter's table, with keys in byte order so listing uses the primary key's index.
        conn.exec("CREATE TABLE IF NOT EXISTS " + table_ + " (\n"
                  "  keyname text COLLATE \"C\" PRIMARY KEY,\n"
                  "  keyvalue bytea NOT NULL,\n"
                  "  size bigint NOT NULL,\n"
                  "  last_modified timestamptz DEFAULT CURRENT_TIMESTAMP)");
    }

    Settings settings_;
    Pool pool_;
    std::string table_;
    Statement put_, stat_, open_, slice_, delete_, list_open_, list_bounded_;
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
    size_t n = static_cast<size_t>(std::min<uint64_t>({capacity, end_ - pos_, slice_start_ + slice_.size() - pos_}));
    std::memcpy(buffer, slice_.data() + (pos_ - slice_start_), n);
    pos_ += n;
    return n;
}

}  // namespace

std::unique_ptr<Backend> open_kvpsbutter_store(const Settings &settings) {
    return std::make_unique<ButterStore>(settings);
}

}  // namespace kvps::pg
