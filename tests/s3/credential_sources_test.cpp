// Each credential source end to end against MinIO: kvps finds the credentials, signs with
// them, and MinIO accepts a put/get/delete. Real parts: MinIO's own STS (AssumeRole, and
// AssumeRoleWithWebIdentity, which MinIO refuses without an OpenID identity provider, so that
// test checks the call and the refusal), credential_process scripts, and
// amazon-ec2-metadata-mock serving MinIO-issued credentials (KVPS_TEST_IMDS_ENDPOINT, started by
// tests/s3/servers.sh). Container credentials and the SSO portal have no open-source server:
// for those two only, a minimal local HTTP responder written here (LocalResponder) answers.
// Every test also checks that no secret of its source reaches a log line or a message.
//
// Usage: s3_credential_sources_test STORE_URL | '$VARIABLE' (the MinIO URL of servers.sh).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "credential_sources.hpp"
#include "credentials.hpp"
#include "spi/error.hpp"
#include "kvps.h"
#include "url.hpp"

// cmocka last: it defines macros (fail, skip) that clash with standard headers.
#include <cstdarg>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

#include "../kvps_test.h"

namespace {

using kvps::s3::Credentials;

std::string g_endpoint, g_root_id, g_root_secret, g_bucket;
std::string g_store;  // s3://BUCKET/PREFIX?endpoint=...&region=...&path_style=true, no credentials
std::string g_dir;
bool g_ci = false;

const std::vector<kvps::OptionSpec> kSpecs = {
    {"region", KVPS_OPTION_STRING, std::nullopt, false, ""},
    {"endpoint", KVPS_OPTION_URL, std::nullopt, false, ""},
    {"access_key_id", KVPS_OPTION_SECRET, std::nullopt, false, ""},
    {"secret_access_key", KVPS_OPTION_SECRET, std::nullopt, false, ""},
    {"session_token", KVPS_OPTION_SECRET, std::nullopt, false, ""},
    {"profile", KVPS_OPTION_STRING, std::nullopt, false, ""},
    {"anonymous", KVPS_OPTION_BOOL, "false", false, ""},
};

// What kvps's chain finds for the test store's URL, with `profile` when non-empty.
Credentials chain(const std::string &profile = "", std::string *region = nullptr) {
    std::map<std::string, std::string> options;
    if (!profile.empty()) options["profile"] = profile;
    kvps::Config config(kvps::parse_url("s3://" + g_bucket), options, &kSpecs);
    return *kvps::s3::resolve_credentials(config, {}, region)->get();
}

void write_file(const std::string &name, const std::string &text) {
    std::ofstream(g_dir + "/" + name) << text;
}

std::string read_file(const std::string &path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Temporary credentials MinIO issues to its root user (STS AssumeRole), to hand out through
// the sources that have no MinIO of their own.
Credentials mint() {
    kvps::s3::StsTarget sts{g_endpoint, "us-east-1", {}};
    return kvps::s3::sts_assume_role(sts, Credentials{g_root_id, g_root_secret, "", "root", {}},
                                     {"arn:aws:iam::123456789012:role/kvps-test", "kvps-test-mint",
                                      "", "3600", "the test's minting"});
}

std::string iso8601(std::optional<kvps::s3::Clock::time_point> t) {
    std::time_t when =
        kvps::s3::Clock::to_time_t(t.value_or(kvps::s3::Clock::now() + std::chrono::hours(1)));
    char text[32];
    std::tm tm{};
    gmtime_r(&when, &tm);
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

struct CapturedLog {
    std::mutex mutex;
    std::vector<std::string> lines;
};

void capture_line(void *user, kvps_log_level, const char *line) {
    auto *log = static_cast<CapturedLog *>(user);
    std::lock_guard lock(log->mutex);
    log->lines.push_back(line);
}

void assert_no_secret(const std::string &text, const std::vector<std::string> &secrets) {
    for (const std::string &secret : secrets)
        if (!secret.empty() && text.find(secret) != std::string::npos)
            fail_msg("a secret is in: %s", text.c_str());
}

// Opens the test store with `options` (URL query text, may be ""), puts, gets and deletes one
// value, logging at DEBUG; no line and no message may hold one of `secrets`.
void round_trip(const std::string &options, const std::vector<std::string> &secrets) {
    CapturedLog log;
    kvps_set_logger(capture_line, &log, KVPS_LOG_DEBUG);
    kvps_store *s = nullptr;
    std::string url = g_store + options;
    kvps_status opened = kvps_open(url.c_str(), &s);
    std::string message = kvps_last_error();
    if (opened != KVPS_OK) {
        kvps_set_logger(nullptr, nullptr, KVPS_LOG_ERROR);
        assert_no_secret(message, secrets);
        fail_msg("open: %s: %s", kvps_status_name(opened), message.c_str());
    }
    std::string key = "creds-" + std::to_string(getpid()) + "-" + std::to_string(std::rand());
    kvps_status put = kvps_put(s, key.c_str(), "value", 5);
    message = kvps_last_error();
    void *data = nullptr;
    size_t size = 0;
    kvps_status got = put == KVPS_OK ? kvps_get(s, key.c_str(), &data, &size) : put;
    if (got == KVPS_OK) {
        if (size != 5 || std::memcmp(data, "value", 5) != 0) fail_msg("read back other bytes");
        kvps_free(data);
        got = kvps_delete(s, key.c_str());
    }
    if (got != KVPS_OK) message = kvps_last_error();
    std::string store_url = kvps_store_url(s);
    kvps_close(s);
    kvps_set_logger(nullptr, nullptr, KVPS_LOG_ERROR);
    assert_no_secret(message, secrets);
    assert_no_secret(store_url, secrets);
    for (const std::string &line : log.lines) assert_no_secret(line, secrets);
    if (put != KVPS_OK || got != KVPS_OK)
        fail_msg("MinIO refused the request: %s", message.c_str());
    if (log.lines.empty()) fail_msg("no log line at DEBUG");
}

// A minimal HTTP/1.1 responder on 127.0.0.1 that answers every request with one fixed answer
// and records what it was sent. Written for this test only: container credential endpoints
// and the SSO portal have no open-source server to run instead.
class LocalResponder {
public:
    LocalResponder(int status, std::string body) : status_(status), body_(std::move(body)) {
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr *>(&addr), len) != 0 ||
            listen(listener_, 16) != 0 ||
            getsockname(listener_, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
            fail_msg("responder: cannot listen");
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~LocalResponder() {
        stop_ = true;
        thread_.join();
        close(listener_);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::vector<std::string> requests() {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    void serve() {
        while (!stop_) {
            pollfd p{listener_, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            int client = accept(listener_, nullptr, nullptr);
            if (client < 0) continue;
            std::string request;
            char buffer[4096];
            while (request.find("\r\n\r\n") == std::string::npos) {
                ssize_t n = recv(client, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                request.append(buffer, static_cast<size_t>(n));
            }
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(request);
            }
            std::string answer = "HTTP/1.1 " + std::to_string(status_) +
                                 " X\r\nContent-Type: "
                                 "application/json\r\nConnection: close\r\nContent-Length: " +
                                 std::to_string(body_.size()) + "\r\n\r\n" + body_;
            send(client, answer.data(), answer.size(), MSG_NOSIGNAL);
            close(client);
        }
    }

    int status_;
    std::string body_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::string> requests_;
};

int clean_environment(void **) {
    for (const char *name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
          "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_REGION",
          "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
          "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
          "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SSO"})
        unsetenv(name);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("HOME", g_dir.c_str(), 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", (g_dir + "/credentials").c_str(), 1);
    setenv("AWS_CONFIG_FILE", (g_dir + "/config").c_str(), 1);
    setenv("AWS_ENDPOINT_URL_STS", g_endpoint.c_str(), 1);  // STS is MinIO's
    std::remove((g_dir + "/credentials").c_str());
    std::remove((g_dir + "/config").c_str());
    return 0;
}

// --- no credentials, anonymous

void no_credentials_refuses_to_open(void **) {
    kvps_store *s = nullptr;
    ASSERT_STATUS(KVPS_NO_CREDENTIALS, kvps_open(g_store.c_str(), &s));
    if (!std::strstr(kvps_last_error(), "Looked at, in order"))
        fail_msg("the message lists no places: %s", kvps_last_error());
    // anonymous=true opens and sends unsigned requests, which MinIO refuses for this bucket.
    ASSERT_OK(kvps_open((g_store + "&anonymous=true").c_str(), &s));
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_put(s, "anonymous", "x", 1));
    kvps_close(s);
}

void environment_keys(void **) {
    setenv("AWS_ACCESS_KEY_ID", g_root_id.c_str(), 1);
    setenv("AWS_SECRET_ACCESS_KEY", g_root_secret.c_str(), 1);
    round_trip("", {g_root_secret});
}

// --- STS AssumeRole on MinIO

void assume_role_with_source_profile(void **) {
    write_file("credentials", "[base]\naws_access_key_id = " + g_root_id +
                                  "\naws_secret_access_key = " + g_root_secret + "\n");
    write_file("config",
               "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/kvps-test\n"
               "source_profile = base\nrole_session_name = kvps-test-session\n");
    Credentials c = chain("role");
    assert_false(c.session_token.empty());
    assert_true(c.access_key_id != g_root_id);
    assert_true(c.expiration.has_value());
    if (c.source.find("STS AssumeRole") == std::string::npos)
        fail_msg("source: %s", c.source.c_str());
    round_trip("&profile=role", {g_root_secret, c.secret_access_key, c.session_token});
}

void assume_role_chained_reaches_the_second_hop(void **) {
    // hop2's caller is hop1's temporary credentials. MinIO refuses AssumeRole to temporary
    // credentials (AWS allows role chaining), so the second call is refused: the refusal
    // proves it was made, with hop1's credentials, and names the profile.
    write_file("credentials", "[base]\naws_access_key_id = " + g_root_id +
                                  "\naws_secret_access_key = " + g_root_secret + "\n");
    write_file(
        "config",
        "[profile hop1]\nrole_arn = arn:aws:iam::123456789012:role/one\nsource_profile = base\n"
        "[profile hop2]\nrole_arn = arn:aws:iam::123456789012:role/two\nsource_profile = hop1\n");
    try {
        chain("hop2");
        fail_msg("MinIO accepted AssumeRole from temporary credentials");
    } catch (const kvps::Error &e) {
        assert_int_equal(e.status(), KVPS_PERMISSION_DENIED);
        if (e.message().find("profile 'hop2'") == std::string::npos ||
            e.message().find("AccessDenied") == std::string::npos)
            fail_msg("message: %s", e.message().c_str());
        assert_no_secret(e.message(), {g_root_secret});
    }
}

void assume_role_with_credential_source(void **) {
    // credential_source = Environment: the caller's keys come from AWS_ACCESS_KEY_ID. The
    // profile option keeps those keys from being used directly.
    setenv("AWS_ACCESS_KEY_ID", g_root_id.c_str(), 1);
    setenv("AWS_SECRET_ACCESS_KEY", g_root_secret.c_str(), 1);
    write_file("config",
               "[profile envrole]\nrole_arn = arn:aws:iam::123456789012:role/kvps-test\n"
               "credential_source = Environment\n");
    Credentials c = chain("envrole");
    assert_false(c.session_token.empty());
    round_trip("&profile=envrole", {g_root_secret, c.secret_access_key, c.session_token});
}

void web_identity_reaches_minio_sts(void **) {
    // MinIO implements AssumeRoleWithWebIdentity only with an OpenID identity provider
    // configured (its JWKS validates the token); none runs here. The call is made and MinIO's
    // refusal comes back named, without the token.
    const std::string token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJrdnBzIn0.kvps-web-identity-token";
    write_file("token", token);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", (g_dir + "/token").c_str(), 1);
    setenv("AWS_ROLE_ARN", "arn:minio:iam:::role/kvps-test", 1);
    kvps_store *s = nullptr;
    kvps_status status = kvps_open(g_store.c_str(), &s);
    assert_int_not_equal(status, KVPS_OK);
    std::string message = kvps_last_error();
    if (message.find("AssumeRoleWithWebIdentity") == std::string::npos ||
        message.find("web identity") == std::string::npos ||
        message.find("InvalidParameterValue") == std::string::npos)
        fail_msg("message: %s", message.c_str());
    assert_no_secret(message, {token});
}

// --- credential_process

void credential_process_end_to_end(void **) {
    Credentials minted = mint();
    write_file("proc.json", "{\"Version\": 1, \"AccessKeyId\": \"" + minted.access_key_id +
                                "\", \"SecretAccessKey\": \"" + minted.secret_access_key +
                                "\", \"SessionToken\": \"" + minted.session_token +
                                "\", \"Expiration\": \"" + iso8601(minted.expiration) + "\"}\n");
    write_file("config", "[profile proc]\ncredential_process = cat " + g_dir + "/proc.json\n");
    setenv("AWS_PROFILE", "proc", 1);
    Credentials c = chain();
    assert_string_equal(c.access_key_id.c_str(), minted.access_key_id.c_str());
    assert_true(c.expiration.has_value());
    round_trip("", {minted.secret_access_key, minted.session_token});
}

void expired_credentials_are_renewed_once(void **) {
    // The process first hands out keys MinIO does not know (as it answers for expired
    // temporary keys: InvalidAccessKeyId), then good ones: kvps asks again once and retries.
    Credentials minted = mint();
    write_file("good.json", "{\"Version\": 1, \"AccessKeyId\": \"" + minted.access_key_id +
                                "\", \"SecretAccessKey\": \"" + minted.secret_access_key +
                                "\", \"SessionToken\": \"" + minted.session_token + "\"}\n");
    write_file(
        "stale.json",
        "{\"Version\": 1, \"AccessKeyId\": \"KVPSSTALEKEY000000\", "
        "\"SecretAccessKey\": \"stale-secret-kvps\", \"SessionToken\": \"stale-token-kvps\"}\n");
    std::string calls = g_dir + "/calls";
    std::remove(calls.c_str());
    write_file("rotate.sh", "echo x >> " + calls + "\nif [ $(wc -l < " + calls +
                                ") -eq 1 ]; then cat " + g_dir + "/stale.json; else cat " + g_dir +
                                "/good.json; fi\n");
    write_file("config", "[default]\ncredential_process = sh " + g_dir + "/rotate.sh\n");
    round_trip("&max_attempts=1", {minted.secret_access_key, minted.session_token,
                                   "stale-secret-kvps", "stale-token-kvps"});
    std::string log = read_file(calls);
    assert_int_equal(std::count(log.begin(), log.end(), '\n'), 2);
}

void credentials_near_expiry_are_refreshed_ahead(void **) {
    // The process says its credentials expire in 3 minutes: inside the 5-minute refresh-ahead
    // window, so the first request after opening asks the process again, and the next request
    // (a moment later) does not.
    Credentials minted = mint();
    std::string calls = g_dir + "/ahead-calls";
    std::remove(calls.c_str());
    write_file("ahead.json",
               "{\"Version\": 1, \"AccessKeyId\": \"" + minted.access_key_id +
                   "\", \"SecretAccessKey\": \"" + minted.secret_access_key +
                   "\", \"SessionToken\": \"" + minted.session_token + "\", \"Expiration\": \"" +
                   iso8601(kvps::s3::Clock::now() + std::chrono::minutes(3)) + "\"}\n");
    write_file("config", "[default]\ncredential_process = sh -c 'echo x >> " + calls + "; cat " +
                             g_dir + "/ahead.json'\n");
    kvps_store *s = nullptr;
    ASSERT_OK(kvps_open(g_store.c_str(), &s));
    std::string opened = read_file(calls);
    assert_int_equal(std::count(opened.begin(), opened.end(), '\n'), 1);
    ASSERT_OK(kvps_put(s, "ahead", "v", 1));
    ASSERT_OK(kvps_delete(s, "ahead"));
    kvps_close(s);
    std::string after = read_file(calls);
    assert_int_equal(std::count(after.begin(), after.end(), '\n'), 2);
}

// --- SSO (local responder for the portal)

void sso_end_to_end(void **) {
    Credentials minted = mint();
    long long expires_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(minted.expiration->time_since_epoch())
            .count();
    LocalResponder portal(200, "{\"roleCredentials\": {\"accessKeyId\": \"" + minted.access_key_id +
                                   "\", \"secretAccessKey\": \"" + minted.secret_access_key +
                                   "\", \"sessionToken\": \"" + minted.session_token +
                                   "\", \"expiration\": " + std::to_string(expires_ms) + "}}");
    setenv("AWS_ENDPOINT_URL_SSO", portal.url().c_str(), 1);
    write_file("config",
               "[profile sso]\nsso_session = kvps\nsso_account_id = 111122223333\n"
               "sso_role_name = Reader\n[sso-session kvps]\nsso_region = eu-west-1\n"
               "sso_start_url = https://kvps.awsapps.com/start\n");
    // The cache file `aws sso login --sso-session kvps` writes: SHA-1 of the session name.
    std::system(("mkdir -p " + g_dir + "/.aws/sso/cache").c_str());
    const std::string token = "kvps-sso-access-token-0123456789";
    std::ofstream(g_dir + "/.aws/sso/cache/67cf5b442747cd6eec7eb36f4763a560c8b9fb11.json")
        << "{\"accessToken\": \"" << token << "\", \"expiresAt\": \"2199-01-01T00:00:00Z\", "
        << "\"region\": \"eu-west-1\", \"startUrl\": \"https://kvps.awsapps.com/start\"}";
    round_trip("&profile=sso", {minted.secret_access_key, minted.session_token, token});
    std::vector<std::string> requests = portal.requests();
    assert_true(!requests.empty());
    const std::string &first = requests.front();
    if (first.find("GET /federation/credentials?account_id=111122223333&role_name=Reader ") != 0 ||
        first.find("x-amz-sso_bearer_token: " + token) == std::string::npos)
        fail_msg("the portal got: %s", first.c_str());
}

// --- container credentials (local responder for the endpoint)

void container_end_to_end(void **) {
    Credentials minted = mint();
    LocalResponder endpoint(200, "{\"AccessKeyId\": \"" + minted.access_key_id +
                                     "\", \"SecretAccessKey\": \"" + minted.secret_access_key +
                                     "\", \"Token\": \"" + minted.session_token +
                                     "\", \"Expiration\": \"" + iso8601(minted.expiration) + "\"}");
    const std::string token = "kvps-container-auth-token-42";
    write_file("auth", token + "\n");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", (endpoint.url() + "/v1/credentials").c_str(), 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", (g_dir + "/auth").c_str(), 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-the-file-is-set", 1);
    round_trip("", {minted.secret_access_key, minted.session_token, token});
    std::vector<std::string> requests = endpoint.requests();
    assert_true(!requests.empty());
    if (requests.front().find("GET /v1/credentials ") != 0 ||
        requests.front().find("Authorization: " + token + "\r\n") == std::string::npos)
        fail_msg("the endpoint got: %s", requests.front().c_str());

    // A refusing endpoint is an error naming it.
    LocalResponder refusing(403, "{}");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", refusing.url().c_str(), 1);
    kvps_store *s = nullptr;
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_open(g_store.c_str(), &s));
    if (!std::strstr(kvps_last_error(), "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
        fail_msg("message: %s", kvps_last_error());
    assert_no_secret(kvps_last_error(), {token});
}

// --- instance metadata (amazon-ec2-metadata-mock)

void instance_metadata_end_to_end(void **) {
    const char *imds = std::getenv("KVPS_TEST_IMDS_ENDPOINT");
    if (!imds || !*imds) {
        if (g_ci) fail_msg("KVPS_TEST_IMDS_ENDPOINT is not set (tests/s3/servers.sh starts it)");
        skip();
    }
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds, 1);
    std::string region;
    Credentials c = chain("", &region);
    if (c.source.find("instance metadata (role 'kvps-test-role')") == std::string::npos)
        fail_msg("source: %s", c.source.c_str());
    assert_false(c.session_token.empty());
    assert_true(c.expiration.has_value());
    assert_string_equal(region.c_str(), "eu-north-1");  // placement/region, as servers.sh set it
    round_trip("", {c.secret_access_key, c.session_token});

    // AWS_EC2_METADATA_DISABLED=true: not asked, and said so.
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    kvps_store *s = nullptr;
    ASSERT_STATUS(KVPS_NO_CREDENTIALS, kvps_open(g_store.c_str(), &s));
    if (!std::strstr(kvps_last_error(), "AWS_EC2_METADATA_DISABLED"))
        fail_msg("message: %s", kvps_last_error());
}

std::string query_value(const kvps::Url &url, const std::string &name) {
    for (const auto &[n, v] : url.query)
        if (n == name) return v;
    return "";
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s STORE_URL | '$VARIABLE'\n", argv[0]);
        return 2;
    }
    std::string base = argv[1];
    const char *ci = std::getenv("CI");
    g_ci = ci && std::strcmp(ci, "true") == 0;
    if (!base.empty() && base[0] == '$') {
        const char *value = std::getenv(base.c_str() + 1);
        if (!value || !*value) {
            std::fprintf(stderr, "%s: %s is not set (start servers with tests/s3/servers.sh): %s\n",
                         argv[0], base.c_str(), g_ci ? "failing, CI=true" : "skipped");
            return g_ci ? 1 : 77;
        }
        base = value;
    }
    kvps::Url url = kvps::parse_url(base);
    g_bucket = url.host;
    g_endpoint = query_value(url, "endpoint");
    g_root_id = query_value(url, "access_key_id");
    g_root_secret = query_value(url, "secret_access_key");
    g_store = "s3://" + g_bucket + "/kvps-credentials-test?endpoint=" + g_endpoint +
              "&region=" + query_value(url, "region") + "&path_style=true";
    char dir[] = "/tmp/kvps-credential-sources-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    g_dir = dir;
    std::srand(static_cast<unsigned>(std::time(nullptr)));

    const CMUnitTest tests[] = {
        cmocka_unit_test_setup(no_credentials_refuses_to_open, clean_environment),
        cmocka_unit_test_setup(environment_keys, clean_environment),
        cmocka_unit_test_setup(assume_role_with_source_profile, clean_environment),
        cmocka_unit_test_setup(assume_role_chained_reaches_the_second_hop, clean_environment),
        cmocka_unit_test_setup(assume_role_with_credential_source, clean_environment),
        cmocka_unit_test_setup(web_identity_reaches_minio_sts, clean_environment),
        cmocka_unit_test_setup(credential_process_end_to_end, clean_environment),
        cmocka_unit_test_setup(expired_credentials_are_renewed_once, clean_environment),
        cmocka_unit_test_setup(credentials_near_expiry_are_refreshed_ahead, clean_environment),
        cmocka_unit_test_setup(sso_end_to_end, clean_environment),
        cmocka_unit_test_setup(container_end_to_end, clean_environment),
        cmocka_unit_test_setup(instance_metadata_end_to_end, clean_environment),
    };
    if (const char *filter = std::getenv("KVPS_TEST_FILTER")) cmocka_set_test_filter(filter);
    int failed = cmocka_run_group_tests_name("s3_credential_sources", tests, nullptr, nullptr);
    std::system(("rm -rf " + g_dir).c_str());
    return failed;
}
