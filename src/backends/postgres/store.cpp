// kvps's own table layout: one row per key in the key table, holding the value itself up to
// chunk_size bytes, else naming a version whose chunk rows hold it. See README.md for the schema
// and why chunked rows rather than large objects.
#include "store.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <unordered_map>

#include "spi/log.hpp"
#include "spi/part_buffer.hpp"

namespace kvps::pg {
namespace {

constexpr int kSchemaVersion = 2;       // 2 added content_type and metadata
constexpr size_t kPipelineGroup = 256;  // statements in flight per pipeline round trip

// Quoted, schema-qualified names of everything the layout uses.
struct Names {
    std::string table, chunks, meta, sequence, function;
    std::string table_text, meta_text;  // the same as text, for to_regclass()
    std::string sequence_literal;       // as a literal for nextval()
    std::string lock_key;               // names the advisory lock taken while creating
};

Names make_names(const std::string &schema, const std::string &table) {
    auto qualified = [&](const std::string &name) {
        return quote_identifier(schema) + "." + quote_identifier(name);
    };
    Names n;
    n.table = qualified(table);
    n.chunks = qualified(table + "_chunks");
    n.meta = qualified(table + "_meta");
    n.sequence = qualified(table + "_version");
    n.function = qualified(table + "_drop_chunks");
    n.table_text = n.table;
    n.meta_text = n.meta;
    n.sequence_literal = quote_literal(n.sequence);
    n.lock_key = "kvps schema " + n.table;
    return n;
}

std::string etag_of(int64_t version) { return std::to_string(version); }

// The version an etag names; nullopt for text that is no etag of this layout (so it matches
// no value).
std::optional<int64_t> version_of(std::string_view etag) {
    if (etag.empty() || etag.size() > 18) return std::nullopt;
    int64_t v = 0;
    for (char c : etag) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

// The write statements: by condition (none, create_only, if_match) and by where the value
// comes from (a parameter, or the row of another key: a server-side copy).
enum Condition { kAny = 0, kCreate = 1, kMatch = 2 };
enum Source { kData = 0, kCopy = 1 };

Condition condition_of(const PutOptions &options) {
    return options.create_only ? kCreate : options.if_match.empty() ? kAny : kMatch;
}

// What write_row stores in a key's row.
struct RowValue {
    std::optional<int64_t> version;  // a chunked value's version; nullopt: a new one
    uint64_t size = 0;
    uint32_t chunk_size = 0;  // 0: the value is in the row
    std::string_view data;    // the bytes of an inline value, or (copy) the source key
    Source source = kData;
};

// One pass over a range of one version's chunks, in order; false when some are missing (the
// version was replaced or deleted since).
using ChunkFn = std::function<void(int32_t n, std::string_view data)>;

class PgStore;

// A reader over a value held in the key row: the requested range was fetched at open.
class InlineReader final : public Reader {
public:
    // data points into result, which the reader keeps (no copy of the value).
    InlineReader(Result result, std::string_view data, uint64_t start, uint64_t value_size,
                 std::string etag)
        : result_(std::move(result)),
          data_(data),
          start_(start),
          value_size_(value_size),
          etag_(std::move(etag)) {}
    size_t read(void *buffer, size_t capacity) override {
        size_t n = std::min(capacity, end_ - pos_);
        std::memcpy(buffer, data_.data() + pos_, n);
        pos_ += n;
        return n;
    }
    uint64_t value_size() const override { return value_size_; }
    bool seek(uint64_t offset, uint64_t end) override {
        if (offset < start_ || end > start_ + data_.size()) return false;
        end_ = static_cast<size_t>(end - start_);
        pos_ = static_cast<size_t>(std::min(offset, end) - start_);
        return true;
    }
    std::string etag() const override { return etag_; }

private:
    Result result_;
    std::string_view data_;
    uint64_t start_;
    size_t pos_ = 0;
    size_t end_ = data_.size();
    uint64_t value_size_;
    std::string etag_;
};

class PgStore final : public TableStore {
public:
    explicit PgStore(const Settings &s) : TableStore(s) {
        pool_.run([&](Connection &conn) {
            names_ = make_names(resolve_schema(conn, s.schema), s.table);
            ensure_schema(conn);
        });
        prepare_statements();
    }

    // ---- values

    // A put is one statement (a conditional one an INSERT ... ON CONFLICT DO NOTHING or an
    // UPDATE ... WHERE version = etag, atomic against every other writer); a value over
    // chunk_size goes through a writer, whose transaction checks the condition at commit.
    std::string put_with(std::string_view key, const void *data, size_t size,
                         const PutOptions &options) override {
        if (size > settings_.chunk_size) {
            std::unique_ptr<Writer> writer = open_writer_with(key, options);
            writer->write(data, size);
            writer->commit();
            return writer->etag();
        }
        RowValue value{std::nullopt, size, 0, {static_cast<const char *>(data), size}, kData};
        Properties properties = options.properties();
        auto write = [&](Connection &conn) {
            std::optional<int64_t> made = write_row(conn, key, value, options, properties);
            if (!made) condition_failed(conn, key, options);
            return etag_of(*made);
        };
        // A conditional write is never repeated: after a lost connection its outcome is unknown.
        return options.conditional() ? pool_.run_once(write) : pool_.run(write);
    }

    std::optional<Bytes> get(std::string_view key) override {
        return read(key, 0, KVPS_TO_END, nullptr);
    }

    std::optional<Bytes> get_range(std::string_view key, uint64_t offset,
                                   uint64_t length) override {
        return read(key, offset, length, nullptr);
    }

    std::optional<Bytes> get_with(std::string_view key, Metadata &meta) override {
        return read(key, 0, KVPS_TO_END, &meta);
    }

    // A chunked value's chunks are copied under a new version.
    std::string copy_row(Connection &conn, const Result &source, std::string_view from,
                         std::string_view to, const PutOptions &options,
                         const Properties &properties) override {
        RowValue value{std::nullopt, static_cast<uint64_t>(source.int8(0, 1)),
                       static_cast<uint32_t>(source.int4(0, 2)), from, kCopy};
        if (value.chunk_size > 0) {
            value.version = conn.run(next_version_).int8(0, 0);
            conn.run(copy_chunks_, Params().int8(*value.version).int8(source.int8(0, 0)));
        }
        std::optional<int64_t> made = write_row(conn, to, value, options, properties);
        if (!made) condition_failed(conn, to, options);
        return etag_of(*made);
    }

    // The row keeps its version (its etag) and its chunks.
    std::string move_row(Connection &conn, std::string_view from, std::string_view to,
                         const Properties &properties) override {
        Result moved = conn.run(move_, Params().text(from).text(to).properties(properties));
        return etag_of(moved.int8(0, 0));
    }

    // The version written, or nullopt when options' condition did not hold.
    std::optional<int64_t> write_row(Connection &conn, std::string_view key, const RowValue &value,
                                     const PutOptions &options, const Properties &properties) {
        Condition condition = condition_of(options);
        std::optional<int64_t> expected;
        if (condition == kMatch && !(expected = version_of(options.if_match))) return std::nullopt;
        Params p;
        p.text(key);
        if (value.version)
            p.int8(*value.version);
        else
            p.null();
        p.int8(static_cast<int64_t>(value.size)).int4(static_cast<int32_t>(value.chunk_size));
        if (value.source == kCopy)
            p.text(value.data);
        else if (value.chunk_size > 0)
            p.null();  // the value is in chunk rows
        else
            p.bytes(value.data.data(), value.data.size());
        p.properties(properties);
        if (expected) p.int8(*expected);
        Result r = conn.run(write_[condition][value.source], p);
        if (r.rows() == 0) return std::nullopt;
        return r.int8(0, 0);
    }

    // A whole value or a range, and (when meta is given) the metadata of that same version.
    std::optional<Bytes> read(std::string_view key, uint64_t offset, uint64_t length,
                              Metadata *meta) {
        // A chunked value replaced while its chunks are fetched is fetched again.
        for (int attempt = 0;; ++attempt) {
            try {
                std::unique_ptr<Reader> reader = open(key, offset, length, meta);
                if (!reader) return std::nullopt;
                Span64 span = clamp_range(reader->value_size(), offset, length);
                Bytes out(static_cast<size_t>(span.count));
                size_t done = 0;
                while (done < out.size()) {
                    size_t n = reader->read(out.data() + done, out.size() - done);
                    if (n == 0)
                        fail(KVPS_INTERNAL,
                             "postgres: value of key " + quote(key) + " ended early");
                    done += n;
                }
                return out;
            } catch (const Error &e) {
                if (e.status() != KVPS_PRECONDITION_FAILED || attempt >= 4) throw;
            }
        }
    }

    // ---- streams

    std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
        return open(key, offset, length, nullptr);
    }
    std::unique_ptr<Reader> open(std::string_view key, uint64_t offset, uint64_t length,
                                 Metadata *meta);
    std::unique_ptr<Writer> open_writer(std::string_view key) override {
        return open_writer_with(key, PutOptions());
    }
    std::unique_ptr<Writer> open_writer_with(std::string_view key,
                                             const PutOptions &options) override;

    // ---- batches

    void put_many(std::span<PutItem> items) override;
    void get_many(std::span<GetItem> items) override;

    void delete_many(std::span<DeleteItem> items) override {
        std::vector<std::string_view> keys;
        for (const DeleteItem &item : items) keys.push_back(item.key);
        try {
            pool_.run([&](Connection &conn) { conn.run(delete_many_, Params().text_array(keys)); });
            for (DeleteItem &item : items) item.status = KVPS_OK;
        } catch (...) {
            std::string message;
            kvps_status status = record_failure(message);
            for (DeleteItem &item : items) item.status = status, item.error = message;
        }
    }

    // Calls fn for chunks first..last of version in order; false when any is missing.
    bool fetch_chunks(int64_t version, int32_t first, int32_t last, const ChunkFn &fn) {
        return pool_.run([&](Connection &conn) {
            Result r = conn.run(chunks_, Params().int8(version).int4(first).int4(last));
            if (r.rows() != last - first + 1) return false;
            for (int i = 0; i < r.rows(); ++i) fn(r.int4(i, 0), r.bytes(i, 1));
            return true;
        });
    }

    const Settings &settings() const { return settings_; }
    Pool &pool() { return pool_; }
    const Names &names() const { return names_; }
    const Statement &next_version() const { return next_version_; }

private:
    void ensure_schema(Connection &conn);
    void prepare_statements();

    Names names_;
    Statement write_[3][2], next_version_, open_, chunks_, delete_many_, get_many_, copy_chunks_,
        move_;
};

void PgStore::ensure_schema(Connection &conn) {
    const Names &n = names_;
    in_transaction(conn, [&] {
        // Serializes creators, so two processes opening a new store at once both succeed.
        conn.run(
            {"kvps_schema_lock", "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))"},
            Params().text(n.lock_key));
        Result exists = conn.run({"kvps_schema_exists",
                                  "SELECT to_regclass($1::text) IS NOT NULL, "
                                  "to_regclass($2::text) IS NOT NULL"},
                                 Params().text(n.table_text).text(n.meta_text));
        bool has_table = exists.boolean(0, 0), has_meta = exists.boolean(0, 1);
        if (has_table && !has_meta)
            fail(KVPS_INVALID_ARGUMENT, "postgres: table " + n.table + " on " + conn.where() +
                                            " exists but is not a kvps store (it has no " + n.meta +
                                            "); for a KVPSButter table use ?layout=kvpsbutter");
        if (has_table) {
            Result v = conn.run({"kvps_schema_version",
                                 "SELECT value FROM " + n.meta + " WHERE name = 'schema_version'"});
            int version = v.rows() ? std::atoi(std::string(v.bytes(0, 0)).c_str()) : 0;
            if (version == 1) {
                // 1 -> 2: content type and user metadata (nullable columns: no table rewrite).
                conn.exec("ALTER TABLE " + n.table +
                          " ADD COLUMN IF NOT EXISTS content_type text,"
                          " ADD COLUMN IF NOT EXISTS metadata jsonb");
                conn.exec("UPDATE " + n.meta + " SET value = '2' WHERE name = 'schema_version'");
                if (log_enabled(KVPS_LOG_INFO))
                    log(KVPS_LOG_INFO,
                        "postgres: migrated table " + n.table + " to kvps schema version 2");
                version = 2;
            }
            if (version != kSchemaVersion)
                fail(KVPS_UNSUPPORTED, "postgres: table " + n.table + " has kvps schema version " +
                                           std::to_string(version) + "; this kvps reads version " +
                                           std::to_string(kSchemaVersion));
            return;
        }
        if (!settings_.create)
            fail(KVPS_NOT_FOUND, "postgres: table " + n.table + " does not exist on " +
                                     conn.where() + " (create=false)");
        conn.exec("CREATE TABLE " + n.table +
                  " (\n"
                  "  key text COLLATE \"C\" PRIMARY KEY,\n"
                  "  version bigint NOT NULL,\n"
                  "  size bigint NOT NULL,\n"
                  "  mtime timestamptz NOT NULL,\n"
                  "  chunk_size integer NOT NULL,\n"
                  "  data bytea,\n"
                  "  content_type text,\n"
                  "  metadata jsonb,\n"
                  "  CHECK ((chunk_size = 0) = (data IS NOT NULL)))");
        conn.exec("ALTER TABLE " + n.table + " ALTER COLUMN data SET STORAGE EXTERNAL");
        conn.exec("CREATE TABLE " + n.chunks +
                  " (\n"
                  "  version bigint NOT NULL,\n"
                  "  n integer NOT NULL,\n"
                  "  data bytea NOT NULL,\n"
                  "  PRIMARY KEY (version, n))");
        conn.exec("ALTER TABLE " + n.chunks + " ALTER COLUMN data SET STORAGE EXTERNAL");
        conn.exec("CREATE SEQUENCE " + n.sequence);
        conn.exec("CREATE FUNCTION " + n.function +
                  "() RETURNS trigger LANGUAGE plpgsql AS $kvps$\n"
                  "BEGIN\n"
                  "  DELETE FROM " +
                  n.chunks +
                  " WHERE version = OLD.version;\n"
                  "  RETURN NULL;\n"
                  "END\n"
                  "$kvps$");
        conn.exec("CREATE TRIGGER kvps_drop_chunks_on_delete AFTER DELETE ON " + n.table +
                  " FOR EACH ROW WHEN (OLD.chunk_size > 0) EXECUTE FUNCTION " + n.function + "()");
        conn.exec("CREATE TRIGGER kvps_drop_chunks_on_update AFTER UPDATE ON " + n.table +
                  " FOR EACH ROW WHEN (OLD.chunk_size > 0 AND OLD.version <> NEW.version)"
                  " EXECUTE FUNCTION " +
                  n.function + "()");
        conn.exec("CREATE TABLE " + n.meta + " (name text PRIMARY KEY, value text NOT NULL)");
        conn.exec("INSERT INTO " + n.meta + " VALUES ('schema_version', '" +
                  std::to_string(kSchemaVersion) +
                  "'), ('created_by', 'kvps " KVPS_VERSION_STRING "')");
        if (log_enabled(KVPS_LOG_INFO)) log(KVPS_LOG_INFO, "postgres: created table " + n.table);
    });
}

void PgStore::prepare_statements() {
    const Names &n = names_;
    // $1 key, $2 version (NULL: a new one), $3 size, $4 chunk_size, $5 the value (or the key to
    // copy it from), $6 content type, $7 metadata, $8 (if_match) the expected version.
    static const char *const condition_names[] = {"any", "create", "match"};
    for (int c = kAny; c <= kMatch; ++c) {
        for (int source = kData; source <= kCopy; ++source) {
            std::string version = "coalesce($2::int8, nextval(" + n.sequence_literal + "))";
            std::string value =
                source == kCopy ? "(SELECT s.data FROM " + n.table + " s WHERE s.key = $5::text)"
                                : std::string("$5::bytea");
            std::string sql;
            if (c == kMatch) {
                sql = "UPDATE " + n.table + " SET version = " + version +
                      ", size = $3::int8, mtime = clock_timestamp(),"
                      " chunk_size = $4::int4, data = " +
                      value +
                      ", content_type = $6::text, metadata = $7::jsonb"
                      " WHERE key = $1::text AND version = $8::int8";
            } else {
                sql = "INSERT INTO " + n.table +
                      " AS t (key, version, size, mtime, chunk_size, data, content_type, metadata)"
                      " VALUES ($1::text, " +
                      version + ", $3::int8, clock_timestamp(), $4::int4, " + value +
                      ", $6::text, $7::jsonb) ON CONFLICT (key) DO ";
                sql += c == kCreate
                           ? "NOTHING"
                           : "UPDATE SET version = excluded.version, size = excluded.size, mtime = "
                             "excluded.mtime,"
                             " chunk_size = excluded.chunk_size, data = excluded.data,"
                             " content_type = excluded.content_type, metadata = excluded.metadata";
            }
            write_[c][source] = {
                std::string("kvps_write_") + condition_names[c] + (source == kCopy ? "_copy" : ""),
                sql + " RETURNING version"};
        }
    }
    next_version_ = {"kvps_next_version", "SELECT nextval(" + n.sequence_literal + ")"};
    stat_ = {"kvps_stat", "SELECT size, mtime, version::text, content_type, metadata FROM " +
                              n.table + " WHERE key = $1::text"};
    open_ = {"kvps_open",
             "SELECT version, size, mtime, chunk_size, substring(data FROM $2::int4 FOR $3::int4),"
             " content_type, metadata FROM " +
                 n.table + " WHERE key = $1::text"};
    std::string source = "SELECT version, size, chunk_size, content_type, metadata FROM " +
                         n.table + " WHERE key = $1::text";
    source_share_ = {"kvps_source_share", source + " FOR SHARE"};
    source_update_ = {"kvps_source_update", source + " FOR UPDATE"};
    copy_chunks_ = {"kvps_copy_chunks", "INSERT INTO " + n.chunks +
                                            " (version, n, data) SELECT $1::int8, n, data FROM " +
                                            n.chunks + " WHERE version = $2::int8"};
    delete_match_ = {"kvps_delete_match",
                     "DELETE FROM " + n.table +
                         " WHERE key = $1::text AND version::text = $2::text RETURNING 1"};
    move_ = {"kvps_move",
             "UPDATE " + n.table +
                 " SET key = $2::text, mtime = clock_timestamp(), content_type = $3::text,"
                 " metadata = $4::jsonb WHERE key = $1::text RETURNING version"};
    chunks_ = {"kvps_chunks",
               "SELECT n, data FROM " + n.chunks +
                   " WHERE version = $1::int8 AND n >= $2::int4 AND n <= $3::int4 ORDER BY n"};
    delete_ = {"kvps_delete", "DELETE FROM " + n.table + " WHERE key = $1::text"};
    delete_many_ = {"kvps_delete_many", "DELETE FROM " + n.table + " WHERE key = ANY($1::text[])"};
    get_many_ = {"kvps_get_many", "SELECT key, version, size, chunk_size, data FROM " + n.table +
                                      " WHERE key = ANY($1::text[])"};
    std::string list = "SELECT key, size, mtime, version::text FROM " + n.table +
                       " WHERE key >= $1::text AND key > $2::text";
    list_open_ = {"kvps_list", list + " ORDER BY key LIMIT $3::int8"};
    list_bounded_ = {"kvps_list_bounded", list + " AND key < $3::text ORDER BY key LIMIT $4::int8"};
}

// ---- readers

// A reader over a chunked value: it fetches the chunks of the version it opened, one at a time,
// so it never mixes versions; when they are gone it fails rather than read another version.
class ChunkReader final : public Reader {
public:
    ChunkReader(PgStore &store, std::string key, int64_t version, uint64_t size,
                uint32_t chunk_size, uint64_t start, uint64_t end)
        : store_(store),
          key_(std::move(key)),
          version_(version),
          size_(size),
          chunk_size_(chunk_size),
          pos_(start),
          end_(end) {}

    size_t read(void *buffer, size_t capacity) override {
        if (pos_ >= end_ || capacity == 0) return 0;
        auto index = static_cast<int32_t>(pos_ / chunk_size_);
        if (index != chunk_index_) {
            chunk_.clear();
            bool ok =
                store_.fetch_chunks(version_, index, index,
                                    [&](int32_t, std::string_view data) { chunk_.assign(data); });
            if (!ok) store_.vanished(key_);
            chunk_index_ = index;
        }
        uint64_t in_chunk = pos_ - static_cast<uint64_t>(index) * chunk_size_;
        if (in_chunk >= chunk_.size())
            fail(KVPS_CORRUPT, "postgres: chunk " + std::to_string(index) + " of key " +
                                   quote(key_) + " is short");
        size_t n = static_cast<size_t>(
            std::min<uint64_t>({capacity, end_ - pos_, chunk_.size() - in_chunk}));
        std::memcpy(buffer, chunk_.data() + in_chunk, n);
        pos_ += n;
        return n;
    }
    uint64_t value_size() const override { return size_; }
    bool seek(uint64_t offset, uint64_t end) override {
        end_ = std::min(end, size_);
        pos_ = std::min(offset, end_);
        return true;
    }
    std::string etag() const override { return etag_of(version_); }

private:
    PgStore &store_;
    std::string key_;
    int64_t version_;
    uint64_t size_;
    uint32_t chunk_size_;
    uint64_t pos_, end_;
    std::string chunk_;
    int32_t chunk_index_ = -1;
};

std::unique_ptr<Reader> PgStore::open(std::string_view key, uint64_t offset, uint64_t length,
                                      Metadata *meta) {
    // Inline values are at most chunk_size (<= 256 MiB) bytes: int4 positions reach past them.
    auto from = static_cast<int32_t>(std::min<uint64_t>(offset, INT32_MAX - 1) + 1);
    auto count = static_cast<int32_t>(std::min<uint64_t>(length, INT32_MAX));
    return pool_.run([&](Connection &conn) -> std::unique_ptr<Reader> {
        Result r = conn.run(open_, Params().text(key).int4(from).int4(count));
        if (r.rows() == 0) return nullptr;
        int64_t version = r.int8(0, 0);
        auto size = static_cast<uint64_t>(r.int8(0, 1));
        auto chunk_size = static_cast<uint32_t>(r.int4(0, 3));
        Span64 span = clamp_range(size, offset, length);
        if (meta) *meta = Metadata{size, r.time_ns(0, 2), etag_of(version), r.properties(0, 5)};
        if (chunk_size == 0) {
            std::string_view data = r.bytes(0, 4);  // stays valid: the reader keeps the result
            return std::make_unique<InlineReader>(std::move(r), data, span.start, size,
                                                  etag_of(version));
        }
        return std::make_unique<ChunkReader>(*this, std::string(key), version, size, chunk_size,
                                             span.start, span.start + span.count);
    });
}

// ---- writers

// A writer that keeps up to chunk_size bytes; a longer value goes, chunk by chunk, through COPY
// into the chunk table inside one transaction that ends by pointing the key at the new version.
class ChunkWriter final : public Writer {
public:
    ChunkWriter(PgStore &store, std::string key, PutOptions options)
        : store_(store),
          key_(std::move(key)),
          options_(std::move(options)),
          buffer_(store.settings().chunk_size) {}
    ~ChunkWriter() override { abort(); }

    void write(const void *data, size_t size) override {
        // A value of exactly chunk_size bytes stays inline.
        buffer_.write(data, size, [&](Bytes &chunk) { flush(chunk); });
    }

    void commit() override {
        Bytes &rest = buffer_.pending();
        if (!lease_) {
            etag_ = store_.put_with(key_, rest.data(), rest.size(), options_);
            return;
        }
        if (!rest.empty()) flush(rest);
        Connection &conn = **lease_;
        try {
            static const char trailer[2] = {'\xff', '\xff'};
            conn.copy_data(trailer, sizeof trailer);
            if (PQputCopyEnd(conn.raw(), nullptr) != 1) conn.fail_with(nullptr, "COPY");
            Result copied(PQgetResult(conn.raw()));
            if (PQresultStatus(copied.get()) != PGRES_COMMAND_OK)
                conn.fail_with(copied.get(), "COPY");
            while (PGresult *extra = PQgetResult(conn.raw())) PQclear(extra);
            // The condition is checked here, in the transaction that holds the chunks: a failed
            // one rolls them back.
            RowValue value{version_, total_, store_.settings().chunk_size, {}, kData};
            std::optional<int64_t> made =
                store_.write_row(conn, key_, value, options_, options_.properties());
            if (!made) store_.condition_failed(conn, key_, options_);
            conn.exec("COMMIT");
            etag_ = etag_of(*made);
        } catch (...) {
            PGTransactionStatusType state = PQtransactionStatus(conn.raw());
            if (state == PQTRANS_INTRANS || state == PQTRANS_INERROR) {
                try {
                    conn.exec("ROLLBACK");
                } catch (...) {
                }
            }
            lease_.reset();
            throw;
        }
        lease_.reset();
    }

    std::string etag() const override { return etag_; }

    void abort() noexcept override {
        buffer_.clear();
        if (!lease_) return;
        // A connection in the middle of COPY or a transaction is closed by the pool rather than
        // reused; closing it rolls the transaction back on the server.
        lease_.reset();
    }

private:
    void flush(Bytes &chunk) {
        if (!lease_) begin();
        Connection &conn = **lease_;
        std::string row;
        row.reserve(2 + 4 + 8 + 4 + 4 + 4);
        auto be = [&](uint64_t v, int bytes) {
            for (int i = bytes - 1; i >= 0; --i) row += static_cast<char>((v >> (8 * i)) & 0xff);
        };
        be(3, 2);  // fields in the row
        be(8, 4), be(static_cast<uint64_t>(version_), 8);
        be(4, 4), be(static_cast<uint32_t>(next_), 4);
        be(chunk.size(), 4);
        conn.copy_data(row.data(), row.size());
        conn.copy_data(chunk.data(), chunk.size());
        total_ += chunk.size();
        ++next_;
        chunk.resize(0);  // keeps the allocation for the next chunk
    }

    void begin() {
        // Nothing is sent before the transaction starts: a connection the server dropped since
        // it went idle is replaced once.
        for (int attempt = 0;; ++attempt) {
            lease_.emplace(store_.pool().acquire());
            try {
                start(**lease_);
                return;
            } catch (const ConnectionLost &) {
                lease_.reset();
                store_.pool().forget_idle();
                if (attempt > 0) throw;
            }
        }
    }

    void start(Connection &conn) {
        conn.exec("BEGIN");
        version_ = conn.run(store_.next_version()).int8(0, 0);
        conn.exec("COPY " + store_.names().chunks +
                  " (version, n, data) FROM STDIN (FORMAT binary)");
        // The binary COPY header: signature, flags, header extension length.
        static const char header[19] = {'P',  'G', 'C', 'O', 'P', 'Y', '\n', '\xff', '\r', '\n',
                                        '\0', 0,   0,   0,   0,   0,   0,    0,      0};
        conn.copy_data(header, sizeof header);
    }

    PgStore &store_;
    std::string key_;
    PutOptions options_;
    std::string etag_;
    PartBuffer buffer_;
    std::optional<Pool::Lease> lease_;
    int64_t version_ = 0;
    int32_t next_ = 0;
    uint64_t total_ = 0;
};

std::unique_ptr<Writer> PgStore::open_writer_with(std::string_view key, const PutOptions &options) {
    return std::make_unique<ChunkWriter>(*this, std::string(key), options);
}

// ---- batches

void PgStore::put_many(std::span<PutItem> items) {
    std::vector<PutItem *> inline_items;
    for (PutItem &item : items) {
        if (item.size <= settings_.chunk_size) {
            inline_items.push_back(&item);
            continue;
        }
        put_item(*this, item);  // through a writer: chunk rows
    }
    // Inline puts go in pipelines: each statement its own transaction (a sync after each), so
    // items succeed or fail alone, with one round trip per group.
    for (size_t start = 0; start < inline_items.size(); start += kPipelineGroup) {
        std::span<PutItem *> group(inline_items.data() + start,
                                   std::min(kPipelineGroup, inline_items.size() - start));
        try {
            pool_.run([&](Connection &conn) {
                const Statement &upsert = write_[kAny][kData];
                conn.prepare(upsert);
                PGconn *pc = conn.raw();
                if (PQenterPipelineMode(pc) != 1) conn.fail_with(nullptr, "entering pipeline mode");
                for (PutItem *item : group) {
                    Params p;
                    p.text(item->key).null().int8(static_cast<int64_t>(item->size)).int4(0);
                    p.bytes(item->data, item->size).properties(Properties());
                    if (PQsendQueryPrepared(pc, upsert.name.c_str(), p.count(), p.values(),
                                            p.lengths(), p.formats(), 1) != 1 ||
                        PQpipelineSync(pc) != 1)
                        conn.fail_with(nullptr, "sending a pipelined put");
                }
                for (PutItem *item : group) {
                    bool first = true;
                    for (;;) {
                        Result r(PQgetResult(pc));
                        if (!r.get()) {
                            if (conn.broken()) conn.fail_with(nullptr, "pipelined put");
                            continue;
                        }
                        ExecStatusType st = PQresultStatus(r.get());
                        if (st == PGRES_PIPELINE_SYNC) break;
                        if (!first) continue;
                        first = false;
                        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
                            item->status = KVPS_OK;
                        } else {
                            Error e = conn.error_of(r.get(), "put " + quote(item->key));
                            if (e.status() == KVPS_NETWORK) throw ConnectionLost(e.message());
                            item->status = e.status(), item->error = e.message();
                        }
                    }
                }
                PQexitPipelineMode(pc);
            });
        } catch (...) {
            std::string message;
            kvps_status status = record_failure(message);
            for (PutItem *item : group) item->status = status, item->error = message;
        }
    }
}

void PgStore::get_many(std::span<GetItem> items) {
    std::vector<std::string_view> keys;
    for (const GetItem &item : items) keys.push_back(item.key);
    std::vector<GetItem *> chunked;
    try {
        pool_.run([&](Connection &conn) {
            chunked.clear();
            Result r = conn.run(get_many_, Params().text_array(keys));
            std::unordered_map<std::string_view, int> rows;
            for (int i = 0; i < r.rows(); ++i) rows.emplace(r.bytes(i, 0), i);
            for (GetItem &item : items) {
                auto it = rows.find(item.key);
                item.status = it == rows.end() ? KVPS_NOT_FOUND : KVPS_OK;
                if (it == rows.end()) continue;
                if (r.int4(it->second, 3) != 0) {
                    chunked.push_back(&item);
                    continue;
                }
                std::string_view data = r.bytes(it->second, 4);
                item.value = Bytes::copy(data.data(), data.size());
            }
            return 0;
        });
    } catch (...) {
        std::string message;
        kvps_status status = record_failure(message);
        for (GetItem &item : items) item.status = status, item.error = message;
        return;
    }
    // Chunked values one by one.
    for (GetItem *item : chunked) get_item(*this, *item);
}

}  // namespace

std::unique_ptr<Backend> open_store(const Settings &settings) {
    return std::make_unique<PgStore>(settings);
}

}  // namespace kvps::pg
