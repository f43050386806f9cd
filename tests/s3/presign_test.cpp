// Presigned URLs (SigV4 query signing) against AWS's worked example in
// ../shared/sigv4-presign/example.json (read at run time), plus the forms kvps adds: path-style
// addressing, a store prefix, session tokens, and no credentials.
//
//     s3_presign_test EXAMPLE_JSON
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "spi/error.hpp"
#include "s3_backend.hpp"

// cmocka last: it defines macros (fail, skip) that clash with standard headers.
#include <cstdarg>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

namespace {

const char *g_example_path;

std::string slurp(const char *path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail_msg("cannot read %s", path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// The value of "name" in a flat JSON object: a string's text, or a number's digits.
std::string json_value(const std::string &json, const std::string &name) {
    size_t at = json.find('"' + name + '"');
    if (at == std::string::npos) fail_msg("example.json has no \"%s\"", name.c_str());
    size_t start = json.find_first_not_of(" \t\n:", at + name.size() + 2);
    if (json[start] == '"') return json.substr(start + 1, json.find('"', start + 1) - start - 1);
    return json.substr(start, json.find_first_of(",}\n", start) - start);
}

kvps::s3::Settings settings_for(const std::string &endpoint, bool path_style) {
    kvps::s3::Settings s;
    s.bucket = "examplebucket";
    s.endpoint = endpoint;
    s.region = "us-east-1";
    s.path_style = path_style;
    s.credentials = std::make_shared<kvps::s3::CredentialProvider>(kvps::s3::Credentials{});
    return s;
}

// Settings that sign with the given key pair (and session token).
void sign_with(kvps::s3::Settings &s, std::string id, std::string secret, std::string token = "") {
    kvps::s3::Credentials c;
    c.access_key_id = std::move(id);
    c.secret_access_key = std::move(secret);
    c.session_token = std::move(token);
    s.credentials = std::make_shared<kvps::s3::CredentialProvider>(std::move(c));
}

void aws_worked_example(void **) {
    std::string json = slurp(g_example_path);
    std::string host = json_value(json, "host");  // examplebucket.s3.amazonaws.com
    std::string bucket = "examplebucket";
    assert_true(host.rfind(bucket + ".", 0) == 0);
    kvps::s3::Settings s = settings_for("https://" + host.substr(bucket.size() + 1), false);
    s.region = json_value(json, "region");
    sign_with(s, json_value(json, "access_key_id"), json_value(json, "secret_access_key"));
    kvps::s3::Client client(s);
    std::string path = json_value(json, "path");
    std::string url = kvps::s3::presign_url(client, json_value(json, "method"), path.substr(1),
                                            std::stoull(json_value(json, "expires_seconds")),
                                            json_value(json, "amz_date"));
    assert_string_equal(url.c_str(), json_value(json, "expected_url").c_str());
    assert_non_null(strstr(url.c_str(), json_value(json, "expected_signature").c_str()));
    assert_null(strstr(url.c_str(), json_value(json, "secret_access_key").c_str()));
}

void path_style_prefix_and_token(void **) {
    kvps::s3::Settings s = settings_for("http://127.0.0.1:9000", true);
    sign_with(s, "AKID", "SECRET", "TOKEN/with+chars");
    kvps::s3::Client client(s);
    std::string url =
        kvps::s3::presign_url(client, "PUT", client.full_key("data/a b/c"), 60, "20260101T000000Z");
    assert_true(
        url.rfind(
            "http://127.0.0.1:9000/examplebucket/data/a%20b/c?X-Amz-Algorithm=AWS4-HMAC-SHA256&",
            0) == 0);
    assert_non_null(strstr(url.c_str(), "X-Amz-Security-Token=TOKEN%2Fwith%2Bchars"));
    assert_non_null(strstr(url.c_str(), "X-Amz-Expires=60&"));
    assert_null(strstr(url.c_str(), "SECRET"));
    // A different method signs differently.
    std::string get =
        kvps::s3::presign_url(client, "GET", client.full_key("data/a b/c"), 60, "20260101T000000Z");
    assert_true(get.substr(get.find("X-Amz-Signature=")) !=
                url.substr(url.find("X-Amz-Signature=")));
}

void no_credentials(void **) {
    kvps::s3::Client client(settings_for("http://127.0.0.1:9000", true));
    try {
        kvps::s3::presign_url(client, "GET", "k", 60, "20260101T000000Z");
        fail_msg("presigned without credentials");
    } catch (const kvps::Error &e) {
        assert_int_equal(e.status(), KVPS_UNSUPPORTED);
        assert_non_null(strstr(e.message().c_str(), "credentials"));
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s EXAMPLE_JSON\n", argv[0]);
        return 2;
    }
    g_example_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aws_worked_example),
        cmocka_unit_test(path_style_prefix_and_token),
        cmocka_unit_test(no_credentials),
    };
    return cmocka_run_group_tests_name("s3-presign", tests, nullptr, nullptr);
}
