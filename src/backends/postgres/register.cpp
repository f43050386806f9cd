// The postgres backend's option table, settings and registration (schemes postgres, then
// postgresql and pgsql). Every libpq connection parameter is an option of the same name, taken
// from the linked libpq itself, so a newer libpq's parameters work without a change here.
#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "spi/options.hpp"
#include "spi/error.hpp"
#include "spi/registrar.hpp"
#include "spi/text.hpp"
#include "store.hpp"

namespace kvps::pg {
namespace {

constexpr size_t kMaxTableName = 63 - std::char_traits<char>::length("_drop_chunks");

// libpq parameters kvps sets itself.
bool reserved(std::string_view keyword) {
    return keyword == "client_encoding" || keyword == "replication";
}

std::vector<OptionSpec> option_table() {
    std::vector<OptionSpec> options = {
        option_spec("table", KVPS_OPTION_STRING, "kvps",
                    "the table holding the store (created if missing)"),
        option_spec("schema", KVPS_OPTION_STRING, nullptr,
                    "the table's schema; default the current schema"),
        option_spec("create", KVPS_OPTION_BOOL, "true",
                    "create the table if missing; false: a missing table is NOT_FOUND"),
        option_spec(
            "layout", KVPS_OPTION_STRING, "kvps",
            "kvps (chunked rows, any size) or kvpsbutter (KVPSButter's keyname/keyvalue table)"),
        option_spec(
            "chunk_size", KVPS_OPTION_SIZE, "1MiB",
            "values up to this size live in their key's row, longer ones in chunk rows of this "
            "size (64KiB..256MiB)",
            "64KiB", "256MiB"),
        option_spec("pool_size", KVPS_OPTION_INTEGER, "8",
                    "most connections open at once (1..1000)", "1", "1000"),
        option_spec("pool_timeout", KVPS_OPTION_DURATION, "30s",
                    "longest wait for a free connection"),
        option_spec("statement_timeout", KVPS_OPTION_DURATION, nullptr,
                    "server-side limit per statement"),
        // KVPSButter's names (see issue 20 and README.md).
        option_spec("username", KVPS_OPTION_STRING, nullptr, "KVPSButter's name for user"),
        option_spec("database", KVPS_OPTION_STRING, nullptr, "KVPSButter's name for dbname"),
        option_spec("tablename", KVPS_OPTION_STRING, nullptr, "KVPSButter's name for table"),
        // A secret: Npgsql settings may carry a password, so kvps_store_url leaves them out.
        option_spec(
            "connectionoptions", KVPS_OPTION_SECRET, nullptr,
            "KVPSButter's extra Npgsql settings \"Key=Value;...\" (SSL Mode, Application Name, "
            "Timeout, ...)"),
        option_spec("commandtimeout", KVPS_OPTION_INTEGER, nullptr,
                    "KVPSButter's statement timeout in seconds", "0"),
    };
    std::set<std::string> taken;
    for (const OptionSpec &o : options) taken.insert(o.name);
    PQconninfoOption *defaults = PQconndefaults();
    for (PQconninfoOption *o = defaults; o && o->keyword; ++o) {
        if (reserved(o->keyword) || taken.count(o->keyword)) continue;
        bool secret = o->dispchar && std::string_view(o->dispchar) == "*";
        std::string text = "libpq parameter";
        if (o->label && *o->label) text += " (" + std::string(o->label) + ")";
        if (o->envvar && *o->envvar) text += "; else $" + std::string(o->envvar);
        options.push_back(option_spec(o->keyword, secret ? KVPS_OPTION_SECRET : KVPS_OPTION_STRING,
                                      nullptr, text));
    }
    PQconninfoFree(defaults);
    return options;
}

class ParamList {
public:
    void set(const std::string &name, const std::string &value) {
        for (auto &[k, v] : params_)
            if (k == name) {
                v = value;
                return;
            }
        params_.emplace_back(name, value);
    }
    std::string get(const std::string &name) const {
        for (const auto &[k, v] : params_)
            if (k == name) return v;
        return "";
    }
    std::vector<std::pair<std::string, std::string>> take() { return std::move(params_); }

private:
    std::vector<std::pair<std::string, std::string>> params_;
};

// KVPSButter passes "Key=Value;..." on to Npgsql: the keys with a libpq equivalent are mapped,
// pool sizes go to pool_size, anything else is refused by name.
void apply_npgsql(std::string_view text, ParamList &params, Settings &s) {
    while (!text.empty()) {
        size_t semi = text.find(';');
        std::string_view item = text.substr(0, semi);
        text = semi == std::string_view::npos ? std::string_view() : text.substr(semi + 1);
        if (item.find_first_not_of(' ') == std::string_view::npos) continue;
        size_t eq = item.find('=');
        std::string key;
        for (char c : item.substr(0, eq))
            if (c != ' ' && c != '_')
                key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value(eq == std::string_view::npos ? "" : item.substr(eq + 1));
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        while (!value.empty() && value.back() == ' ') value.pop_back();
        auto bad = [&](const char *why) {
            fail(KVPS_INVALID_OPTION, "postgres: option connectionoptions: \"" +
                                          std::string(item.substr(0, eq)) + "\" " + why);
        };
        if (key == "sslmode") {
            std::string v = lower(value);
            if (v == "verifyca") v = "verify-ca";
            if (v == "verifyfull") v = "verify-full";
            params.set("sslmode", v);
        } else if (key == "applicationname") {
            params.set("application_name", value);
        } else if (key == "timeout") {
            params.set("connect_timeout", value);
        } else if (key == "searchpath") {
            params.set("options", params.get("options") + " -c search_path=" + value);
        } else if (key == "keepalive") {
            params.set("keepalives_idle", value);
        } else if (key == "rootcertificate") {
            params.set("sslrootcert", value);
        } else if (key == "sslcertificate") {
            params.set("sslcert", value);
        } else if (key == "password" || key == "sslkey" || key == "sslpassword" ||
                   key == "passfile") {
            params.set(key, value);
        } else if (key == "targetsessionattributes") {
            params.set("target_session_attrs", value);
        } else if (key == "commandtimeout") {
            auto seconds = parse_integer(value);
            if (!seconds || *seconds < 0) bad("is not a number of seconds");
            if (*seconds > 0)
                s.connect.setup.push_back("SET statement_timeout = " +
                                          std::to_string(*seconds * 1000));
        } else if (key == "maximumpoolsize" || key == "maxpoolsize") {
            auto n = parse_integer(value);
            if (!n || *n < 1 || *n > 1000) bad("must be between 1 and 1000");
            s.pool_size = static_cast<size_t>(*n);
        } else if (key == "pooling" || key == "minimumpoolsize" || key == "minpoolsize" ||
                   key == "connectionidlelifetime" || key == "trustservercertificate") {
            // Npgsql's own pool and certificate knobs: kvps's pool and libpq's sslmode decide.
        } else {
            bad("has no libpq equivalent known to kvps (give libpq parameters as options instead)");
        }
    }
}

Settings make_settings(const Config &config, const std::vector<OptionSpec> &options) {
    const Url &url = config.url();
    Settings s;
    ParamList params;
    if (!url.host.empty()) params.set("host", url.host);
    if (!url.port.empty()) params.set("port", url.port);
    if (!url.user.empty()) params.set("user", url.user);
    if (url.has_password) params.set("password", url.password);
    std::string dbname = url.path;
    while (!dbname.empty() && dbname.front() == '/') dbname.erase(0, 1);
    if (dbname.find('/') != std::string::npos)
        fail(KVPS_INVALID_URL, "postgres: the URL's path names the database, not \"" + dbname +
                                   "\"; give the table as ?table=NAME");
    if (!dbname.empty()) params.set("dbname", dbname);

    // Options win over the URL's parts; KVPSButter's names are aliases.
    auto both = [&](const char *a, const char *b) {
        if (config.given(a) && config.given(b))
            fail(KVPS_INVALID_OPTION, std::string("postgres: options \"") + a + "\" and \"" + b +
                                          "\" name the same thing; give one");
    };
    both("user", "username");
    both("dbname", "database");
    both("table", "tablename");
    if (config.given("username")) params.set("user", config.string("username"));
    if (config.given("database")) params.set("dbname", config.string("database"));
    for (const OptionSpec &o : options)
        if (o.description.starts_with("libpq parameter") && config.given(o.name))
            params.set(o.name, config.string(o.name));

    s.table = config.given("tablename") ? config.string("tablename") : config.string("table");
    if (s.table.empty()) fail(KVPS_INVALID_OPTION, "postgres: option table is empty");
    if (s.table.size() > kMaxTableName)
        fail(KVPS_INVALID_OPTION, "postgres: option table \"" + s.table + "\" is longer than " +
                                      std::to_string(kMaxTableName) + " bytes");
    if (config.given("schema")) s.schema = config.string("schema");
    s.create = config.boolean("create");
    std::string layout = lower(config.string("layout"));
    if (layout != "kvps" && layout != "kvpsbutter")
        fail(KVPS_INVALID_OPTION,
             "postgres: option layout is \"" + layout + "\"; expected kvps or kvpsbutter");
    s.kvpsbutter = layout == "kvpsbutter";
    s.chunk_size = static_cast<uint32_t>(config.size("chunk_size"));  // 64KiB..256MiB
    s.pool_size = static_cast<size_t>(config.integer("pool_size"));
    s.pool_timeout = config.duration("pool_timeout");

    if (config.given("statement_timeout") && config.given("commandtimeout"))
        fail(
            KVPS_INVALID_OPTION,
            "postgres: options statement_timeout and commandtimeout name the same thing; give one");
    if (config.given("statement_timeout"))
        s.connect.setup.push_back("SET statement_timeout = " +
                                  std::to_string(config.duration("statement_timeout").count()));
    if (config.given("commandtimeout"))
        s.connect.setup.push_back("SET statement_timeout = " +
                                  std::to_string(config.integer("commandtimeout") * 1000));
    if (config.given("connectionoptions"))
        apply_npgsql(config.string("connectionoptions"), params, s);

    params.set("client_encoding", "UTF8");
    if (params.get("application_name").empty()) params.set("fallback_application_name", "kvps");
    std::string user = params.get("user"), host = params.get("host"), port = params.get("port");
    s.connect.where = (user.empty() ? "" : user + "@") + (host.empty() ? "(default host)" : host) +
                      (port.empty() ? "" : ":" + port) + "/" + params.get("dbname");
    s.connect.params = params.take();
    return s;
}

const std::vector<OptionSpec> &options() {
    static const std::vector<OptionSpec> table = option_table();
    return table;
}

const Registrar registrar{{
    .name = "postgres",
    .description =
        "PostgreSQL tables over libpq: values of any size in chunked rows, pooled connections",
    .schemes = {"postgres", "postgresql", "pgsql"},
    .options = options(),
    .capabilities = KVPS_CAP_RANGE | KVPS_CAP_READ_STREAM | KVPS_CAP_WRITE_STREAM | KVPS_CAP_LIST |
                    KVPS_CAP_BATCH | KVPS_CAP_PERSISTENT | KVPS_CAP_SHARED,
    .open = [](const Config &config) -> std::unique_ptr<Backend> {
        Settings settings = make_settings(config, options());
        return settings.kvpsbutter ? open_kvpsbutter_store(settings) : open_store(settings);
    },
}};

}  // namespace
}  // namespace kvps::pg
