// The postgres backend's thin layer over libpq: statement parameters in binary format,
// results read in binary, errors mapped to statuses, and a thread-safe connection pool that
// reconnects after the server restarted.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spi/error.hpp"
#include "spi/put_options.hpp"

namespace kvps::pg {

// Thrown when the connection broke (server restart, network): the pool retries idempotent work
// once on a new connection.
class ConnectionLost : public Error {
public:
    explicit ConnectionLost(std::string message) : Error(KVPS_NETWORK, std::move(message)) {}
};

// Parameters of one statement, all sent in binary format with their type given, so no value is
// ever spliced into SQL. Borrowed views must outlive the call that sends them.
class Params {
public:
    Params &text(std::string_view value) { return add(kText, value); }
    Params &bytes(const void *data, size_t size) {
        return add(kBytea, std::string_view(static_cast<const char *>(data), size));
    }
    Params &int8(int64_t value);
    Params &int4(int32_t value);
    // A one-dimensional text[] (for `= ANY($n)`).
    Params &text_array(const std::vector<std::string_view> &values);
    // SQL NULL (its type comes from the statement's cast).
    Params &null();
    // A content type (text, NULL when none) and user metadata (a jsonb object, NULL when none).
    Params &properties(const Properties &properties);

    int count() const { return static_cast<int>(values_.size()); }
    const unsigned *types() const { return types_.data(); }
    const char *const *values() const { return values_.data(); }
    const int *lengths() const { return lengths_.data(); }
    const int *formats() const { return formats_.data(); }

private:
    static constexpr unsigned kText = 25, kBytea = 17, kInt8 = 20, kInt4 = 23, kTextArray = 1009,
                              kJsonb = 3802;
    Params &add(unsigned type, std::string_view value);
    Params &own(unsigned type, std::string value);
    std::vector<unsigned> types_;
    std::vector<const char *> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
    std::vector<std::unique_ptr<std::string>> owned_;  // stable addresses for encoded values
};

// A result with binary columns.
class Result {
public:
    Result() = default;
    explicit Result(PGresult *result) : result_(result, &PQclear) {}
    int rows() const { return PQntuples(result_.get()); }
    bool null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string_view bytes(int row, int column) const {
        return {PQgetvalue(result_.get(), row, column),
                static_cast<size_t>(PQgetlength(result_.get(), row, column))};
    }
    bool boolean(int row, int column) const { return *PQgetvalue(result_.get(), row, column) != 0; }
    int64_t int8(int row, int column) const;
    int32_t int4(int row, int column) const;
    // A timestamptz as nanoseconds since 1970-01-01 UTC.
    int64_t time_ns(int row, int column) const;
    // A content type (text) and user metadata (jsonb) column pair, as Params::properties wrote
    // them; NULLs are none.
    Properties properties(int row, int content_type_column) const;
    PGresult *get() const { return result_.get(); }

private:
    std::unique_ptr<PGresult, void (*)(PGresult *)> result_{nullptr, &PQclear};
};

// A statement prepared once per connection under its name.
struct Statement {
    std::string name;
    std::string sql;
};

// How to connect: libpq keyword/value pairs, plus what to run on every new connection.
struct ConnectInfo {
    std::vector<std::pair<std::string, std::string>> params;
    std::vector<std::string> setup;  // statements run after connecting (e.g. SET statement_timeout)
    std::string where;               // "host:port/db" for messages, no secret
};

class Connection {
public:
    explicit Connection(const ConnectInfo &info);
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // Runs a prepared statement (prepared on first use); throws on failure.
    Result run(const Statement &statement, const Params &params = Params());
    // Runs SQL text without parameters (BEGIN, COMMIT, DDL); throws on failure.
    Result exec(const std::string &sql);
    // Makes sure the statement is prepared on this connection (before pipelining it).
    void prepare(const Statement &statement);
    // The error of a failed result (or of the connection when result is null); ConnectionLost
    // when the connection is gone.
    Error error_of(PGresult *result, std::string_view what);
    [[noreturn]] void fail_with(PGresult *result, std::string_view what);
    // Sends COPY data; throws on failure.
    void copy_data(const void *data, size_t size);

    bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }
    // The SQLSTATE of the last failure on this connection ("" when it had none).
    const std::string &last_sqlstate() const { return last_sqlstate_; }
    bool idle() const {
        return PQtransactionStatus(conn_) == PQTRANS_IDLE &&
               PQpipelineStatus(conn_) == PQ_PIPELINE_OFF;
    }
    PGconn *raw() { return conn_; }
    const std::string &where() const { return where_; }

private:
    PGconn *conn_ = nullptr;
    std::string where_;
    std::set<std::string> prepared_;
    std::string last_sqlstate_;
};

// Runs body in a transaction on conn; rolls back when it throws.
template <typename Fn>
void in_transaction(Connection &conn, Fn &&body) {
    conn.exec("BEGIN");
    try {
        body();
        conn.exec("COMMIT");
    } catch (...) {
        if (!conn.broken()) {
            try {
                conn.exec("ROLLBACK");
            } catch (...) {
            }
        }
        throw;
    }
}

// Maps a failed result's SQLSTATE to a status.
kvps_status status_of(std::string_view sqlstate);

class Pool {
public:
    Pool(ConnectInfo info, size_t max_connections, std::chrono::milliseconds wait);
    ~Pool();

    // A connection borrowed from the pool; goes back on destruction when still usable.
    class Lease {
    public:
        Lease(Pool *pool, std::unique_ptr<Connection> conn) : pool_(pool), conn_(std::move(conn)) {}
        Lease(Lease &&other) noexcept = default;
        Lease &operator=(Lease &&other) noexcept;
        ~Lease();
        Connection *operator->() { return conn_.get(); }
        Connection &operator*() { return *conn_; }

    private:
        Pool *pool_;
        std::unique_ptr<Connection> conn_;
    };

    Lease acquire();

    // Runs fn(Connection &) on a pooled connection. When the connection turns out to be broken
    // (the server restarted since it was opened), the idle connections are dropped and fn runs
    // once more on a new one: only for work that may safely run twice.
    template <typename Fn>
    auto run(Fn &&fn) {
        for (int attempt = 0;; ++attempt) {
            Lease lease = acquire();
            try {
                return fn(*lease);
            } catch (const ConnectionLost &) {
                forget_idle();
                if (attempt > 0) throw;
            }
        }
    }

    // Runs fn(Connection &) once: for work that must not run twice (a conditional write, a
    // transaction), whose outcome is unknown when the connection broke under it.
    template <typename Fn>
    auto run_once(Fn &&fn) {
        Lease lease = acquire();
        try {
            return fn(*lease);
        } catch (const ConnectionLost &) {
            forget_idle();
            throw;
        }
    }

    const ConnectInfo &info() const { return info_; }
    // Closes the idle connections (after one was found broken: the others likely are too).
    void forget_idle();

private:
    void give_back(std::unique_ptr<Connection> conn);

    ConnectInfo info_;
    size_t max_;
    std::chrono::milliseconds wait_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<Connection>> idle_;
    size_t open_ = 0;  // idle plus lent out
};

// "name" quoted as an SQL identifier.
std::string quote_identifier(std::string_view name);
// 'text' quoted as an SQL string literal.
std::string quote_literal(std::string_view text);

}  // namespace kvps::pg
