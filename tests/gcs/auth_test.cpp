// gs:// credentials without Google: the JWT against a known answer computed with the openssl CLI,
// and the token exchanges against a minimal local token endpoint this test runs itself (a
// stand-in for oauth2.googleapis.com and the metadata server, which the emulator does not
// have: fake-gcs-server checks no token). With KVPS_TEST_GCS_URL set, stores opened through
// each credential source also write to fake-gcs-server.
//
//   gcs_auth_test TEST_KEY_PEM ['$KVPS_TEST_GCS_URL']
//
// tests/gcs/test-only-key.pem is a key generated for this test alone (never used anywhere).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "auth.hpp"
#include "kvps.h"
#include "spi/error.hpp"
#include "spi/text.hpp"

// cmocka last: its fail() macro would rename kvps::fail.
extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
}

namespace {

std::string g_key_path, g_key, g_gcs_url;

// Computed with: printf '%s' "$HEADER_B64.$CLAIMS_B64" | openssl dgst -sha256 -sign
// test-only-key.pem (base64url without padding throughout), for the claims below.
const char *kExpectedJwt =
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpc3MiOiJrdnBzLXRlc3RAZXhhbXBsZS5pYW0uZ3NlcnZpY2VhY2NvdW50LmNvbSIsInNjb3BlIjoiaHR0cHM6Ly93d3"
    "cuZ29vZ2xlYXBpcy5jb20vYXV0aC9kZXZzdG9yYWdlLnJlYWRfd3JpdGUiLCJhdWQiOiJodHRwczovL29hdXRoMi5nb29n"
    "bGVhcGlzLmNvbS90b2tlbiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ.to6FHOFVCy-"
    "NgdtZtshKSBzaFDH8ILpmQ4XF67uazKjGsXMpZMc_HdruB34Sby6dQctnRePlNMaPTLwKQH-r9okxE-Dh2_"
    "r9rB9G86a4zhKXomuLUJwlDjCLCb4fDcK1UM14LJ9PQPvmwNcKhl3UBUuzLez7ulBHRmU1qfoIxSmTD4PBx4azJxokhUmr"
    "AgSRGsGFNQ7yaIRyQDqWhb6A8_0AvIfAH0_"
    "olsu4cKCLAZwx30reWDhHQWnC06wFafLNoe9T58FWaaafMLFeeVReDThScOX3vCnXZ4bYUzdW2kdWmdGnuBsZdD3SmZOCU"
    "-jUrreL9MbaFZQ7CKEeq-Wqng";

std::string read_all(const std::string &path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The minimal token endpoint: answers each POST (or metadata GET) with the next token, after
// checking what a real one would check of a JWT grant (the RS256 signature, with the public half
// of the test key). Mode decides the answer.
class TokenEndpoint {
public:
    enum Mode { Grant, Refuse };
    explicit TokenEndpoint(Mode mode, int expires_in = 3600)
        : mode_(mode), expires_in_(expires_in) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        getsockname(fd_, reinterpret_cast<sockaddr *>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        listen(fd_, 8);
        thread_ = std::thread([this] { serve(); });
    }
    ~TokenEndpoint() {
        stop_ = true;
        shutdown(fd_, SHUT_RDWR);
        close(fd_);
        thread_.join();
    }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
    std::string url() const { return "http://" + host() + "/token"; }
    int hits() const { return hits_; }
    bool bad_signature() const { return bad_signature_; }
    std::string last_request() {
        std::lock_guard lock(mutex_);
        return last_;
    }

private:
    void serve() {
        while (!stop_) {
            int c = accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            std::string request;
            char buf[4096];
            size_t header_end = std::string::npos, want = 0;
            for (;;) {
                ssize_t n = recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                request.append(buf, size_t(n));
                if (header_end == std::string::npos &&
                    (header_end = request.find("\r\n\r\n")) != std::string::npos) {
                    size_t at = kvps::lower(request).find("content-length:");
                    want = at == std::string::npos
                               ? 0
                               : std::strtoul(request.c_str() + at + 15, nullptr, 10);
                }
                if (header_end != std::string::npos && request.size() >= header_end + 4 + want)
                    break;
            }
            ++hits_;
            {
                std::lock_guard lock(mutex_);
                last_ = request;
            }
            std::string body =
                header_end == std::string::npos ? "" : request.substr(header_end + 4);
            size_t at = body.find("assertion=");
            if (at != std::string::npos) check_jwt(body.substr(at + 10));
            std::string answer, status = "200 OK";
            if (mode_ == Refuse) {
                status = "400 Bad Request";
                answer =
                    R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})";
            } else {
                answer = R"({"access_token":"ya29.local-)" + std::to_string(hits_) +
                         R"(","expires_in":)" + std::to_string(expires_in_) +
                         R"(,"token_type":"Bearer"})";
            }
            std::string reply =
                "HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(answer.size()) + "\r\nConnection: close\r\n\r\n" + answer;
            send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
            close(c);
        }
    }
    void check_jwt(const std::string &jwt) {
        size_t dot = jwt.rfind('.');
        std::optional<std::string> signature = kvps::base64_decode(jwt.substr(dot + 1), true);
        BIO *bio = BIO_new_mem_buf(g_key.data(), int(g_key.size()));
        EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        bool ok = signature &&
                  EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(signature->data()),
                                   signature->size(),
                                   reinterpret_cast<const unsigned char *>(jwt.data()), dot) == 1;
        EVP_MD_CTX_free(ctx);
        EVP_PKEY_free(key);
        if (!ok) bad_signature_ = true;
    }

    Mode mode_;
    int expires_in_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<int> hits_{0};
    std::atomic<bool> stop_{false}, bad_signature_{false};
    std::mutex mutex_;
    std::string last_;
    std::thread thread_;
};

std::string json_string(const std::string &text) { return kvps::gcs::json_string(text); }

// A service account file naming the test key and token_uri.
std::string write_service_account(const std::string &dir, const std::string &token_uri) {
    std::string path = dir + "/sa.json";
    std::ofstream(path)
        << R"({"type":"service_account","client_email":"kvps-test@example.iam.gserviceaccount.com",)"
        << R"("private_key":)" << json_string(g_key) << R"(,"token_uri":)" << json_string(token_uri)
        << "}";
    return path;
}

std::string temp_dir() {
    char tmpl[] = "/tmp/kvps-gcs-auth-XXXXXX";
    return mkdtemp(tmpl);
}

void test_jwt_known_answer(void **) {
    std::string claims =
        kvps::gcs::service_account_claims("kvps-test@example.iam.gserviceaccount.com",
                                          "https://oauth2.googleapis.com/token", 1700000000);
    assert_string_equal(
        claims.c_str(),
        R"({"iss":"kvps-test@example.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/devstorage.read_write","aud":"https://oauth2.googleapis.com/token","iat":1700000000,"exp":1700003600})");
    std::string jwt = kvps::gcs::sign_jwt(g_key, claims, "the test key");
    assert_string_equal(jwt.c_str(), kExpectedJwt);
    // Not a key: refused, naming the source and never echoing the text.
    try {
        kvps::gcs::sign_jwt(
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ5dGVz\n-----END PRIVATE KEY-----\n", claims,
            "sa.json");
        fail_msg("a garbled key was accepted");
    } catch (const kvps::Error &e) {
        assert_int_equal(e.status(), KVPS_INVALID_OPTION);
        assert_null(std::strstr(e.what(), "c2VjcmV0"));
        assert_non_null(std::strstr(e.what(), "sa.json"));
    }
}

void test_service_account_exchange(void **) {
    TokenEndpoint endpoint(TokenEndpoint::Grant);
    std::string dir = temp_dir();
    auto source = kvps::gcs::credentials_from_file(write_service_account(dir, endpoint.url()), {});
    assert_string_equal(source->get().c_str(), "ya29.local-1");
    assert_string_equal(source->get().c_str(), "ya29.local-1");  // cached
    assert_int_equal(endpoint.hits(), 1);
    assert_false(endpoint.bad_signature());
    std::string request = endpoint.last_request();
    assert_non_null(std::strstr(
        request.c_str(), "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"));
    source->invalidate("ya29.local-1");  // the server refused it: fetched again
    assert_string_equal(source->get().c_str(), "ya29.local-2");
    assert_false(endpoint.bad_signature());
    std::system(("rm -rf " + dir).c_str());
}

void test_refresh_before_expiry(void **) {
    TokenEndpoint endpoint(TokenEndpoint::Grant,
                           60);  // inside the 5-minute margin: renewed each time
    std::string dir = temp_dir();
    auto source = kvps::gcs::credentials_from_file(write_service_account(dir, endpoint.url()), {});
    assert_string_equal(source->get().c_str(), "ya29.local-1");
    assert_string_equal(source->get().c_str(), "ya29.local-2");
    std::system(("rm -rf " + dir).c_str());
}

void test_authorized_user_and_refusal(void **) {
    std::string dir = temp_dir();
    std::string path = dir + "/adc.json";
    {
        TokenEndpoint endpoint(TokenEndpoint::Grant);
        std::ofstream(path)
            << R"({"type":"authorized_user","client_id":"cid","client_secret":"Cl1entS3cretXyz",)"
            << R"("refresh_token":"1//R3freshT0kenQz","token_uri":)" << json_string(endpoint.url())
            << "}";
        auto source = kvps::gcs::credentials_from_file(path, {});
        assert_string_equal(source->get().c_str(), "ya29.local-1");
        assert_non_null(std::strstr(endpoint.last_request().c_str(), "grant_type=refresh_token"));
    }
    TokenEndpoint refusing(TokenEndpoint::Refuse);
    std::ofstream(path)
        << R"({"type":"authorized_user","client_id":"cid","client_secret":"Cl1entS3cretXyz",)"
        << R"("refresh_token":"1//R3freshT0kenQz","token_uri":)" << json_string(refusing.url())
        << "}";
    auto source = kvps::gcs::credentials_from_file(path, {});
    try {
        source->get();
        fail_msg("a refused exchange gave a token");
    } catch (const kvps::Error &e) {
        assert_int_equal(e.status(), KVPS_PERMISSION_DENIED);
        assert_non_null(std::strstr(e.what(), "invalid_grant"));
        assert_null(std::strstr(e.what(), "R3freshT0ken"));
        assert_null(std::strstr(e.what(), "Cl1entS3cret"));
    }
    std::system(("rm -rf " + dir).c_str());
}

// The store URL of the emulator without anonymous=true, plus extra options.
std::string url_without_anonymous(const std::string &extra) {
    std::string url = g_gcs_url;
    size_t at = url.find("&anonymous=true");
    if (at != std::string::npos) url.erase(at, 15);
    return url + extra;
}

void round_trip(const std::string &url) {
    kvps_store *store = nullptr;
    assert_int_equal(kvps_open(url.c_str(), &store), KVPS_OK);
    assert_int_equal(kvps_put(store, "auth-test/k", "v", 1), KVPS_OK);
    assert_int_equal(kvps_delete(store, "auth-test/k"), KVPS_OK);
    kvps_close(store);
}

void test_stores_through_each_source(void **) {
    if (g_gcs_url.empty()) {
        if (const char *ci = std::getenv("CI"); ci && std::string(ci) == "true")
            fail_msg("KVPS_TEST_GCS_URL is not set and CI=true");
        skip();
    }
    std::string dir = temp_dir();
    setenv("HOME", dir.c_str(), 1);  // no gcloud file
    unsetenv("CLOUDSDK_CONFIG");
    unsetenv("STORAGE_EMULATOR_HOST");
    {  // GOOGLE_APPLICATION_CREDENTIALS: a service account whose JWT the local endpoint exchanges
        TokenEndpoint endpoint(TokenEndpoint::Grant);
        setenv("GOOGLE_APPLICATION_CREDENTIALS", write_service_account(dir, endpoint.url()).c_str(),
               1);
        round_trip(url_without_anonymous(""));
        assert_int_equal(endpoint.hits(), 1);
        unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    }
    {  // the gcloud application-default file
        TokenEndpoint endpoint(TokenEndpoint::Grant);
        std::system(("mkdir -p " + dir + "/.config/gcloud").c_str());
        std::ofstream(dir + "/.config/gcloud/application_default_credentials.json")
            << R"({"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r","token_uri":)"
            << json_string(endpoint.url()) << "}";
        round_trip(url_without_anonymous(""));
        assert_int_equal(endpoint.hits(), 1);
        std::system(("rm -rf " + dir + "/.config").c_str());
    }
    {  // the metadata server
        TokenEndpoint endpoint(TokenEndpoint::Grant);
        setenv("GCE_METADATA_HOST", endpoint.host().c_str(), 1);
        round_trip(url_without_anonymous(""));
        assert_int_equal(endpoint.hits(), 1);
        assert_non_null(std::strstr(endpoint.last_request().c_str(), "Metadata-Flavor: Google"));
        assert_non_null(std::strstr(endpoint.last_request().c_str(),
                                    "/computeMetadata/v1/instance/service-accounts/default/token"));
    }
    {  // nowhere: KVPS_NO_CREDENTIALS naming where it looked
        TokenEndpoint closed(TokenEndpoint::Grant);
        std::string host = closed.host();
        setenv("GCE_METADATA_HOST", "127.0.0.1:9", 1);  // discard port: nothing listens
        kvps_store *store = nullptr;
        assert_int_equal(kvps_open(url_without_anonymous("").c_str(), &store), KVPS_NO_CREDENTIALS);
        std::string message = kvps_last_error();
        assert_non_null(std::strstr(message.c_str(), "GOOGLE_APPLICATION_CREDENTIALS"));
        assert_non_null(std::strstr(message.c_str(), "application_default_credentials.json"));
        assert_non_null(std::strstr(message.c_str(), "metadata server"));
        unsetenv("GCE_METADATA_HOST");
    }
    std::system(("rm -rf " + dir).c_str());
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: gcs_auth_test TEST_KEY_PEM ['$KVPS_TEST_GCS_URL']\n");
        return 2;
    }
    g_key_path = argv[1];
    g_key = read_all(g_key_path);
    if (argc > 2) {
        std::string arg = argv[2];
        if (!arg.empty() && arg[0] == '$') {
            const char *value = std::getenv(arg.c_str() + 1);
            g_gcs_url = value ? value : "";
        } else {
            g_gcs_url = arg;
        }
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jwt_known_answer),
        cmocka_unit_test(test_service_account_exchange),
        cmocka_unit_test(test_refresh_before_expiry),
        cmocka_unit_test(test_authorized_user_and_refusal),
        cmocka_unit_test(test_stores_through_each_source),
    };
    return cmocka_run_group_tests_name("gcs-auth", tests, nullptr, nullptr);
}
