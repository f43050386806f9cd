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
    return net::with_http_options({
        option_spec(
            "endpoint", KVPS_OPTION_URL, nullptr,
            "http(s)://host[:port] of the JSON API (an emulator, say); else STORAGE_EMULATOR_HOST, "
            "else https://storage.googleapis.com"),
        option_spec(
            "anonymous", KVPS_OPTION_BOOL, "false",
            "send no token (public buckets, emulators); without it, finding no credentials is an "
            "error"),
        option_spec(
            "credentials", KVPS_OPTION_STRING, nullptr,
            "path of a service_account or authorized_user JSON file; else, in order: "
            "GOOGLE_APPLICATION_CREDENTIALS, (anonymous under STORAGE_EMULATOR_HOST), the gcloud "
            "application-default file, the metadata server (GCE_METADATA_HOST); none is "
            "KVPS_NO_CREDENTIALS"),
        option_spec("access_token", KVPS_OPTION_SECRET, nullptr,
                    "an OAuth2 access token to send as it is"),
        option_spec("upload_threshold", KVPS_OPTION_SIZE, "8MiB",
                    "larger values go as resumable uploads, smaller ones as one request (0..5GiB)",
                    "0", "5GiB"),
        option_spec(
            "chunk_size", KVPS_OPTION_SIZE, "8MiB",
            "resumable upload chunk and streaming read size, rounded down to 256KiB (256KiB..1GiB)",
            "256KiB", "1GiB"),
    });
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
    s.http = net::http_settings(config);
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
