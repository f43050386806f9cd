// gs:// presigned URLs (V4, GOOG4-RSA-SHA256):
//   - a known answer computed at run time with the openssl CLI from the canonical request written
//     out here by hand, following Google's "signing URLs manually" steps (not from kvps's code);
//   - kvps_presign through the C API against fake-gcs-server: curl GETs the value through the
//     URL and PUTs a new one. The emulator does not check signatures (it serves any URL carrying
//     X-Goog-Algorithm), so this part tests the URL's form and routing, not its signature: the
//     known answer tests the signature;
//   - stores without a private key (anonymous, an access token) refuse with KVPS_UNSUPPORTED.
//
//   gcs_presign_test TEST_KEY_PEM ['$KVPS_TEST_GCS_URL']
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "gcs_backend.hpp"
#include "kvps.h"

// cmocka last: its fail() macro would rename kvps::fail.
extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
}

namespace {

std::string g_key_path, g_gcs_url;

std::string read_all(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The standard output of a shell command, trailing newlines removed.
std::string run(const std::string &command) {
    FILE *pipe = popen(command.c_str(), "r");
    assert_non_null(pipe);
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    assert_int_equal(pclose(pipe), 0);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

std::string temp_dir() {
    char pattern[] = "/tmp/kvps-gcs-presign.XXXXXX";
    assert_non_null(mkdtemp(pattern));
    return pattern;
}

void test_known_answer(void **) {
    std::string dir = temp_dir();
    // Object "dir/a key+é.txt" of bucket kvps-test, GET, 15 minutes, 2026-12-01 12:00:00 UTC.
    const char *canonical_request =
        "GET\n"
        "/kvps-test/dir/a%20key%2B%C3%A9.txt\n"
        "X-Goog-Algorithm=GOOG4-RSA-SHA256"
        "&X-Goog-Credential=kvps-test%40example.iam.gserviceaccount.com%2F20261201%2Fauto%2F"
        "storage%2Fgoog4_request"
        "&X-Goog-Date=20261201T120000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host\n"
        "host:storage.googleapis.com\n"
        "\n"
        "host\n"
        "UNSIGNED-PAYLOAD";
    std::ofstream(dir + "/request") << canonical_request;
    std::string hash =
        run("openssl dgst -sha256 -r " + dir + "/request | cut -d' ' -f1");  // hex digest
    assert_int_equal(hash.size(), 64);
    std::ofstream(dir + "/to-sign") << "GOOG4-RSA-SHA256\n20261201T120000Z\n"
                                       "20261201/auto/storage/goog4_request\n"
                                    << hash;
    std::string signature = run("openssl dgst -sha256 -sign " + g_key_path + " " + dir +
                                "/to-sign | od -An -v -tx1 | tr -d ' \\n'");
    assert_int_equal(signature.size(), 512);  // a 2048-bit key
    std::string expected =
        "https://storage.googleapis.com/kvps-test/dir/a%20key%2B%C3%A9.txt?"
        "X-Goog-Algorithm=GOOG4-RSA-SHA256"
        "&X-Goog-Credential=kvps-test%40example.iam.gserviceaccount.com%2F20261201%2Fauto%2F"
        "storage%2Fgoog4_request"
        "&X-Goog-Date=20261201T120000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host"
        "&X-Goog-Signature=" +
        signature;
    kvps::gcs::SigningKey key{"kvps-test@example.iam.gserviceaccount.com", read_all(g_key_path)};
    std::string got =
        kvps::gcs::signed_url("https://storage.googleapis.com", "kvps-test",
                              "dir/a key+\xc3\xa9.txt", "GET", 900, key, "20261201T120000Z");
    assert_string_equal(got.c_str(), expected.c_str());
    std::system(("rm -rf " + dir).c_str());
}

bool have_emulator() {
    if (!g_gcs_url.empty()) return true;
    if (const char *ci = std::getenv("CI"); ci && std::string(ci) == "true")
        fail_msg("KVPS_TEST_GCS_URL is not set and CI=true");
    return false;
}

// The emulator's URL with `option` instead of anonymous=true.
std::string url_with(const std::string &option) {
    std::string url = g_gcs_url;
    size_t at = url.find("&anonymous=true");
    if (at != std::string::npos) url.erase(at, 15);
    return url + "&" + option;
}

void test_curl_through_emulator(void **) {
    if (!have_emulator()) skip();
    std::string dir = temp_dir();
    // token_uri on the discard port: presigning needs no token, and no request is made with one.
    std::ofstream(dir + "/sa.json")
        << R"({"type":"service_account","client_email":"kvps-test@example.iam.gserviceaccount.com",)"
        << R"("token_uri":"http://127.0.0.1:9/token","private_key":)"
        << kvps::gcs::json_string(read_all(g_key_path)) << "}";
    kvps_store *plain = nullptr, *signer = nullptr;
    assert_int_equal(kvps_open(g_gcs_url.c_str(), &plain), KVPS_OK);
    assert_int_equal(kvps_open(url_with("credentials=" + dir + "/sa.json").c_str(), &signer),
                     KVPS_OK);
    const char *key = "presign-test/a key+\xc3\xa9";
    assert_int_equal(kvps_put(plain, key, "signed hello", 12), KVPS_OK);

    char *url = nullptr;
    assert_int_equal(kvps_presign(signer, key, "GET", 600, &url), KVPS_OK);
    assert_non_null(std::strstr(url, "X-Goog-Algorithm=GOOG4-RSA-SHA256"));
    assert_non_null(std::strstr(url, "X-Goog-Expires=600"));
    assert_null(std::strstr(url, "PRIVATE"));
    assert_string_equal(run("curl -sf '" + std::string(url) + "'").c_str(), "signed hello");
    kvps_free(url);

    url = nullptr;
    assert_int_equal(kvps_presign(signer, key, "PUT", 600, &url), KVPS_OK);
    std::ofstream(dir + "/body") << "put through a URL";
    run("curl -sf -o /dev/null -T " + dir + "/body '" + std::string(url) + "'");
    kvps_free(url);
    void *value = nullptr;
    size_t size = 0;
    assert_int_equal(kvps_get(plain, key, &value, &size), KVPS_OK);
    assert_int_equal(size, 17);
    assert_memory_equal(value, "put through a URL", 17);
    kvps_free(value);

    // No private key: refused, saying why.
    url = nullptr;
    assert_int_equal(kvps_presign(plain, key, "GET", 600, &url), KVPS_UNSUPPORTED);
    assert_null(url);
    assert_non_null(std::strstr(kvps_last_error(), "private key"));
    kvps_store *token = nullptr;
    assert_int_equal(kvps_open(url_with("access_token=ya29.not-a-real-token").c_str(), &token),
                     KVPS_OK);
    assert_int_equal(kvps_presign(token, key, "GET", 600, &url), KVPS_UNSUPPORTED);
    assert_null(std::strstr(kvps_last_error(), "ya29.not-a-real-token"));
    kvps_close(token);

    assert_int_equal(kvps_delete(plain, key), KVPS_OK);
    kvps_close(signer);
    kvps_close(plain);
    std::system(("rm -rf " + dir).c_str());
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: gcs_presign_test TEST_KEY_PEM ['$KVPS_TEST_GCS_URL']\n");
        return 2;
    }
    g_key_path = argv[1];
    if (argc > 2) {
        std::string arg = argv[2];
        const char *value = arg[0] == '$' ? std::getenv(arg.c_str() + 1) : arg.c_str();
        g_gcs_url = value ? value : "";
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_curl_through_emulator),
    };
    return cmocka_run_group_tests_name("gcs-presign", tests, nullptr, nullptr);
}
