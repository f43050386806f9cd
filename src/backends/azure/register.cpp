// The az backend's option table, settings (URL, connection string, environment) and
// registration (schemes az, then azure).
#include <cstdlib>
#include <map>

#include "azure_backend.hpp"
#include "spi/error.hpp"
#include "spi/registrar.hpp"
#include "spi/text.hpp"

namespace kvps::azure {
namespace {

// The storage emulator's published development account (Azurite's default).
constexpr const char *kDevAccount = "devstoreaccount1";
constexpr const char *kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

std::vector<OptionSpec> option_table() {
    return net::with_http_options({
        option_spec("account", KVPS_OPTION_STRING, nullptr,
                    "storage account, instead of the URL's host; else the connection string's, "
                    "AZURE_STORAGE_ACCOUNT"),
        option_spec("container", KVPS_OPTION_STRING, nullptr,
                    "container, instead of the URL path's first segment"),
        option_spec(
            "prefix", KVPS_OPTION_STRING, nullptr,
            "a key prefix taken verbatim, instead of the rest of the URL's path (no '/' added)"),
        option_spec("endpoint", KVPS_OPTION_URL, nullptr,
                    "the blob service's URL, http(s)://host[:port][/path] (Azurite: "
                    "http://127.0.0.1:10000/devstoreaccount1); "
                    "else the connection string's BlobEndpoint, else "
                    "https://ACCOUNT.blob.core.windows.net"),
        option_spec(
            "connection_string", KVPS_OPTION_SECRET, nullptr,
            "DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...;BlobEndpoint=... (or "
            "UseDevelopmentStorage=true); else AZURE_STORAGE_CONNECTION_STRING"),
        option_spec(
            "account_key", KVPS_OPTION_SECRET, nullptr,
            "base64 account key for Shared Key; else the connection string's, AZURE_STORAGE_KEY"),
        option_spec(
            "sas_token", KVPS_OPTION_SECRET, nullptr,
            "shared access signature (the query string, with or without '?') used instead of a "
            "key; "
            "else the connection string's SharedAccessSignature, AZURE_STORAGE_SAS_TOKEN"),
        option_spec(
            "anonymous", KVPS_OPTION_BOOL, "false",
            "send requests without authorization (public containers); without it, no key and no "
            "SAS "
            "token is KVPS_NO_CREDENTIALS"),
        option_spec(
            "block_size", KVPS_OPTION_SIZE, "8MiB",
            "values up to this size are one Put Blob; larger ones go up in blocks of this size "
            "(Put Block + Put Block List); also the streaming reader's piece (64KiB..4000MiB)",
            "64KiB", "4000MiB"),
        option_spec("concurrency", KVPS_OPTION_INTEGER, "4", "blocks in flight per upload (1..64)",
                    "1", "64"),
    });
}

std::optional<std::string> env(const char *name) {
    const char *v = std::getenv(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
}

// "Name=value;Name=value;..." -> fields (names as written; values may hold '=').
// `where` names the source in messages; the text itself is never shown (it holds the key).
std::map<std::string, std::string> parse_connection_string(std::string_view text,
                                                           const std::string &where) {
    std::map<std::string, std::string> out;
    while (!text.empty()) {
        size_t end = text.find(';');
        std::string_view part = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        while (!part.empty() && (part.front() == ' ' || part.front() == '\n'))
            part.remove_prefix(1);
        if (part.empty()) continue;
        size_t eq = part.find('=');
        if (eq == std::string_view::npos || eq == 0)
            fail(KVPS_INVALID_OPTION, "az: " + where +
                                          " is not a connection string (expected Name=value;... "
                                          "parts, e.g. AccountName=...;AccountKey=...)");
        out[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
    }
    return out;
}

// An account name goes into URLs, host names and the string to sign: 3..24 lowercase letters
// and digits, as the service requires.
void check_account(const std::string &account, const std::string &where) {
    bool ok = account.size() >= 3 && account.size() <= 24;
    for (char c : account) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
    if (!ok)
        fail(KVPS_INVALID_URL, "az: storage account '" + account + "' (" + where +
                                   ") is not 3 to 24 lowercase letters and digits");
}

void check_container(const std::string &container) {
    bool ok = container.size() >= 3 && container.size() <= 63;
    for (char c : container)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
    if (!ok && container != "$root")
        fail(KVPS_INVALID_URL,
             "az: container '" + container + "' is not 3 to 63 lowercase letters, digits and '-'");
}

Settings make_settings(const Config &config) {
    const Url &url = config.url();
    Settings s;

    // The connection string: the option, else the environment.
    std::map<std::string, std::string> cs;
    if (config.given("connection_string")) {
        cs =
            parse_connection_string(config.string("connection_string"), "option connection_string");
    } else if (auto text = env("AZURE_STORAGE_CONNECTION_STRING")) {
        cs = parse_connection_string(*text, "AZURE_STORAGE_CONNECTION_STRING");
    }
    auto field = [&](const char *name) -> std::optional<std::string> {
        auto it = cs.find(name);
        if (it == cs.end() || it->second.empty()) return std::nullopt;
        return it->second;
    };
    bool development = field("UseDevelopmentStorage") == "true";

    // The account: the option, the URL's host, the connection string, the environment.
    std::string where;
    if (config.given("account")) {
        s.account = config.string("account"), where = "option account";
    } else if (!url.host.empty()) {
        s.account = url.host, where = "the URL's host";
    } else if (auto a = field("AccountName")) {
        s.account = *a, where = "the connection string";
    } else if (development) {
        s.account = kDevAccount, where = "UseDevelopmentStorage";
    } else if (auto a = env("AZURE_STORAGE_ACCOUNT")) {
        s.account = *a, where = "AZURE_STORAGE_ACCOUNT";
    } else {
        fail(KVPS_INVALID_URL,
             "az: no storage account (expected az://ACCOUNT/CONTAINER/PREFIX, the option "
             "account, a connection string's AccountName, or AZURE_STORAGE_ACCOUNT)");
    }
    check_account(s.account, where);
    if (auto a = field("AccountName"); a && *a != s.account)
        fail(KVPS_INVALID_OPTION, "az: the connection string's AccountName '" + *a +
                                      "' is not the account '" + s.account + "' of " + where);

    // The container and the prefix, from the path "/CONTAINER/PREFIX".
    std::string_view path = url.path;
    while (path.starts_with('/')) path.remove_prefix(1);
    size_t slash = path.find('/');
    std::string path_container(path.substr(0, slash));
    std::string path_prefix(slash == std::string_view::npos ? "" : path.substr(slash + 1));
    if (config.given("container")) {
        s.container = config.string("container");
        path_prefix = std::string(path);  // the whole path is the prefix
    } else {
        s.container = path_container;
    }
    if (s.container.empty())
        fail(KVPS_INVALID_URL,
             "az: the URL names no container (expected az://ACCOUNT/CONTAINER/PREFIX or "
             "?container=NAME)");
    check_container(s.container);
    if (config.given("prefix")) {
        s.prefix = config.string("prefix");
    } else {
        s.prefix = path_prefix;
        if (!s.prefix.empty() && s.prefix.back() != '/') s.prefix += '/';
    }

    // The endpoint.
    std::string endpoint;
    if (config.given("endpoint")) {
        endpoint = config.string("endpoint");
    } else if (auto e = field("BlobEndpoint")) {
        endpoint = *e;
    } else if (development) {
        endpoint = "http://127.0.0.1:10000/" + std::string(kDevAccount);
    } else {
        std::string protocol = field("DefaultEndpointsProtocol").value_or("https");
        endpoint = protocol + "://" + s.account + ".blob." +
                   field("EndpointSuffix").value_or("core.windows.net");
    }
    while (endpoint.ends_with('/')) endpoint.pop_back();
    size_t sep = endpoint.find("://");
    std::string scheme = sep == std::string::npos ? "" : endpoint.substr(0, sep);
    bool clean = true;
    for (unsigned char c : endpoint) clean = clean && c > 0x20 && c != 0x7f;
    if ((scheme != "http" && scheme != "https") || sep + 3 >= endpoint.size() ||
        endpoint.find_first_of("?#", sep) != std::string::npos || !clean)
        fail(KVPS_INVALID_OPTION,
             "az: the endpoint must be http(s)://host[:port][/path] without a query or "
             "spaces, not '" +
                 endpoint + "'");
    s.endpoint = endpoint;

    // Credentials: a key (option, connection string, environment) or a SAS token; never shown.
    bool anonymous = config.boolean("anonymous");
    std::string key_source;
    if (config.given("account_key")) {
        s.key_text = config.string("account_key"), key_source = "option account_key";
    } else if (config.given("sas_token")) {
        s.sas = config.string("sas_token");
    } else if (auto k = field("AccountKey")) {
        s.key_text = *k, key_source = "the connection string's AccountKey";
    } else if (auto sas = field("SharedAccessSignature")) {
        s.sas = *sas;
    } else if (development) {
        s.key_text = kDevKey, key_source = "UseDevelopmentStorage";
    } else if (auto k = env("AZURE_STORAGE_KEY")) {
        s.key_text = *k, key_source = "AZURE_STORAGE_KEY";
    } else if (auto sas = env("AZURE_STORAGE_SAS_TOKEN")) {
        s.sas = *sas;
    }
    if (anonymous && (!s.key_text.empty() || !s.sas.empty()) &&
        (config.given("account_key") || config.given("sas_token")))
        fail(KVPS_INVALID_OPTION,
             "az: anonymous=true and a key or SAS token option contradict each other");
    if (anonymous) {
        s.key_text.clear();
        s.sas.clear();
    } else if (s.key_text.empty() && s.sas.empty()) {
        fail(KVPS_NO_CREDENTIALS,
             "az: no credentials for account '" + s.account +
                 "': looked at the options account_key, sas_token and connection_string, "
                 "AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY and "
                 "AZURE_STORAGE_SAS_TOKEN (anonymous=true sends unsigned requests)");
    }
    if (!s.key_text.empty()) {
        std::optional<std::string> key = base64_decode(s.key_text);
        if (!key || key->empty())
            fail(KVPS_INVALID_OPTION, "az: the account key from " + key_source + " is not base64");
        s.key = std::move(*key);
    }
    while (s.sas.starts_with('?')) s.sas.erase(0, 1);
    for (unsigned char c : s.sas)
        if (c <= 0x20 || c == 0x7f || c == '#')
            fail(KVPS_INVALID_OPTION, "az: the SAS token holds a space, control character or '#'");

    s.block_size = config.size("block_size");
    s.concurrency = static_cast<unsigned>(config.integer("concurrency"));
    s.max_attempts = static_cast<unsigned>(config.integer("max_attempts"));
    s.http = net::http_settings(config);
    return s;
}

const Registrar registrar{{
    .name = "az",
    .description = "Azure Blob Storage (block blobs) and Azurite, Shared Key or SAS over libcurl",
    .schemes = {"az", "azure"},
    .options = option_table(),
    .capabilities = KVPS_CAP_RANGE | KVPS_CAP_READ_STREAM | KVPS_CAP_WRITE_STREAM | KVPS_CAP_LIST |
                    KVPS_CAP_PERSISTENT | KVPS_CAP_SHARED,
    .open = [](const Config &config) -> std::unique_ptr<Backend> {
        return std::make_unique<AzureBackend>(make_settings(config));
    },
}};

}  // namespace
}  // namespace kvps::azure
