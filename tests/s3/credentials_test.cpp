// Where the s3 backend takes credentials, region and endpoint from, in the AWS tools' order:
// options, the URL's user info, the environment, the shared credentials file, the shared
// config file (profile AWS_PROFILE). No server needed.
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>
#include <map>
#include <string>
#include <vector>

#include "credentials.hpp"
#include "spi/error.hpp"
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

const std::vector<kvps::OptionSpec> kSpecs = {
    {"region", KVPS_OPTION_STRING, std::nullopt, false, ""},
    {"endpoint", KVPS_OPTION_URL, std::nullopt, false, ""},
    {"access_key_id", KVPS_OPTION_SECRET, std::nullopt, false, ""},
    {"secret_access_key", KVPS_OPTION_SECRET, std::nullopt, false, ""},
    {"session_token", KVPS_OPTION_SECRET, std::nullopt, false, ""},
};

std::string g_dir;

kvps::Config config(const std::string &url, std::map<std::string, std::string> options = {}) {
    return kvps::Config(kvps::parse_url(url), std::move(options), &kSpecs);
}

void write_file(const std::string &name, const std::string &text) {
    std::ofstream(g_dir + "/" + name) << text;
}

int clean_environment(void **) {
    for (const char *name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                             "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
                             "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"})
        unsetenv(name);
    // Shared files that do not exist unless a test writes them.
    setenv("AWS_SHARED_CREDENTIALS_FILE", (g_dir + "/credentials").c_str(), 1);
    setenv("AWS_CONFIG_FILE", (g_dir + "/config").c_str(), 1);
    std::remove((g_dir + "/credentials").c_str());
    std::remove((g_dir + "/config").c_str());
    return 0;
}

void options_come_first(void **) {
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    auto c = kvps::s3::resolve_credentials(
        config("s3://URLID:urlsecret@bucket", {{"access_key_id", "OPTID"}, {"secret_access_key", "optsecret"}}));
    assert_string_equal(c.access_key_id.c_str(), "OPTID");
    assert_string_equal(c.secret_access_key.c_str(), "optsecret");
}

void url_before_environment(void **) {
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    auto c = kvps::s3::resolve_credentials(config("s3://URLID:urlsecret@bucket"));
    assert_string_equal(c.access_key_id.c_str(), "URLID");
    assert_string_equal(c.secret_access_key.c_str(), "urlsecret");
}

void environment_before_files(void **) {
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    write_file("credentials", "[default]\naws_access_key_id = FILEID\naws_secret_access_key = f\n");
    auto c = kvps::s3::resolve_credentials(config("s3://bucket"));
    assert_string_equal(c.access_key_id.c_str(), "ENVID");
    assert_string_equal(c.session_token.c_str(), "envtoken");
}

void profile_from_shared_files(void **) {
    write_file("credentials", "[default]\naws_access_key_id = DEFID\naws_secret_access_key = d\n"
                              "[work]\n  aws_access_key_id=WORKID  \naws_secret_access_key = w s\n");
    write_file("config", "[profile work]\nregion = eu-west-3\nendpoint_url = http://127.0.0.1:9\n");
    auto c = kvps::s3::resolve_credentials(config("s3://bucket"));
    assert_string_equal(c.access_key_id.c_str(), "DEFID");
    setenv("AWS_PROFILE", "work", 1);
    c = kvps::s3::resolve_credentials(config("s3://bucket"));
    assert_string_equal(c.access_key_id.c_str(), "WORKID");
    assert_string_equal(c.secret_access_key.c_str(), "w s");
    assert_string_equal(kvps::s3::resolve_region(config("s3://bucket")).c_str(), "eu-west-3");
    assert_string_equal(kvps::s3::resolve_endpoint(config("s3://bucket")).value().c_str(),
                        "http://127.0.0.1:9");
}

void credentials_in_config_file(void **) {
    write_file("config", "[default]\naws_access_key_id = CONFID\naws_secret_access_key = c\n");
    auto c = kvps::s3::resolve_credentials(config("s3://bucket"));
    assert_string_equal(c.access_key_id.c_str(), "CONFID");
}

void nothing_means_anonymous(void **) {
    assert_true(kvps::s3::resolve_credentials(config("s3://bucket")).anonymous());
}

void half_a_pair_is_an_error(void **) {
    setenv("AWS_ACCESS_KEY_ID", "ENVID", 1);
    try {
        kvps::s3::resolve_credentials(config("s3://bucket"));
        fail_msg("no error for an id without a secret");
    } catch (const kvps::Error &e) {
        assert_int_equal(e.status(), KVPS_INVALID_OPTION);
        assert_non_null(std::strstr(e.what(), "environment"));
    }
}

void region_and_endpoint_order(void **) {
    assert_string_equal(kvps::s3::resolve_region(config("s3://bucket")).c_str(), "us-east-1");
    assert_false(kvps::s3::resolve_endpoint(config("s3://bucket")).has_value());
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    assert_string_equal(kvps::s3::resolve_region(config("s3://bucket")).c_str(), "ap-south-1");
    setenv("AWS_REGION", "eu-north-1", 1);
    assert_string_equal(kvps::s3::resolve_region(config("s3://bucket")).c_str(), "eu-north-1");
    assert_string_equal(kvps::s3::resolve_region(config("s3://bucket", {{"region", "x-1"}})).c_str(), "x-1");
    setenv("AWS_ENDPOINT_URL", "http://general", 1);
    assert_string_equal(kvps::s3::resolve_endpoint(config("s3://bucket")).value().c_str(), "http://general");
    setenv("AWS_ENDPOINT_URL_S3", "http://s3-only", 1);
    assert_string_equal(kvps::s3::resolve_endpoint(config("s3://bucket")).value().c_str(), "http://s3-only");
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
        cmocka_unit_test_setup(nothing_means_anonymous, clean_environment),
        cmocka_unit_test_setup(half_a_pair_is_an_error, clean_environment),
        cmocka_unit_test_setup(region_and_endpoint_order, clean_environment),
    };
    int failed = cmocka_run_group_tests_name("s3_credentials", tests, nullptr, nullptr);
    std::remove((g_dir + "/credentials").c_str());
    std::remove((g_dir + "/config").c_str());
    rmdir(dir);
    return failed;
}
