// S3-specific integration tests against a real server (no mocks):
//
//     s3_integration_test '$KVPS_TEST_S3_URL'     (or a store URL)
//
// A '$NAME' argument reads the URL from that environment variable; when it is unset the run is
// skipped (exit 77), or fails when CI=true. Every key lives under a prefix unique to this run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "breaking_proxy.hpp"
#include "client.hpp"
#include "kvps.h"
#include "url.hpp"
#include "xml.hpp"

#include <unistd.h>

// cmocka last: it defines macros (fail, skip) that clash with standard headers.
#include <cstdarg>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

namespace {

std::string g_base;    // the server's store URL as given
std::string g_url;     // g_base with this run's unique prefix
std::string g_prefix;  // that prefix, "kvps-s3-test-PID-TIME"
kvps_store *g_store = nullptr;

#include "../kvps_test.h"

// The URL with "/segment" inserted after the bucket (before any path and query).
std::string with_path(const std::string &url, const std::string &segment) {
    size_t start = url.find("://") + 3;
    size_t end = url.find_first_of("/?", start);
    if (end == std::string::npos) end = url.size();
    return url.substr(0, end) + "/" + segment + url.substr(end);
}

// The URL with its query parameter `name` set to value.
std::string with_option(const std::string &url, const std::string &name, const std::string &value) {
    std::string out = url;
    size_t at = out.find(name + "=");
    if (at != std::string::npos && (out[at - 1] == '?' || out[at - 1] == '&')) {
        size_t end = out.find('&', at);
        out.replace(at, (end == std::string::npos ? out.size() : end) - at, name + "=" + value);
    } else {
        out += (out.find('?') == std::string::npos ? "?" : "&") + name + "=" + value;
    }
    return out;
}

std::string query_value(const kvps::Url &url, const std::string &name) {
    for (const auto &[n, v] : url.query)
        if (n == name) return v;
    return "";
}

// Deterministic bytes for position i of a test value.
unsigned char pattern(uint64_t i) { return static_cast<unsigned char>((i * 2654435761u) >> 13); }

// The backend's own S3 client on the test server, to look behind kvps's back.
kvps::s3::Client raw_client() {
    kvps::Url url = kvps::parse_url(g_base);
    kvps::s3::Settings settings;
    settings.bucket = url.host;
    settings.endpoint = query_value(url, "endpoint");
    settings.region = query_value(url, "region");
    settings.path_style = true;
    settings.credentials = std::make_shared<kvps::s3::CredentialProvider>(
        kvps::s3::Credentials{query_value(url, "access_key_id"),
                              query_value(url, "secret_access_key"),
                              "",
                              "the URL",
                              {}});
    return kvps::s3::Client(settings);
}

// ListMultipartUploads: the uploads open for one key (MinIO lists uploads of one exact key only).
std::vector<kvps::s3::MultipartUploadEntry> open_uploads(const std::string &key) {
    kvps::s3::Client client = raw_client();
    kvps::s3::Call call;
    call.query = {{"uploads", ""}, {"prefix", g_prefix + "/" + key}};
    kvps::s3::HttpResponse response = client.send(call);
    if (!kvps::s3::succeeded(response)) client.fail_answer(response, "ListMultipartUploads");
    return kvps::s3::parse_multipart_uploads(
        std::string_view(response.body.data(), response.body.size()));
}

int setup(void **) {
    ASSERT_OK(kvps_open(g_url.c_str(), &g_store));
    return 0;
}

int teardown(void **) {
    kvps_close(g_store);
    g_store = nullptr;
    return 0;
}

// 200 MiB through a streaming writer (multipart, parts in parallel), read back by ranges
// across part boundaries and by a streaming reader.
void multipart_round_trip(void **) {
    const uint64_t total = 200ull << 20;
    const uint64_t part = 8ull << 20;
    kvps_writer *w = nullptr;
    ASSERT_OK(kvps_writer_open(g_store, "big/200mib", &w));
    std::vector<unsigned char> chunk(1 << 20);
    for (uint64_t at = 0; at < total; at += chunk.size()) {
        for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = pattern(at + i);
        ASSERT_OK(kvps_writer_write(w, chunk.data(), chunk.size()));
    }
    ASSERT_OK(kvps_writer_commit(w));

    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, "big/200mib", &st));
    assert_int_equal(st.size, total);

    for (uint64_t boundary : {part, 3 * part, 24 * part}) {
        void *data = nullptr;
        size_t n = 0;
        ASSERT_OK(kvps_get_range(g_store, "big/200mib", boundary - 1000, 3000, &data, &n));
        assert_int_equal(n, 3000);
        for (size_t i = 0; i < n; ++i)
            if (static_cast<unsigned char *>(data)[i] != pattern(boundary - 1000 + i))
                fail_msg("byte %llu differs", (unsigned long long)(boundary - 1000 + i));
        kvps_free(data);
    }

    kvps_reader *r = nullptr;
    ASSERT_OK(kvps_reader_open(g_store, "big/200mib", 0, KVPS_TO_END, &r));
    uint64_t seen = 0;
    for (;;) {
        size_t n = 0;
        ASSERT_OK(kvps_reader_read(r, chunk.data(), chunk.size(), &n));
        if (n == 0) break;
        for (size_t i = 0; i < n; ++i)
            if (chunk[i] != pattern(seen + i))
                fail_msg("byte %llu differs", (unsigned long long)(seen + i));
        seen += n;
    }
    kvps_reader_close(r);
    assert_int_equal(seen, total);

    // A whole value above part_size through kvps_put goes multipart too.
    std::vector<unsigned char> mid(20 << 20);
    for (size_t i = 0; i < mid.size(); ++i) mid[i] = pattern(i + 7);
    ASSERT_OK(kvps_put(g_store, "big/20mib", mid.data(), mid.size()));
    void *data = nullptr;
    size_t n = 0;
    ASSERT_OK(kvps_get(g_store, "big/20mib", &data, &n));
    assert_int_equal(n, mid.size());
    assert_memory_equal(data, mid.data(), n);
    kvps_free(data);
    ASSERT_OK(kvps_delete(g_store, "big/200mib"));
    ASSERT_OK(kvps_delete(g_store, "big/20mib"));
    assert_int_equal(open_uploads("big/200mib").size(), 0);
    assert_int_equal(open_uploads("big/20mib").size(), 0);
}

std::vector<std::string> many_keys() {
    std::vector<std::string> keys;
    for (int i = 0; i < 2500; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "many/%05d", i);
        keys.push_back(name);
    }
    return keys;
}

// 2,500 keys: listed across pages of the server's 1,000 maximum, then deleted in bulk.
void listing_and_batch_delete(void **) {
    std::vector<std::string> keys = many_keys();
    std::vector<const char *> names, data;
    std::vector<size_t> sizes;
    for (const std::string &k : keys) {
        names.push_back(k.c_str());
        data.push_back(k.c_str());
        sizes.push_back(k.size());
    }
    std::vector<kvps_status> st(keys.size());
    ASSERT_OK(kvps_put_many(g_store, keys.size(), names.data(),
                            reinterpret_cast<const void *const *>(data.data()), sizes.data(),
                            st.data()));

    size_t seen = 0, pages = 0;
    std::string cursor;
    for (;;) {
        kvps_list_page *page = nullptr;
        ASSERT_OK(kvps_list(g_store, "many/", cursor.empty() ? nullptr : cursor.c_str(), 0, &page));
        size_t n = kvps_list_page_count(page);
        assert_true(n <= 1000);
        for (size_t i = 0; i < n; ++i) {
            const kvps_entry *e = kvps_list_page_entry(page, i);
            assert_true(seen < keys.size());
            assert_string_equal(e->key, keys[seen].c_str());
            assert_int_equal(e->size, keys[seen].size());
            ++seen;
        }
        ++pages;
        const char *next = kvps_list_page_cursor(page);
        cursor = next ? next : "";
        kvps_list_page_free(page);
        if (cursor.empty()) break;
    }
    assert_int_equal(seen, keys.size());
    assert_true(pages >= 3);

    ASSERT_OK(kvps_delete_many(g_store, keys.size(), names.data(), st.data()));
    for (kvps_status s : st) assert_int_equal(s, KVPS_OK);
    kvps_list_page *page = nullptr;
    ASSERT_OK(kvps_list(g_store, "many/", nullptr, 0, &page));
    assert_int_equal(kvps_list_page_count(page), 0);
    kvps_list_page_free(page);
}

struct CapturedLog {
    std::vector<std::string> lines;
};

void capture_line(void *user, kvps_log_level, const char *line) {
    static_cast<CapturedLog *>(user)->lines.push_back(line);
}

// Every request logs one DEBUG line (method, path, status, bytes, duration) without a secret.
void debug_log_has_no_secret(void **) {
    std::string secret = query_value(kvps::parse_url(g_base), "secret_access_key");
    CapturedLog log;
    kvps_set_logger(capture_line, &log, KVPS_LOG_DEBUG);
    ASSERT_OK(kvps_put(g_store, "logged", "x", 1));
    void *d = nullptr;
    size_t n = 0;
    ASSERT_OK(kvps_get(g_store, "logged", &d, &n));
    kvps_free(d);
    ASSERT_OK(kvps_delete(g_store, "logged"));
    kvps_set_logger(nullptr, nullptr, KVPS_LOG_ERROR);
    size_t requests = 0;
    for (const std::string &line : log.lines) {
        if (line.find(secret) != std::string::npos)
            fail_msg("a log line has the secret: %s", line.c_str());
        if (line.rfind("s3: ", 0) == 0 && line.find(" ms") != std::string::npos) ++requests;
    }
    if (requests < 3) fail_msg("expected a DEBUG line per request, got %zu", requests);
}

void wrong_secret(void **) {
    const std::string secret = "kvps-wrong-secret-0123456789abcdef";
    kvps_store *s = nullptr;
    ASSERT_OK(kvps_open(with_option(g_url, "secret_access_key", secret).c_str(), &s));
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_put(s, "denied", "x", 1));
    if (std::strstr(kvps_last_error(), secret.c_str())) fail_msg("the secret is in the message");
    void *d = nullptr;
    size_t n = 0;
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_get(s, "denied", &d, &n));
    if (std::strstr(kvps_last_error(), secret.c_str())) fail_msg("the secret is in the message");
    if (std::strstr(kvps_store_url(s), secret.c_str())) fail_msg("the secret is in the store URL");
    kvps_close(s);
}

void missing_bucket(void **) {
    std::string url = g_base;
    size_t start = url.find("://") + 3;
    size_t end = url.find_first_of("/?", start);
    std::string bucket = "kvps-missing-" + std::to_string(std::time(nullptr));
    url.replace(start, end - start, bucket);
    kvps_store *s = nullptr;
    ASSERT_OK(kvps_open(url.c_str(), &s));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_put(s, "k", "x", 1));
    if (!std::strstr(kvps_last_error(), bucket.c_str()))
        fail_msg("the message does not name the bucket: %s", kvps_last_error());
    void *d = nullptr;
    size_t n = 0;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(s, "k", &d, &n));
    if (!std::strstr(kvps_last_error(), bucket.c_str()))
        fail_msg("the message does not name the bucket: %s", kvps_last_error());
    kvps_list_page *page = nullptr;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_list(s, "", nullptr, 0, &page));
    kvps_close(s);
}

void server_not_listening(void **) {
    // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
    std::string url = with_option(g_url, "endpoint", "http://127.0.0.1:1");
    url = with_option(url, "connect_timeout", "2s");
    kvps_store *s = nullptr;
    ASSERT_OK(kvps_open(url.c_str(), &s));
    auto started = std::chrono::steady_clock::now();
    ASSERT_STATUS(KVPS_NETWORK, kvps_put(s, "k", "x", 1));
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (seconds > 20) fail_msg("a refused connection took %.1f s to report", seconds);
    if (!std::strstr(kvps_last_error(), "127.0.0.1:1"))
        fail_msg("the message does not name the endpoint: %s", kvps_last_error());
    kvps_close(s);
}

// A writer given up after parts went up leaves no upload behind, and no value.
void aborted_multipart_leaves_nothing(void **) {
    kvps_writer *w = nullptr;
    ASSERT_OK(kvps_writer_open(g_store, "aborted/value", &w));
    std::vector<unsigned char> chunk(4 << 20, 'a');
    for (int i = 0; i < 5; ++i) ASSERT_OK(kvps_writer_write(w, chunk.data(), chunk.size()));
    assert_int_equal(open_uploads("aborted/value").size(), 1);  // 20 MiB written: parts went up
    kvps_writer_abort(w);
    assert_int_equal(open_uploads("aborted/value").size(), 0);
    void *d = nullptr;
    size_t n = 0;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(g_store, "aborted/value", &d, &n));
}

int server_port() {
    std::string endpoint = query_value(kvps::parse_url(g_base), "endpoint");
    return std::atoi(endpoint.c_str() + endpoint.rfind(':') + 1);
}

// A reader whose connection breaks mid-value resumes where the bytes stopped: the value read is
// whole and exact.
void reader_resumes_after_broken_connections(void **) {
    std::vector<unsigned char> value(20 << 20);
    for (size_t i = 0; i < value.size(); ++i) value[i] = pattern(i + 3);
    ASSERT_OK(kvps_put(g_store, "resume/value", value.data(), value.size()));

    BreakingProxy proxy(server_port(), 3 << 20, 2, 0);  // the first two cut after 3 MiB down
    kvps_store *s = nullptr;
    ASSERT_OK(kvps_open(
        with_option(g_url, "endpoint", "http://127.0.0.1:" + std::to_string(proxy.port())).c_str(),
        &s));
    kvps_reader *r = nullptr;
    ASSERT_OK(kvps_reader_open(s, "resume/value", 0, KVPS_TO_END, &r));
    std::vector<unsigned char> got;
    std::vector<unsigned char> buffer(1 << 20);
    for (;;) {
        size_t n = 0;
        ASSERT_OK(kvps_reader_read(r, buffer.data(), buffer.size(), &n));
        if (n == 0) break;
        got.insert(got.end(), buffer.begin(), buffer.begin() + static_cast<long>(n));
    }
    kvps_reader_close(r);
    assert_int_equal(proxy.cuts(), 2);
    assert_int_equal(got.size(), value.size());
    assert_true(got == value);
    kvps_close(s);
    ASSERT_OK(kvps_delete(g_store, "resume/value"));
}

// An upload whose parts cannot get through (every connection carrying more than 1 MiB up is
// cut) fails with KVPS_NETWORK, and kvps aborts it on the server: no upload is left.
void failed_upload_is_aborted_on_the_server(void **) {
    BreakingProxy proxy(server_port(), UINT64_MAX, 0, 1 << 20);
    std::string url =
        with_option(g_url, "endpoint", "http://127.0.0.1:" + std::to_string(proxy.port()));
    url = with_option(url, "part_size", "5MiB");
    kvps_store *s = nullptr;
    ASSERT_OK(kvps_open(url.c_str(), &s));
    kvps_writer *w = nullptr;
    ASSERT_OK(kvps_writer_open(s, "cut/value", &w));
    std::vector<unsigned char> chunk(4 << 20, 'c');
    kvps_status status = KVPS_OK;
    for (int i = 0; i < 4 && status == KVPS_OK; ++i)
        status = kvps_writer_write(w, chunk.data(), chunk.size());
    if (status == KVPS_OK) {
        status = kvps_writer_commit(w);
    } else {
        kvps_writer_abort(w);
    }
    if (status != KVPS_NETWORK)
        fail_msg("expected KVPS_NETWORK, got %s: %s", kvps_status_name(status), kvps_last_error());
    assert_true(proxy.cuts() >= 1);
    assert_int_equal(open_uploads("cut/value").size(), 0);
    void *d = nullptr;
    size_t n = 0;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(g_store, "cut/value", &d, &n));
    kvps_close(s);
}

void special_keys(void **) {
    const char *names[] = {"space in key",
                           "plus+plus",
                           "percent%25and%",
                           "tilde~",
                           "star*",
                           "quote'",
                           "utf8-\xc3\xa9\xe6\x97\xa5\xf0\x9f\x8e\x89",
                           "slash/in/key",
                           "all + % ~ * ' \xc3\xa9/x"};
    for (const char *name : names) {
        std::string k = std::string("special/") + name;
        ASSERT_OK(kvps_put(g_store, k.c_str(), name, std::strlen(name)));
        void *d = nullptr;
        size_t n = 0;
        ASSERT_OK(kvps_get(g_store, k.c_str(), &d, &n));
        assert_int_equal(n, std::strlen(name));
        assert_memory_equal(d, name, n);
        kvps_free(d);
        kvps_list_page *page = nullptr;
        ASSERT_OK(kvps_list(g_store, k.c_str(), nullptr, 10, &page));
        assert_int_equal(kvps_list_page_count(page), 1);
        assert_string_equal(kvps_list_page_entry(page, 0)->key, k.c_str());
        kvps_list_page_free(page);
        ASSERT_OK(kvps_delete(g_store, k.c_str()));
        ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(g_store, k.c_str(), &d, &n));
    }
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s STORE_URL | '$VARIABLE'\n", argv[0]);
        return 2;
    }
    g_base = argv[1];
    if (!g_base.empty() && g_base[0] == '$') {
        const char *value = std::getenv(g_base.c_str() + 1);
        const char *ci = std::getenv("CI");
        if (!value || !*value) {
            bool in_ci = ci && std::strcmp(ci, "true") == 0;
            std::fprintf(stderr, "%s: %s is not set (start servers with tests/s3/servers.sh): %s\n",
                         argv[0], g_base.c_str(), in_ci ? "failing, CI=true" : "skipped");
            return in_ci ? 1 : 77;
        }
        g_base = value;
    }
    g_prefix =
        "kvps-s3-test-" + std::to_string(getpid()) + "-" + std::to_string(std::time(nullptr));
    g_url = with_path(g_base, g_prefix);

    const CMUnitTest tests[] = {
        cmocka_unit_test(multipart_round_trip),
        cmocka_unit_test(listing_and_batch_delete),
        cmocka_unit_test(wrong_secret),
        cmocka_unit_test(debug_log_has_no_secret),
        cmocka_unit_test(missing_bucket),
        cmocka_unit_test(server_not_listening),
        cmocka_unit_test(aborted_multipart_leaves_nothing),
        cmocka_unit_test(reader_resumes_after_broken_connections),
        cmocka_unit_test(failed_upload_is_aborted_on_the_server),
        cmocka_unit_test(special_keys),
    };
    // KVPS_TEST_FILTER=pattern runs only the matching tests (cmocka's wildcards).
    if (const char *filter = std::getenv("KVPS_TEST_FILTER")) cmocka_set_test_filter(filter);
    return cmocka_run_group_tests_name("s3_integration", tests, setup, teardown);
}
