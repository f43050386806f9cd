// The s3 backend's option table, settings and registration (schemes s3, then aws).
#include "spi/options.hpp"
#include "credentials.hpp"
#include "spi/error.hpp"
#include "spi/log.hpp"
#include "spi/registrar.hpp"
#include "s3_backend.hpp"

namespace kvps::s3 {
namespace {

std::vector<OptionSpec> option_table() {
    return net::with_http_options({
        option_spec(
            "region", KVPS_OPTION_STRING, nullptr,
            "signing region; else AWS_REGION, AWS_DEFAULT_REGION, the profile, the instance "
            "metadata (when the credentials came from there), us-east-1"),
        option_spec("endpoint", KVPS_OPTION_URL, nullptr,
                    "http(s)://host[:port] of an S3-compatible server; else AWS_ENDPOINT_URL_S3, "
                    "AWS_ENDPOINT_URL, the profile, AWS",
                    nullptr, nullptr, {"serviceurl"}),
        option_spec("path_style", KVPS_OPTION_BOOL, nullptr,
                    "address the bucket in the path; default true with an endpoint, false for AWS",
                    nullptr, nullptr, {"forcepathstyle"}),
        option_spec(
            "access_key_id", KVPS_OPTION_SECRET, nullptr,
            "access key id; else, in order: the URL's user, AWS_ACCESS_KEY_ID, web identity "
            "(AWS_WEB_IDENTITY_TOKEN_FILE), the profile (role_arn, sso, static keys, "
            "credential_process), container credentials, instance metadata (IMDSv2); none is "
            "KVPS_NO_CREDENTIALS",
            nullptr, nullptr, {"username"}),
        option_spec(
            "secret_access_key", KVPS_OPTION_SECRET, nullptr,
            "secret access key; else the URL's password, or the chain given for access_key_id",
            nullptr, nullptr, {"password"}),
        option_spec("bucket", KVPS_OPTION_STRING, nullptr,
                    "the bucket, instead of the URL's host (KVPSButter's option)"),
        option_spec(
            "prefix", KVPS_OPTION_STRING, nullptr,
            "a key prefix taken verbatim, instead of the URL's path: key k is object PREFIX+k, "
            "with "
            "no '/' added (KVPSButter's rule)"),
        option_spec("disablechunkedencoding", KVPS_OPTION_BOOL, nullptr,
                    "KVPSButter's; accepted and ignored"),
        option_spec("disablegetobjectattributes", KVPS_OPTION_BOOL, nullptr,
                    "KVPSButter's; accepted and ignored"),
        option_spec("session_token", KVPS_OPTION_SECRET, nullptr,
                    "session token of temporary credentials; else AWS_SESSION_TOKEN, or the chain"),
        option_spec(
            "profile", KVPS_OPTION_STRING, nullptr,
            "profile of ~/.aws/config and ~/.aws/credentials; else AWS_PROFILE, "
            "AWS_DEFAULT_PROFILE, default. When given, AWS_ACCESS_KEY_ID is not used; a profile "
            "in neither file is KVPS_NO_CREDENTIALS"),
        option_spec(
            "anonymous", KVPS_OPTION_BOOL, "false",
            "send unsigned requests (public buckets), like the AWS CLI's --no-sign-request; "
            "without it, finding no credentials is an error"),
        option_spec("part_size", KVPS_OPTION_SIZE, "8MiB",
                    "multipart part size (5MiB..5GiB); larger values go multipart", "5MiB", "5GiB"),
        option_spec("concurrency", KVPS_OPTION_INTEGER, "4",
                    "parts in flight per upload and parallel items per batch (1..64)", "1", "64"),
        option_spec("unsigned_payload", KVPS_OPTION_BOOL, nullptr,
                    "do not hash bodies into the signature; default true over https (TLS and "
                    "each body's CRC32C keep it intact), false over plain http"),
        option_spec(
            "max_connections", KVPS_OPTION_INTEGER, "64",
            "most connections the asynchronous operations' I/O thread keeps open (1..1024); "
            "more requests in flight wait their turn",
            "1", "1024"),
        option_spec("copy_threshold", KVPS_OPTION_SIZE, "5GiB",
                    "copies of larger values use UploadPartCopy in part_size parts instead of one "
                    "CopyObject (0..5GiB)",
                    nullptr, "5GiB"),
    });
}

Settings make_settings(const Config &config) {
    const Url &url = config.url();
    Settings s;
    s.bucket = config.given("bucket") ? config.string("bucket") : url.host;
    if (s.bucket.empty())
        fail(KVPS_INVALID_URL,
             "s3: the URL names no bucket (expected s3://BUCKET/PREFIX?... or ?bucket=NAME)");
    if (config.given("prefix")) {
        s.prefix = config.string("prefix");  // KVPSButter's: verbatim, no '/' added
    } else {
        s.prefix = url.path;
        while (!s.prefix.empty() && s.prefix.front() == '/') s.prefix.erase(0, 1);
        if (!s.prefix.empty() && s.prefix.back() != '/') s.prefix += '/';
    }
    // disablechunkedencoding and disablegetobjectattributes (KVPSButter's) are accepted and
    // ignored.
    s.http = net::http_settings(config);
    s.region = resolve_region(config);
    std::optional<std::string> endpoint = resolve_endpoint(config);
    if (endpoint) {
        std::string e = *endpoint;
        while (!e.empty() && e.back() == '/') e.pop_back();
        size_t sep = e.find("://");
        std::string scheme = sep == std::string::npos ? "" : e.substr(0, sep);
        if ((scheme != "http" && scheme != "https") || sep + 3 >= e.size() ||
            e.find('/', sep + 3) != std::string::npos || e.find('?') != std::string::npos)
            fail(KVPS_INVALID_OPTION,
                 "s3: option endpoint must be http(s)://host[:port] "
                 "without a path, not '" +
                     e + "'");
        s.endpoint = e;
    }
    s.path_style = config.given("path_style") ? config.boolean("path_style") : endpoint.has_value();

    s.part_size = config.size("part_size");
    s.concurrency = static_cast<unsigned>(config.integer("concurrency"));
    s.max_attempts = static_cast<unsigned>(config.integer("max_attempts"));
    s.max_connections = static_cast<unsigned>(config.integer("max_connections"));
    // Over https, TLS guards a body in transit and the server checks the CRC32C sent with it
    // (x-amz-checksum-crc32c): its SHA-256 in the signature adds a pass over every byte on both
    // sides and nothing else, so it is left out, as AWS's own SDKs do. Over plain http the
    // signature is a body's only protection against a change on the way.
    bool https = (endpoint ? *endpoint : std::string("https://")).starts_with("https://");
    s.unsigned_payload =
        config.given("unsigned_payload") ? config.boolean("unsigned_payload") : https;
    s.copy_threshold = config.size("copy_threshold");
    // Last, once every option is known good: the chain may call STS, SSO, a process, IMDS.
    s.credentials = resolve_credentials(config, s.http, &s.region);
    if (s.region.empty()) s.region = "us-east-1";
    if (!endpoint) s.endpoint = "https://s3." + s.region + ".amazonaws.com";
    return s;
}

const Registrar registrar{{
    .name = "s3",
    .description =
        "Amazon S3 and S3-compatible servers (MinIO, versitygw, ...), SigV4 over libcurl",
    .schemes = {"s3", "aws"},
    .options = option_table(),
    .capabilities = KVPS_CAP_RANGE | KVPS_CAP_READ_STREAM | KVPS_CAP_WRITE_STREAM | KVPS_CAP_LIST |
                    KVPS_CAP_BATCH | KVPS_CAP_PERSISTENT | KVPS_CAP_SHARED,
    .open = [](const Config &config) -> std::unique_ptr<Backend> {
        return std::make_unique<S3Backend>(make_settings(config));
    },
}};

}  // namespace
}  // namespace kvps::s3
