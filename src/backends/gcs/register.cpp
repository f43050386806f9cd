// The gs backend's option table, settings and registration (schemes gs, then gcs).
#include <cstdlib>

#include "auth.hpp"
#include "gcs_backend.hpp"
#include "spi/error.hpp"
#include "spi/options.hpp"
#include "spi/registrar.hpp"

namespace kvps::gcs {
namespace {

std::vector<OptionSpec> option_table() {
    auto opt = [](const char *name, kvps_option_type type, const char *def, const char *text,
                  const char *min = nullptr, const char *max = nullptr) {
        auto maybe = [](const char *s) { return s ? std::optional<std::string>(s) : std::nullopt; };
        return OptionSpec{name, type, maybe(def), false, text, maybe(min), maybe(max)};
    };
    return {
        opt("endpoint", KVPS_OPTION_URL, nullptr,
            "http(s)://host[:port] of the JSON API (an emulator, say); else STORAGE_EMULATOR_HOST, "
            "else https://storage.googleapis.com"),
        opt("anonymous", KVPS_OPTION_BOOL, "false",
            "send no token (public buckets, emulators); without it, finding no credentials is an "
            "error"),
        opt("credentials", KVPS_OPTION_STRING, nullptr,
            "path of a service_account or authorized_user JSON file; else, in order: "
            "GOOGLE_APPLICATION_CREDENTIALS, (anonymous under STORAGE_EMULATOR_HOST), the gcloud "
            "application-default file, the metadata server (GCE_METADATA_HOST); none is "
            "KVPS_NO_CREDENTIALS"),
        opt("access_token", KVPS_OPTION_SECRET, nullptr, "an OAuth2 access token to send as it is"),
        opt("upload_threshold", KVPS_OPTION_SIZE, "8MiB",
            "larger values go as resumable uploads, smaller ones as one request (0..5GiB)", "0",
            "5GiB"),
        opt("chunk_size", KVPS_OPTION_SIZE, "8MiB",
            "resumable upload chunk and streaming read size, rounded down to 256KiB (256KiB..1GiB)",
            "256KiB", "1GiB"),
        opt("max_attempts", KVPS_OPTION_INTEGER, "3",
            "tries per request, with exponential backoff and full jitter (1..20)", "1", "20"),
        opt("connect_timeout", KVPS_OPTION_DURATION, "10s", "longest wait for a connection"),
        opt("request_timeout", KVPS_OPTION_DURATION, "30s",
            "longest a request may go without receiving or sending a byte"),
        opt("ca_file", KVPS_OPTION_STRING, nullptr, "PEM file of CA certificates to trust"),
        opt("verify_tls", KVPS_OPTION_BOOL, "true", "verify the server's TLS certificate"),
    };
}

std::string checked_endpoint(std::string e, std::string_view from) {
    while (!e.empty() && e.back() == '/') e.pop_back();
    size_t sep = e.find("://");
    std::string scheme = sep == std::string::npos ? "" : e.substr(0, sep);
    bool bad = (scheme != "http" && scheme != "https") || sep + 3 >= e.size() ||
               e.find('/', sep + 3) != std::string::npos || e.find('?') != std::string::npos;
    for (unsigned char c : e) bad = bad || c <= 0x20 || c == 0x7f;
    if (bad)
        fail(KVPS_INVALID_OPTION, "gs: " + std::string(from) +
                                      " must be http(s)://host[:port] without a path, not '" + e +
                                      "'");
    return e;
}

Settings make_settings(const Config &config) {
    const Url &url = config.url();
    Settings s;
    s.bucket = url.host;
    if (s.bucket.empty())
        fail(KVPS_INVALID_URL, "gs: the URL names no bucket (expected gs://BUCKET/PREFIX?...)");
    s.prefix = url.path;
    while (!s.prefix.empty() && s.prefix.front() == '/') s.prefix.erase(0, 1);
    if (!s.prefix.empty() && s.prefix.back() != '/') s.prefix += '/';
    s.http.connect_timeout = config.duration("connect_timeout");
    s.http.stall_timeout = config.duration("request_timeout");
    s.http.verify_tls = config.boolean("verify_tls");
    if (config.given("ca_file")) s.http.ca_file = config.string("ca_file");
    const char *emulator = std::getenv("STORAGE_EMULATOR_HOST");
    if (config.given("endpoint"))
        s.endpoint = checked_endpoint(config.string("endpoint"), "option endpoint");
    else if (emulator && *emulator)  // Google's libraries accept host:port without a scheme
        s.endpoint =
            checked_endpoint(std::string_view(emulator).find("://") == std::string_view::npos
                                 ? "http://" + std::string(emulator)
                                 : std::string(emulator),
                             "STORAGE_EMULATOR_HOST");
    else
        s.endpoint = "https://storage.googleapis.com";
    s.upload_threshold = config.size("upload_threshold");
    s.chunk_size = config.size("chunk_size") / (256 * 1024) * (256 * 1024);  // GCS's chunk granule
    s.max_attempts = static_cast<unsigned>(config.integer("max_attempts"));
    // Last, once every option is known good: the chain may read files and ask servers.
    s.credentials = resolve_credentials(config, s.http);
    return s;
}

const Registrar registrar{{
    .name = "gs",
    .description =
        "Google Cloud Storage and its emulators (fake-gcs-server), JSON API over libcurl",
    .schemes = {"gs", "gcs"},
    .options = option_table(),
    .capabilities = KVPS_CAP_RANGE | KVPS_CAP_READ_STREAM | KVPS_CAP_WRITE_STREAM | KVPS_CAP_LIST |
                    KVPS_CAP_PERSISTENT | KVPS_CAP_SHARED,
    .open = [](const Config &config) -> std::unique_ptr<Backend> {
        return std::make_unique<GcsBackend>(make_settings(config));
    },
}};

}  // namespace
}  // namespace kvps::gcs
