#include "pg.hpp"

#include <chrono>
#include <cstring>

#include "net/json.hpp"
#include "spi/log.hpp"

namespace kvps::pg {
namespace {

void put_be(std::string &out, uint64_t value, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
}

uint64_t get_be(const char *p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

std::string trimmed(const char *text) {
    std::string s = text ? text : "";
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    // libpq's multi-line messages (DETAIL, HINT) read better on one line.
    for (char &c : s)
        if (c == '\n') c = ' ';
    return s;
}

// Whatever libpq says, a secret never goes into a message.
std::string scrub(std::string message, const ConnectInfo &info) {
    for (const auto &[name, value] : info.params) {
        if ((name != "password" && name != "sslpassword") || value.size() < 3) continue;
        for (size_t at; (at = message.find(value)) != std::string::npos;)
            message.replace(at, value.size(), "***");
    }
    return message;
}

// The status for a connection that could not be made, from libpq's message.
kvps_status connect_status(const std::string &message) {
    auto has = [&](const char *text) { return message.find(text) != std::string::npos; };
    if (has("password authentication failed") || has("no password supplied") ||
        has("pg_hba.conf") || has("permission denied") || has("role \"") || has("SSL required"))
        return KVPS_PERMISSION_DENIED;
    if (has("database \"") && has("does not exist")) return KVPS_NOT_FOUND;
    if (has("invalid connection option") || has("invalid sslmode") ||
        has("invalid integer value") || has("invalid value") || has("invalid URI") ||
        has("definition of service"))
        return KVPS_INVALID_OPTION;
    if (has("timeout expired")) return KVPS_TIMEOUT;
    return KVPS_NETWORK;
}

bool connection_gone(std::string_view sqlstate) {
    // Class 08 is a connection exception; 57P01..57P03: the server shut down or is starting.
    return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
           sqlstate == "57P03";
}

class Timer {
public:
    explicit Timer(std::string_view what) : what_(what), on_(log_enabled(KVPS_LOG_DEBUG)) {
        if (on_) start_ = std::chrono::steady_clock::now();
    }
    void done(PGresult *result) {
        if (!on_) return;
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_)
                .count();
        std::string line = "postgres: " + std::string(what_) + " -> ";
        if (!result) {
            line += "no result";
        } else {
            line += PQresStatus(PQresultStatus(result));
            const char *state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
            if (state)
                line += std::string(" ") + state;
            else
                line += ", " + std::to_string(PQntuples(result)) + " rows";
        }
        char tail[32];
        std::snprintf(tail, sizeof tail, ", %.3f ms", ms);
        log(KVPS_LOG_DEBUG, line + tail);
    }

private:
    std::string_view what_;
    bool on_;
    std::chrono::steady_clock::time_point start_;
};

}  // namespace

Params &Params::add(unsigned type, std::string_view value) {
    types_.push_back(type);
    values_.push_back(value.data() ? value.data() : "");
    lengths_.push_back(static_cast<int>(value.size()));
    formats_.push_back(1);
    return *this;
}

Params &Params::own(unsigned type, std::string value) {
    owned_.push_back(std::make_unique<std::string>(std::move(value)));
    return add(type, *owned_.back());
}

Params &Params::int8(int64_t value) {
    std::string s;
    put_be(s, static_cast<uint64_t>(value), 8);
    return own(kInt8, std::move(s));
}

Params &Params::int4(int32_t value) {
    std::string s;
    put_be(s, static_cast<uint32_t>(value), 4);
    return own(kInt4, std::move(s));
}

Params &Params::text_array(const std::vector<std::string_view> &values) {
    // The binary array format: ndim, has-nulls flag, element type, then per dimension its
    // length and lower bound, then each element as length + bytes.
    std::string s;
    put_be(s, 1, 4);
    put_be(s, 0, 4);
    put_be(s, kText, 4);
    put_be(s, values.size(), 4);
    put_be(s, 1, 4);
    for (std::string_view v : values) {
        put_be(s, v.size(), 4);
        s.append(v);
    }
    return own(kTextArray, std::move(s));
}

Params &Params::null() {
    types_.push_back(0);
    values_.push_back(nullptr);
    lengths_.push_back(0);
    formats_.push_back(1);
    return *this;
}

Params &Params::properties(const Properties &properties) {
    if (properties.content_type.empty())
        null();
    else
        own(kText, properties.content_type);
    if (properties.metadata.empty()) return null();
    // Binary jsonb: a format version byte, then the JSON text. Names and values were checked
    // (printable, no control characters), so only quotes and backslashes need escaping; other
    // bytes go as they are (UTF-8).
    std::string json(1, '\x01');
    json += '{';
    bool first = true;
    auto string = [&](const std::string &text) {
        json += '"';
        for (char c : text) {
            if (c == '"' || c == '\\') json += '\\';
            json += c;
        }
        json += '"';
    };
    for (const auto &[name, value] : properties.metadata) {
        if (!first) json += ',';
        first = false;
        string(name);
        json += ':';
        string(value);
    }
    json += '}';
    return own(kJsonb, std::move(json));
}

Properties Result::properties(int row, int content_type_column) const {
    Properties out;
    if (!null(row, content_type_column)) out.content_type = bytes(row, content_type_column);
    int column = content_type_column + 1;
    if (null(row, column)) return out;
    std::string_view json = bytes(row, column);
    if (!json.empty()) json.remove_prefix(1);  // the jsonb format version
    net::JsonValue object = net::parse_json(json, "postgres: a metadata column");
    for (const auto &[name, value] : object.members) out.metadata.emplace_back(name, value.text);
    return out;  // std::map: names in byte order, as MetadataList wants them
}

int64_t Result::int8(int row, int column) const {
    return static_cast<int64_t>(get_be(PQgetvalue(result_.get(), row, column), 8));
}

int32_t Result::int4(int row, int column) const {
    return static_cast<int32_t>(get_be(PQgetvalue(result_.get(), row, column), 4));
}

int64_t Result::time_ns(int row, int column) const {
    // Binary timestamps count microseconds from 2000-01-01 00:00 UTC.
    constexpr int64_t kUnixToPostgresUs = 946'684'800'000'000;
    return (int8(row, column) + kUnixToPostgresUs) * 1000;
}

kvps_status status_of(std::string_view sqlstate) {
    if (connection_gone(sqlstate)) return KVPS_NETWORK;
    if (sqlstate.starts_with("28") || sqlstate == "42501") return KVPS_PERMISSION_DENIED;
    if (sqlstate == "3D000" || sqlstate == "42P01" || sqlstate == "3F000") return KVPS_NOT_FOUND;
    if (sqlstate == "53100") return KVPS_NO_SPACE;
    if (sqlstate == "53200") return KVPS_NO_MEMORY;
    if (sqlstate == "57014" || sqlstate == "55P03") return KVPS_TIMEOUT;
    return KVPS_REMOTE;
}

Connection::Connection(const ConnectInfo &info) : where_(info.where) {
    std::vector<const char *> keys, values;
    for (const auto &[k, v] : info.params) {
        keys.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 0);
    if (!conn_) fail(KVPS_NO_MEMORY, "postgres: out of memory while connecting");
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string message = scrub(trimmed(PQerrorMessage(conn_)), info);
        PQfinish(conn_);
        conn_ = nullptr;
        kvps_status status = connect_status(message);
        if (status == KVPS_NETWORK)
            throw ConnectionLost("postgres: cannot connect to " + where_ + ": " + message);
        fail(status, "postgres: cannot connect to " + where_ + ": " + message);
    }
    if (log_enabled(KVPS_LOG_DEBUG))
        log(KVPS_LOG_DEBUG, "postgres: connected to " + where_ + " (server " +
                                std::to_string(PQserverVersion(conn_)) + ")");
    const char *encoding = PQparameterStatus(conn_, "server_encoding");
    std::string enc = encoding ? encoding : "";
    if (enc != "UTF8" && enc != "SQL_ASCII") {
        PQfinish(conn_);
        conn_ = nullptr;
        fail(KVPS_UNSUPPORTED,
             "postgres: database " + where_ + " has encoding " + enc +
                 "; kvps needs a UTF8 database (keys are UTF-8 and listed in byte order)");
    }
    try {
        for (const std::string &sql : info.setup) exec(sql);
    } catch (...) {
        PQfinish(conn_);
        conn_ = nullptr;
        throw;
    }
}

Connection::~Connection() {
    if (conn_) PQfinish(conn_);
}

Error Connection::error_of(PGresult *result, std::string_view what) {
    const char *state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    std::string sqlstate = state ? state : "";
    last_sqlstate_ = sqlstate;
    std::string message = trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
    if (message.empty()) message = trimmed(PQerrorMessage(conn_));
    if (message.starts_with("ERROR:  ")) message.erase(0, 8);
    if (message.starts_with("FATAL:  ")) message.erase(0, 8);
    std::string text = "postgres: " + std::string(what) + " on " + where_ + ": " + message;
    if (!sqlstate.empty()) text += " (SQLSTATE " + sqlstate + ")";
    if (broken() || connection_gone(sqlstate)) return ConnectionLost(text);
    return Error(status_of(sqlstate), text);
}

void Connection::fail_with(PGresult *result, std::string_view what) {
    Error e = error_of(result, what);
    if (e.status() == KVPS_NETWORK) throw ConnectionLost(e.message());
    throw e;
}

void Connection::prepare(const Statement &statement) {
    if (prepared_.count(statement.name)) return;
    Timer timer("prepare " + statement.name);
    Result r(PQprepare(conn_, statement.name.c_str(), statement.sql.c_str(), 0, nullptr));
    timer.done(r.get());
    if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
        fail_with(r.get(), "preparing " + statement.name);
    prepared_.insert(statement.name);
}

Result Connection::run(const Statement &statement, const Params &params) {
    prepare(statement);
    Timer timer(statement.name);
    Result r(PQexecPrepared(conn_, statement.name.c_str(), params.count(), params.values(),
                            params.lengths(), params.formats(), 1));
    timer.done(r.get());
    ExecStatusType status = PQresultStatus(r.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && status != PGRES_COPY_IN)
        fail_with(r.get(), statement.name);
    return r;
}

Result Connection::exec(const std::string &sql) {
    std::string_view what = std::string_view(sql).substr(0, sql.find(' '));
    Timer timer(what);
    Result r(PQexecParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 1));
    timer.done(r.get());
    ExecStatusType status = PQresultStatus(r.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && status != PGRES_COPY_IN)
        fail_with(r.get(), what);
    return r;
}

void Connection::copy_data(const void *data, size_t size) {
    if (PQputCopyData(conn_, static_cast<const char *>(data), static_cast<int>(size)) != 1)
        fail_with(nullptr, "COPY");
}

// ---- pool

Pool::Pool(ConnectInfo info, size_t max_connections, std::chrono::milliseconds wait)
    : info_(std::move(info)), max_(max_connections), wait_(wait) {}

Pool::~Pool() = default;

Pool::Lease &Pool::Lease::operator=(Lease &&other) noexcept {
    if (this != &other) {
        if (conn_) pool_->give_back(std::move(conn_));
        pool_ = other.pool_;
        conn_ = std::move(other.conn_);
    }
    return *this;
}

Pool::Lease::~Lease() {
    if (conn_) pool_->give_back(std::move(conn_));
}

Pool::Lease Pool::acquire() {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, wait_, [&] { return !idle_.empty() || open_ < max_; }))
        fail(KVPS_TIMEOUT, "postgres: all " + std::to_string(max_) + " connections to " +
                               info_.where + " stayed busy for " + std::to_string(wait_.count()) +
                               " ms (options pool_size, pool_timeout)");
    if (!idle_.empty()) {
        std::unique_ptr<Connection> conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(conn));
    }
    ++open_;
    lock.unlock();
    try {
        return Lease(this, std::make_unique<Connection>(info_));
    } catch (...) {
        lock.lock();
        --open_;
        freed_.notify_one();
        throw;
    }
}

void Pool::give_back(std::unique_ptr<Connection> conn) {
    // A connection left in a transaction or broken is closed rather than reused.
    bool reusable = !conn->broken() && conn->idle();
    if (!reusable) conn.reset();
    std::lock_guard lock(mutex_);
    if (reusable)
        idle_.push_back(std::move(conn));
    else
        --open_;
    freed_.notify_one();
}

void Pool::forget_idle() {
    std::vector<std::unique_ptr<Connection>> gone;
    {
        std::lock_guard lock(mutex_);
        gone.swap(idle_);
        open_ -= gone.size();
        freed_.notify_all();
    }
}

std::string quote_identifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string quote_literal(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

}  // namespace kvps::pg
