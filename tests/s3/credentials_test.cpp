// Where the s3 backend takes credentials, region and endpoint from, in the AWS SDKs' order, and
// how it says so when it finds none. No S3 server needed: the sources that need one are in
// credential_sources_test.cpp. Instance metadata is disabled (AWS_EC2_METADATA_DISABLED) unless
// a test points it at a closed port.
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "aws_config.hpp"
#include "credential_sources.hpp"
#include "credentials.hpp"
#include "spi/error.hpp"
#include "net/json.hpp"
#include "url.hpp"

// cmocka last: it defines macros (fail, skip) that clash with standard headers.
#include <cstdarg>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

namespace {

using kvps::s3::Clock;
using kvps::s3::CredentialProvider;
using kvps::s3::Credentials;

const std::vector<kvps::OptionSpec> kSpecs = {
    {"region", KVPS_OPTION_STRING, std::nullopt, false, ""},
    {"endpoint", KVPS_OPTION_URL, std::nullopt, false, ""},
    {"access_key_id", KVPS_OPTION_SECRET, std::nullopt, false, ""},
    {"secret_access_key", KVPS_OPTION_SECRET, std::nullopt, false, ""},
    {"session_token", KVPS_OPTION_SECRET, std::nullopt, false, ""},
    {"profile", KVPS_OPTION_STRING, std::nullopt, false, ""},
    {"anonymous", KVPS_OPTION_BOOL, "false", false, ""},
};

std::string g_dir;

kvps::Config config(const std::string &url, std::map<std::string, std::string> options = {}) {
    return kvps::Config(kvps::parse_url(url), std::move(options), &kSpecs);
}

Credentials resolve(const std::string &url, std::map<std::string, std::string> options = {}) {
    return *kvps::s3::resolve_credentials(config(url, std::move(options)))->get();
}

void write_file(const std::string &name, const std::string &text) {
    std::ofstream(g_dir + "/" + name) << text;
}

// The status and message of what `body` throws; fails the test when it throws nothing.
template <class F>
kvps::Error error_of(F body) {
    try {
        body();
    } catch (const kvps::Error &e) {
        return e;
    }
    fail_msg("no error was thrown");
    return kvps::Error(KVPS_OK, "");
}

void assert_contains(const std::string &text, const std::string &part) {
    if (text.find(part) == std::string::npos)
        fail_msg("'%s' is not in: %s", part.c_str(), text.c_str());
}

void assert_lacks(const std::string &text, const std::string &part) {
    if (text.find(part) != std::string::npos)
        fail_msg("'%s' should not be in: %s", part.c_str(), text.c_str());
}

int clean_environment(void **) {
    for (const char *name :
         {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
          "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE",
          "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
          "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
          "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO"})
        unsetenv(name);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("HOME", g_dir.c_str(), 1);
    // Shared files that do not exist unless a test writes them.
    setenv("AWS_SHARED_CREDENTIALS_FILE", (g_dir + "/credentials").c_str(), 1);
    setenv("AWS_CONFIG_FILE", (g_dir + "/config").c_str(), 1);
    std::remove((g_dir + "/credentials").c_str());
    std::remove((g_dir + "/config").c_str());
    return 0;
}

// --- the order of the static sources

void options_come_first(void **) {
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    auto c = resolve("s3://URLID:urlsecret@bucket",
                     {{"access_key_id", "OPTID"}, {"secret_access_key", "optsecret"}});
    assert_string_equal(c.access_key_id.c_str(), "OPTID");
    assert_string_equal(c.secret_access_key.c_str(), "optsecret");
}

void url_before_environment(void **) {
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    auto c = resolve("s3://URLID:urlsecret@bucket");
    assert_string_equal(c.access_key_id.c_str(), "URLID");
    assert_string_equal(c.secret_access_key.c_str(), "urlsecret");
}

void environment_before_files(void **) {
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    write_file("credentials", "[default]\naws_access_key_id = FILEID\naws_secret_access_key = f\n");
    auto c = resolve("s3://bucket");
    assert_string_equal(c.access_key_id.c_str(), "ENVID");
    assert_string_equal(c.session_token.c_str(), "envtoken");
}

void profile_from_shared_files(void **) {
    write_file("credentials",
               "[default]\naws_access_key_id = DEFID\naws_secret_access_key = d\n"
               "[work]\n  aws_access_key_id=WORKID  \naws_secret_access_key = w s\n");
    write_file("config",
               "[profile work]\nregion = eu-west-3\nendpoint_url = http://127.0.0.1:9\n"
               "s3 =\n  addressing_style = path\n  region = nested-must-not-win\n");
    assert_string_equal(resolve("s3://bucket").access_key_id.c_str(), "DEFID");
    setenv("AWS_PROFILE", "work", 1);
    auto c = resolve("s3://bucket");
    assert_string_equal(c.access_key_id.c_str(), "WORKID");
    assert_string_equal(c.secret_access_key.c_str(), "w s");
    assert_string_equal(kvps::s3::resolve_region(config("s3://bucket")).c_str(), "eu-west-3");
    assert_string_equal(kvps::s3::resolve_endpoint(config("s3://bucket")).value().c_str(),
                        "http://127.0.0.1:9");
    // The profile option wins over AWS_PROFILE.
    assert_string_equal(resolve("s3://bucket", {{"profile", "default"}}).access_key_id.c_str(),
                        "DEFID");
}

void credentials_in_config_file(void **) {
    write_file("config", "[default]\naws_access_key_id = CONFID\naws_secret_access_key = c\n");
    assert_string_equal(resolve("s3://bucket").access_key_id.c_str(), "CONFID");
}

void profile_option_skips_the_environment(void **) {
    // As the AWS CLI's --profile: an explicitly named profile is used even with keys in the
    // environment (AWS_PROFILE does not do that).
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    write_file("credentials", "[dev]\naws_access_key_id = DEVID\naws_secret_access_key = d\n");
    assert_string_equal(resolve("s3://bucket", {{"profile", "dev"}}).access_key_id.c_str(),
                        "DEVID");
    setenv("AWS_PROFILE", "dev", 1);
    assert_string_equal(resolve("s3://bucket").access_key_id.c_str(), "ENVID");
}

void half_a_pair_is_an_error(void **) {
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    kvps::Error e = error_of([] { resolve("s3://bucket"); });
    assert_int_equal(e.status(), KVPS_INVALID_OPTION);
    assert_contains(e.message(), "environment");
}

// --- no silent anonymity

void nothing_found_lists_every_place_in_order(void **) {
    kvps::Error e = error_of([] { resolve("s3://bucket"); });
    assert_int_equal(e.status(), KVPS_NO_CREDENTIALS);
    const std::string &m = e.message();
    std::vector<std::string> places = {"options access_key_id", "URL",
                                       "environment",           "web identity",
                                       "profile 'default'",     g_dir + "/credentials (missing)",
                                       "container credentials", "instance metadata (skipped"};
    size_t at = 0;
    for (const std::string &place : places) {
        size_t found = m.find(place, at);
        if (found == std::string::npos)
            fail_msg("'%s' missing or out of order in: %s", place.c_str(), m.c_str());
        at = found;
    }
    assert_contains(m, "anonymous=true");
}

void unreachable_instance_metadata_is_listed(void **) {
    // A port nothing listens on: refused at once, listed as the last place looked at.
    int s = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(s, reinterpret_cast<sockaddr *>(&addr), len);
    getsockname(s, reinterpret_cast<sockaddr *>(&addr), &len);
    std::string endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    close(s);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.c_str(), 1);
    kvps::Error e = error_of([] { resolve("s3://bucket"); });
    assert_int_equal(e.status(), KVPS_NO_CREDENTIALS);
    assert_contains(e.message(), "instance metadata at " + endpoint + ": no answer");
}

void anonymous_only_when_asked(void **) {
    auto c = resolve("s3://bucket", {{"anonymous", "true"}});
    assert_true(c.anonymous());
    kvps::Error e = error_of([] {
        resolve("s3://bucket",
                {{"anonymous", "true"}, {"access_key_id", "A"}, {"secret_access_key", "s"}});
    });
    assert_int_equal(e.status(), KVPS_INVALID_OPTION);
    assert_contains(e.message(), "anonymous");
}

void missing_profile_names_profile_and_files(void **) {
    write_file("config", "[profile other]\nregion = x\n");
    setenv("AWS_PROFILE", "missing", 1);
    kvps::Error e = error_of([] { resolve("s3://bucket"); });
    assert_int_equal(e.status(), KVPS_NO_CREDENTIALS);
    assert_contains(e.message(), "profile 'missing' (from AWS_PROFILE)");
    assert_contains(e.message(), g_dir + "/credentials (missing)");
    assert_contains(e.message(), g_dir + "/config");
    unsetenv("AWS_PROFILE");
    e = error_of([] { resolve("s3://bucket", {{"profile", "nope"}}); });
    assert_contains(e.message(), "profile 'nope' (from option profile)");
}

// --- profile forms refused with a message naming them

void role_profiles_that_cannot_work(void **) {
    write_file("config",
               "[profile lonely]\nrole_arn = arn:aws:iam::1:role/r\n"
               "[profile a]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = b\n"
               "[profile b]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = a\n"
               "[profile odd]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Floppy\n"
               "[profile ghost]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = gone\n");
    kvps::Error e = error_of([] { resolve("s3://bucket", {{"profile", "lonely"}}); });
    assert_int_equal(e.status(), KVPS_INVALID_OPTION);
    assert_contains(e.message(), "neither source_profile nor credential_source");
    e = error_of([] { resolve("s3://bucket", {{"profile", "a"}}); });
    assert_contains(e.message(), "loop");
    e = error_of([] { resolve("s3://bucket", {{"profile", "odd"}}); });
    assert_contains(e.message(), "credential_source Floppy");
    e = error_of([] { resolve("s3://bucket", {{"profile", "ghost"}}); });
    assert_contains(e.message(), "source_profile 'gone'");
}

void sso_without_login_says_to_log_in(void **) {
    write_file(
        "config",
        "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\n"
        "sso_role_name = Reader\n[sso-session corp]\nsso_region = eu-west-1\n"
        "sso_start_url = https://corp.awsapps.com/start\n"
        "[profile nosection]\nsso_session = absent\nsso_account_id = 1\nsso_role_name = r\n");
    kvps::Error e = error_of([] { resolve("s3://bucket", {{"profile", "sso"}}); });
    assert_int_equal(e.status(), KVPS_NO_CREDENTIALS);
    assert_contains(e.message(), "aws sso login --profile sso");
    // An expired cached token: the same advice, and the token itself never shown. The cache
    // file is named as the AWS CLI names it: SHA-1 of the session name.
    std::string dir = g_dir + "/.aws/sso/cache";
    std::string cache = dir + "/ee0bfd2552fbd840c02cc48b6e823320543c450f.json";
    assert_contains(e.message(), cache);
    std::system(("mkdir -p " + dir).c_str());
    std::ofstream(cache)
        << R"({"accessToken": "sso-secret-token-123", "expiresAt": "2020-01-01T00:00:00Z"})";
    e = error_of([] { resolve("s3://bucket", {{"profile", "sso"}}); });
    assert_contains(e.message(), "expired at 2020-01-01T00:00:00Z");
    assert_lacks(e.message(), "sso-secret-token-123");
    e = error_of([] { resolve("s3://bucket", {{"profile", "nosection"}}); });
    assert_int_equal(e.status(), KVPS_INVALID_OPTION);
    assert_contains(e.message(), "[sso-session absent]");
}

void container_full_uri_must_be_safe(void **) {
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://203.0.113.9/creds", 1);
    kvps::Error e = error_of([] { resolve("s3://bucket"); });
    assert_int_equal(e.status(), KVPS_INVALID_OPTION);
    assert_contains(e.message(), "AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

void web_identity_needs_both_variables(void **) {
    setenv("AWS_ROLE_ARN", "arn:aws:iam::1:role/r", 1);
    kvps::Error e = error_of([] { resolve("s3://bucket"); });
    assert_int_equal(e.status(), KVPS_INVALID_OPTION);
    assert_contains(e.message(), "AWS_WEB_IDENTITY_TOKEN_FILE");
}

// --- credential_process (a real process; no server needed)

void credential_process_output_and_expiration(void **) {
    write_file("proc.sh",
               "#!/bin/sh\necho \"$1\" >> " + g_dir +
                   "/proc.calls\n"
                   "printf '{\"Version\": 1, \"AccessKeyId\": \"PROCID\", \"SecretAccessKey\": "
                   "\"proc-secret-xyz\", \"SessionToken\": \"proc-token\", "
                   "\"Expiration\": \"2199-01-02T03:04:05Z\"}'\n");
    write_file("bad.sh",
               "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"X\", "
               "\"SecretAccessKey\": \"bad-secret-xyz\"' ; exit 0\n");
    write_file("fails.sh",
               "#!/bin/sh\necho '{\"SecretAccessKey\": \"fail-secret-xyz\"}'; exit 3\n");
    write_file("config", "[profile p]\ncredential_process = sh " + g_dir +
                             "/proc.sh arg\n"
                             "[profile bad]\ncredential_process = sh " +
                             g_dir +
                             "/bad.sh\n"
                             "[profile fails]\ncredential_process = sh " +
                             g_dir + "/fails.sh\n");
    auto c = resolve("s3://bucket", {{"profile", "p"}});
    assert_string_equal(c.access_key_id.c_str(), "PROCID");
    assert_string_equal(c.session_token.c_str(), "proc-token");
    assert_true(c.expiration.has_value());
    assert_int_equal(Clock::to_time_t(*c.expiration), 7226679845);  // 2199-01-02T03:04:05Z
    assert_contains(c.source, "credential_process");
    kvps::Error e = error_of([] { resolve("s3://bucket", {{"profile", "bad"}}); });
    assert_int_equal(e.status(), KVPS_NO_CREDENTIALS);
    assert_contains(e.message(), "bad.sh");
    assert_lacks(e.message(), "bad-secret-xyz");
    e = error_of([] { resolve("s3://bucket", {{"profile", "fails"}}); });
    assert_int_equal(e.status(), KVPS_NO_CREDENTIALS);
    assert_contains(e.message(), "exit status 3");
    assert_lacks(e.message(), "fail-secret-xyz");
}

// --- the refreshing provider

Credentials temporary(const std::string &id, std::chrono::seconds left) {
    return Credentials{id, "secret-" + id, "token-" + id, "test", Clock::now() + left};
}

void fixed_credentials_never_refresh(void **) {
    CredentialProvider p(Credentials{"A", "s", "", "test", std::nullopt});
    assert_string_equal(p.get()->access_key_id.c_str(), "A");
    assert_null(p.renew(p.get()).get());
}

void refresh_ahead_does_not_block_others(void **) {
    // 3 minutes left: inside kRefreshAhead, outside kMustRefresh. One caller refreshes; while
    // its fetch is stuck, another caller gets the current credentials at once.
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> fetches{0};
    CredentialProvider p(temporary("OLD", std::chrono::seconds(180)), [&] {
        ++fetches;
        released.wait();
        return temporary("NEW", std::chrono::hours(1));
    });
    auto refresher = std::async(std::launch::async, [&] { return p.get()->access_key_id; });
    while (fetches.load() == 0) std::this_thread::yield();
    auto other = std::async(std::launch::async, [&] { return p.get()->access_key_id; });
    // A deadlock detector, not a timing goal: the other caller must not wait for the fetch.
    if (other.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
        release.set_value();
        fail_msg("a caller waited for a refresh that was not due");
    }
    assert_string_equal(other.get().c_str(), "OLD");
    release.set_value();
    assert_string_equal(refresher.get().c_str(), "NEW");
    assert_string_equal(p.get()->access_key_id.c_str(), "NEW");
    assert_int_equal(fetches.load(), 1);
}

void due_refresh_waits_and_failure_is_kept_apart(void **) {
    // 30 s left: inside kMustRefresh, so get() returns fresh credentials or throws.
    int fetches = 0;
    CredentialProvider p(temporary("OLD", std::chrono::seconds(30)), [&] {
        ++fetches;
        return temporary("NEW", std::chrono::seconds(200));
    });
    assert_string_equal(p.get()->access_key_id.c_str(), "NEW");
    // NEW is inside the refresh-ahead window, but a refresh just happened: not again at once.
    assert_string_equal(p.get()->access_key_id.c_str(), "NEW");
    assert_int_equal(fetches, 1);

    // A failed optional refresh keeps the current credentials and pauses before the next try.
    fetches = 0;
    CredentialProvider ahead(temporary("OLD", std::chrono::seconds(200)), [&]() -> Credentials {
        ++fetches;
        throw kvps::Error(KVPS_NETWORK, "s3: the source is down");
    });
    assert_string_equal(ahead.get()->access_key_id.c_str(), "OLD");
    assert_string_equal(ahead.get()->access_key_id.c_str(), "OLD");
    assert_int_equal(fetches, 1);
    // A failed due refresh is the caller's error.
    CredentialProvider due(temporary("OLD", std::chrono::seconds(30)), [&]() -> Credentials {
        throw kvps::Error(KVPS_NETWORK, "s3: the source is down");
    });
    kvps::Error e = error_of([&] { due.get(); });
    assert_int_equal(e.status(), KVPS_NETWORK);
}

void renew_once_for_all_who_saw_the_refusal(void **) {
    std::atomic<int> fetches{0};
    CredentialProvider p(temporary("OLD", std::chrono::hours(1)), [&] {
        return temporary("NEW" + std::to_string(++fetches), std::chrono::hours(1));
    });
    std::shared_ptr<const Credentials> used = p.get();
    std::vector<std::future<std::string>> callers;
    for (int i = 0; i < 8; ++i)
        callers.push_back(
            std::async(std::launch::async, [&] { return p.renew(used)->access_key_id; }));
    for (auto &c : callers) assert_string_equal(c.get().c_str(), "NEW1");
    assert_int_equal(fetches.load(), 1);
}

// --- the file and JSON readers

void json_reader(void **) {
    kvps::net::JsonValue v = kvps::net::parse_json(
        R"( {"a": "x\"\u00e9\ud83d\ude00", "n": -1.5e3, "o": {"b": [true, null, 2]}} )", "doc");
    assert_string_equal(v.text_of("a").c_str(), "x\"\xc3\xa9\xf0\x9f\x98\x80");
    assert_string_equal(v.text_of("n").c_str(), "-1.5e3");
    assert_int_equal(v.get("o")->get("b")->items.size(), 3);
    for (const char *bad : {"{", "{\"a\": }", "[1,]", "{\"a\": \"secret-in-doc\"} x", "\"\x01\""}) {
        kvps::Error e = error_of([&] { kvps::net::parse_json(bad, "doc"); });
        assert_int_equal(e.status(), KVPS_REMOTE);
        assert_lacks(e.message(), "secret-in-doc");
    }
}

void config_file_forms(void **) {
    write_file("config",
               "# comment\n[default]\nregion = r0\n[profile x]\nregion = r1\n[x]\nregion = bare\n"
               "[y]\nregion = r2\n[sso-session s]\nsso_region = r3\n");
    kvps::s3::AwsFiles files = kvps::s3::AwsFiles::load();
    assert_string_equal(files.from_config("default", "region").c_str(), "r0");
    assert_string_equal(files.from_config("x", "region").c_str(), "r1");
    assert_string_equal(files.from_config("y", "region").c_str(), "r2");
    assert_string_equal((*files.sso_session("s"))["sso_region"].c_str(), "r3");
    assert_false(files.has_profile("s"));
}

void region_and_endpoint_order(void **) {
    assert_string_equal(kvps::s3::resolve_region(config("s3://bucket")).c_str(), "");
    assert_false(kvps::s3::resolve_endpoint(config("s3://bucket")).has_value());
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    assert_string_equal(kvps::s3::resolve_region(config("s3://bucket")).c_str(), "ap-south-1");
    setenv("AWS_REGION", "eu-north-1", 1);
    assert_string_equal(kvps::s3::resolve_region(config("s3://bucket")).c_str(), "eu-north-1");
    assert_string_equal(
        kvps::s3::resolve_region(config("s3://bucket", {{"region", "x-1"}})).c_str(), "x-1");
    setenv("AWS_ENDPOINT_URL", "http://general", 1);
    assert_string_equal(kvps::s3::resolve_endpoint(config("s3://bucket")).value().c_str(),
                        "http://general");
    setenv("AWS_ENDPOINT_URL_S3", "http://s3-only", 1);
    assert_string_equal(kvps::s3::resolve_endpoint(config("s3://bucket")).value().c_str(),
                        "http://s3-only");
}

}  // namespace

int main() {
    char dir[] = "/tmp/kvps-s3-credentials-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    g_dir = dir;
    const CMUnitTest tests[] = {
        cmocka_unit_test_setup(options_come_first, clean_environment),
        cmocka_unit_test_setup(url_before_environment, clean_environment),
        cmocka_unit_test_setup(environment_before_files, clean_environment),
        cmocka_unit_test_setup(profile_from_shared_files, clean_environment),
        cmocka_unit_test_setup(credentials_in_config_file, clean_environment),
        cmocka_unit_test_setup(profile_option_skips_the_environment, clean_environment),
        cmocka_unit_test_setup(half_a_pair_is_an_error, clean_environment),
        cmocka_unit_test_setup(nothing_found_lists_every_place_in_order, clean_environment),
        cmocka_unit_test_setup(unreachable_instance_metadata_is_listed, clean_environment),
        cmocka_unit_test_setup(anonymous_only_when_asked, clean_environment),
        cmocka_unit_test_setup(missing_profile_names_profile_and_files, clean_environment),
        cmocka_unit_test_setup(role_profiles_that_cannot_work, clean_environment),
        cmocka_unit_test_setup(sso_without_login_says_to_log_in, clean_environment),
        cmocka_unit_test_setup(container_full_uri_must_be_safe, clean_environment),
        cmocka_unit_test_setup(web_identity_needs_both_variables, clean_environment),
        cmocka_unit_test_setup(credential_process_output_and_expiration, clean_environment),
        cmocka_unit_test(fixed_credentials_never_refresh),
        cmocka_unit_test(refresh_ahead_does_not_block_others),
        cmocka_unit_test(due_refresh_waits_and_failure_is_kept_apart),
        cmocka_unit_test(renew_once_for_all_who_saw_the_refusal),
        cmocka_unit_test(json_reader),
        cmocka_unit_test_setup(config_file_forms, clean_environment),
        cmocka_unit_test_setup(region_and_endpoint_order, clean_environment),
    };
    int failed = cmocka_run_group_tests_name("s3_credentials", tests, nullptr, nullptr);
    std::system(("rm -rf " + g_dir).c_str());
    return failed;
}
