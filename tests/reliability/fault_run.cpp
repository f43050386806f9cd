// Mixed operations through the fault proxy at a fault rate, checked against a model and, behind
// kvps's back, against the server itself:
//
//     reliability_fault_run URL [OPS] [SEED] [RATE]      (defaults 100, time-based, 0.2)
//
// URL: an s3:// store URL with an http endpoint ('$NAME' reads it from that variable; unset:
// skipped (77), or a failure if CI=true). Checks: no wrong bytes, no wrong result, no visible
// partial value, no multipart upload left, every failure a clear status, single-request
// operations within max_attempts x (request_timeout + 1 s tick) + backoff. Prints the figures.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "client.hpp"
#include "fault_proxy.hpp"
#include "kvps.h"
#include "url.hpp"
#include "xml.hpp"

namespace {

constexpr int kKeys = 12;
constexpr unsigned kMaxAttempts = 3;
constexpr double kTimeout = 1.0;  // request_timeout in seconds
constexpr size_t kPart = 5 << 20;

std::string g_base, g_prefix;
int g_failures = 0;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (!(cond)) {                                    \
            ++g_failures;                                 \
            std::fprintf(stderr, "FAILED: " __VA_ARGS__); \
            std::fprintf(stderr, "\n");                   \
        }                                                 \
    } while (0)

std::string query_value(const kvps::Url &url, const std::string &name) {
    for (const auto &[n, v] : url.query)
        if (n == name) return v;
    return "";
}

std::string with_prefix(std::string url) {
    size_t start = url.find("://") + 3;
    size_t end = url.find_first_of("/?", start);
    return url.substr(0, end) + "/" + g_prefix + url.substr(end);
}

// What a key may hold: any of these values, or nothing (absent allowed).
struct Allowed {
    std::set<std::string> values;
    bool absent = true;
};

std::string value_for(std::mt19937_64 &random, size_t size) {
    std::string v(size, '\0');
    uint64_t x = random();
    for (size_t i = 0; i < size; i += 8) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        std::memcpy(&v[i], &x, std::min<size_t>(8, size - i));
    }
    return v;
}

bool clear_failure(kvps_status st) {
    return st == KVPS_NETWORK || st == KVPS_TIMEOUT || st == KVPS_REMOTE ||
           st == KVPS_OUTCOME_UNKNOWN || st == KVPS_PRECONDITION_FAILED;
}

std::optional<std::string> read_direct(kvps_store *plain, const std::string &key) {
    for (int tries = 0; tries < 5; ++tries) {
        void *data = nullptr;
        size_t n = 0;
        kvps_status st = kvps_get(plain, key.c_str(), &data, &n);
        if (st == KVPS_NOT_FOUND) return std::nullopt;
        if (st == KVPS_OK) {
            std::string v(static_cast<char *>(data), n);
            kvps_free(data);
            return v;
        }
        sleep(1);
    }
    std::fprintf(stderr, "direct read of %s keeps failing: %s\n", key.c_str(), kvps_last_error());
    std::exit(1);
}

bool allowed_bytes(const Allowed &a, const std::string &bytes) { return a.values.count(bytes) > 0; }

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: reliability_fault_run URL [OPS] [SEED] [RATE]\n");
        return 2;
    }
    g_base = argv[1];
    if (g_base[0] == '$') {
        const char *value = std::getenv(g_base.c_str() + 1);
        if (!value || !*value) {
            const char *ci = std::getenv("CI");
            bool in_ci = ci && std::strcmp(ci, "true") == 0;
            std::fprintf(stderr, "%s is not set: %s\n", argv[1],
                         in_ci ? "failing (CI=true)" : "skipping");
            return in_ci ? 1 : 77;
        }
        g_base = value;
    }
    int ops = argc > 2 ? std::atoi(argv[2]) : 100;
    uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : uint64_t(time(nullptr));
    double rate = argc > 4 ? std::atof(argv[4]) : 0.2;
    g_prefix = "kvps-faults-" + std::to_string(getpid()) + "-" + std::to_string(seed);

    kvps::Url parsed = kvps::parse_url(g_base);
    std::string endpoint = query_value(parsed, "endpoint");
    int port = std::atoi(endpoint.substr(endpoint.rfind(':') + 1).c_str());
    fault::Proxy proxy(port);
    std::string faulty_url = with_prefix(g_base);
    faulty_url.replace(faulty_url.find(endpoint), endpoint.size(),
                       "http://127.0.0.1:" + std::to_string(proxy.port()));
    faulty_url += "&max_attempts=" + std::to_string(kMaxAttempts) +
                  "&request_timeout=1s&part_size=5MiB&concurrency=2";
    kvps_store *store = nullptr, *plain = nullptr;
    if (kvps_open(faulty_url.c_str(), &store) != KVPS_OK ||
        kvps_open(with_prefix(g_base).c_str(), &plain) != KVPS_OK) {
        std::fprintf(stderr, "open: %s\n", kvps_last_error());
        return 1;
    }
    proxy.set_rule(fault::random_faults(rate, seed, 3000));
    std::mt19937_64 random(seed ^ 0x9e3779b97f4a7c15ull);

    std::map<std::string, Allowed> model;
    std::set<std::string> multipart_keys;
    for (int i = 0; i < kKeys; ++i) model["k" + std::to_string(i)] = Allowed{{}, true};
    std::map<std::string, int> by_status;
    std::map<std::string, double> slowest;
    uint64_t bytes_checked = 0;
    int wrong_bytes = 0, partial_values = 0, unknowns = 0;
    double single_bound = kMaxAttempts * (kTimeout + 1.0) + 0.6 + 1.0;

    auto record = [&](const char *op, kvps_status st, double seconds) {
        by_status[std::string(op) + " " + kvps_status_name(st)]++;
        slowest[op] = std::max(slowest[op], seconds);
        CHECK(st == KVPS_OK || st == KVPS_NOT_FOUND || clear_failure(st),
              "%s: unclear status %s: %s", op, kvps_status_name(st), kvps_last_error());
    };
    // After any write: what the server holds must be allowed (never a partial value).
    auto verify = [&](const std::string &key) {
        std::optional<std::string> v = read_direct(plain, key);
        const Allowed &a = model[key];
        if (!v) {
            CHECK(a.absent, "key %s is missing, the model says it must exist", key.c_str());
        } else if (!allowed_bytes(a, *v)) {
            ++partial_values;
            CHECK(false, "key %s holds %zu bytes that were never written whole", key.c_str(),
                  v->size());
        } else {
            model[key] = Allowed{{*v}, false};  // settle the model to what is there
        }
        if (!v) model[key] = Allowed{{}, true};
    };
    auto write_outcome = [&](const std::string &key, const std::string &value, kvps_status st) {
        Allowed &a = model[key];
        if (st == KVPS_OK) {
            a = Allowed{{value}, false};
        } else if (st == KVPS_OUTCOME_UNKNOWN) {
            ++unknowns;
            a.values.insert(value);
        }
        verify(key);
    };

    auto now = [] { return std::chrono::steady_clock::now(); };
    auto since = [&](auto t) { return std::chrono::duration<double>(now() - t).count(); };

    for (int op = 0; op < ops; ++op) {
        std::string key = "k" + std::to_string(random() % kKeys);
        int kind = static_cast<int>(random() % 14);
        auto t0 = now();
        if (kind <= 2) {  // small put
            std::string v = value_for(random, 1 + random() % 4000);
            kvps_status st = kvps_put(store, key.c_str(), v.data(), v.size());
            record("put", st, since(t0));
            write_outcome(key, v, st);
        } else if (kind == 3) {  // multipart put
            std::string v = value_for(random, kPart + 1 + random() % (1 << 20));
            multipart_keys.insert(key);
            kvps_status st = kvps_put(store, key.c_str(), v.data(), v.size());
            record("put-multipart", st, since(t0));
            write_outcome(key, v, st);
        } else if (kind == 4) {  // streamed writer (multipart when large)
            bool large = random() % 2;
            std::string v = value_for(random, large ? kPart + 4096 : 10000);
            if (large) multipart_keys.insert(key);
            kvps_writer *w = nullptr;
            kvps_status st = kvps_writer_open(store, key.c_str(), &w);
            for (size_t at = 0; st == KVPS_OK && at < v.size(); at += 1 << 20)
                st = kvps_writer_write(w, v.data() + at, std::min<size_t>(1 << 20, v.size() - at));
            if (st == KVPS_OK)
                st = kvps_writer_commit(w);
            else
                kvps_writer_abort(w);
            record("writer", st, since(t0));
            write_outcome(key, v, st);
        } else if (kind <= 6) {  // get
            void *data = nullptr;
            size_t n = 0;
            kvps_status st = kvps_get(store, key.c_str(), &data, &n);
            double took = since(t0);
            record("get", st, took);
            CHECK(took <= single_bound, "get took %.1f s (bound %.1f s)", took, single_bound);
            const Allowed &a = model[key];
            if (st == KVPS_OK) {
                bytes_checked += n;
                if (!allowed_bytes(a, std::string(static_cast<char *>(data), n))) {
                    ++wrong_bytes;
                    CHECK(false, "get %s returned %zu bytes never written", key.c_str(), n);
                }
            } else if (st == KVPS_NOT_FOUND) {
                CHECK(a.absent, "get %s: not found, but it exists", key.c_str());
            }
            kvps_free(data);
        } else if (kind == 7) {  // range
            uint64_t offset = random() % 5000, length = 1 + random() % 3000;
            void *data = nullptr;
            size_t n = 0;
            kvps_status st = kvps_get_range(store, key.c_str(), offset, length, &data, &n);
            record("get_range", st, since(t0));
            const Allowed &a = model[key];
            if (st == KVPS_OK) {
                bool ok = false;
                for (const std::string &v : a.values) {
                    std::string expect = offset < v.size() ? v.substr(offset, length) : "";
                    ok = ok || expect == std::string(static_cast<char *>(data), n);
                }
                bytes_checked += n;
                if (!ok) ++wrong_bytes;
                CHECK(ok, "get_range %s returned wrong bytes", key.c_str());
            }
            kvps_free(data);
        } else if (kind == 8) {  // reader with a seek
            kvps_reader *r = nullptr;
            kvps_status st = kvps_reader_open(store, key.c_str(), 0, KVPS_TO_END, &r);
            std::string got;
            uint64_t seek_to = 0;
            if (st == KVPS_OK) {
                uint64_t size = kvps_reader_value_size(r);
                seek_to = size ? random() % size : 0;
                st = kvps_reader_seek(r, seek_to);
                std::vector<char> buffer(256 << 10);
                size_t n = 0;
                while (st == KVPS_OK &&
                       (st = kvps_reader_read(r, buffer.data(), buffer.size(), &n)) == KVPS_OK && n)
                    got.append(buffer.data(), n);
                kvps_reader_close(r);
            }
            record("reader", st, since(t0));
            if (st == KVPS_OK) {
                bool ok = false;
                for (const std::string &v : model[key].values)
                    ok = ok || (seek_to <= v.size() && v.substr(seek_to) == got);
                bytes_checked += got.size();
                if (!ok) ++wrong_bytes;
                CHECK(ok, "reader %s returned wrong bytes", key.c_str());
            }
        } else if (kind == 9) {  // stat
            kvps_stat_info info = KVPS_STAT_INIT;
            kvps_status st = kvps_stat(store, key.c_str(), &info);
            double took = since(t0);
            record("stat", st, took);
            CHECK(took <= single_bound, "stat took %.1f s", took);
            if (st == KVPS_OK) {
                bool ok = false;
                for (const std::string &v : model[key].values) ok = ok || v.size() == info.size;
                CHECK(ok && info.etag[0], "stat %s: size %llu / etag '%s' match no value",
                      key.c_str(), (unsigned long long)info.size, info.etag);
            } else if (st == KVPS_NOT_FOUND) {
                CHECK(model[key].absent, "stat %s: not found, but it exists", key.c_str());
            }
        } else if (kind == 10) {  // paged list
            std::string cursor;
            std::set<std::string> seen;
            kvps_status st;
            for (;;) {
                kvps_list_page *page = nullptr;
                st = kvps_list(store, "k", cursor.empty() ? nullptr : cursor.c_str(), 4, &page);
                if (st != KVPS_OK) break;
                for (size_t i = 0; i < kvps_list_page_count(page); ++i) {
                    std::string k = kvps_list_page_entry(page, i)->key;
                    CHECK(!seen.count(k), "list returned %s twice", k.c_str());
                    seen.insert(k);
                }
                const char *next = kvps_list_page_cursor(page);
                cursor = next ? next : "";
                kvps_list_page_free(page);
                if (cursor.empty()) break;
            }
            record("list", st, since(t0));
            if (st == KVPS_OK)
                for (const auto &[k, a] : model)
                    if (!a.absent) CHECK(seen.count(k), "list misses %s", k.c_str());
        } else if (kind == 11) {  // delete
            kvps_status st = kvps_delete(store, key.c_str());
            record("delete", st, since(t0));
            if (st == KVPS_OK)
                model[key] = Allowed{{}, true};
            else
                model[key].absent = true;  // may have happened
            verify(key);
        } else if (kind == 12) {  // batch put + get
            const char *keys[3];
            std::string names[3], values[3];
            const void *datas[3];
            size_t sizes[3];
            kvps_status statuses[3];
            int first = static_cast<int>(random() % kKeys);
            for (int i = 0; i < 3; ++i) {  // three distinct keys
                names[i] = "k" + std::to_string((first + i * 5) % kKeys);
                values[i] = value_for(random, 100 + random() % 2000);
                keys[i] = names[i].c_str();
                datas[i] = values[i].data();
                sizes[i] = values[i].size();
            }
            kvps_status st = kvps_put_many(store, 3, keys, datas, sizes, statuses);
            record("put_many", st, since(t0));
            for (int i = 0; i < 3; ++i) {
                record("put_many item", statuses[i], 0);
                write_outcome(names[i], values[i], statuses[i]);
            }
        } else {  // batch delete
            const char *keys[2];
            int first = static_cast<int>(random() % kKeys);
            std::string names[2] = {"k" + std::to_string(first),
                                    "k" + std::to_string((first + 7) % kKeys)};
            for (int i = 0; i < 2; ++i) keys[i] = names[i].c_str();
            kvps_status statuses[2];
            kvps_status st = kvps_delete_many(store, 2, keys, statuses);
            record("delete_many", st, since(t0));
            for (int i = 0; i < 2; ++i) {
                if (statuses[i] == KVPS_OK)
                    model[names[i]] = Allowed{{}, true};
                else
                    model[names[i]].absent = true;
                verify(names[i]);
            }
        }
    }

    // No multipart upload left behind (MinIO lists one exact key at a time).
    kvps::s3::Settings settings;
    settings.bucket = parsed.host;
    settings.endpoint = endpoint;
    settings.region = query_value(parsed, "region");
    settings.credentials = std::make_shared<kvps::s3::CredentialProvider>(
        kvps::s3::Credentials{query_value(parsed, "access_key_id"),
                              query_value(parsed, "secret_access_key"),
                              "",
                              "the URL",
                              {}});
    kvps::s3::Client client(settings);
    size_t left = 0;
    for (const std::string &key : multipart_keys) {
        kvps::s3::Call call;
        call.query = {{"uploads", ""}, {"prefix", g_prefix + "/" + key}};
        kvps::s3::HttpResponse response = client.send(call);
        left += kvps::s3::parse_multipart_uploads(
                    std::string_view(response.body.data(), response.body.size()))
                    .size();
    }
    CHECK(left == 0, "%zu multipart uploads left", left);
    // Clean up.
    for (const auto &[key, a] : model) kvps_delete(plain, key.c_str());
    kvps_close(store);
    kvps_close(plain);

    std::printf("fault run: %d operations, seed %llu, fault rate %.0f%%, %llu requests, faults:",
                ops, (unsigned long long)seed, rate * 100, (unsigned long long)proxy.requests());
    for (fault::Kind k :
         {fault::Kind::Reply503, fault::Kind::Reply500, fault::Kind::ResetRequest,
          fault::Kind::StallRequest, fault::Kind::CutAnswer, fault::Kind::StallAnswer})
        std::printf(" %s=%llu", fault::kind_name(k), (unsigned long long)proxy.injected(k));
    std::printf(
        "\n  bytes checked %llu, wrong bytes %d, partial values %d, outcome unknown %d, "
        "multipart uploads left %zu, failures %d\n",
        (unsigned long long)bytes_checked, wrong_bytes, partial_values, unknowns, left, g_failures);
    std::printf("  slowest (s):");
    for (const auto &[op, s] : slowest) std::printf(" %s=%.2f", op.c_str(), s);
    std::printf("\n  results:");
    for (const auto &[what, n] : by_status) std::printf(" [%s]=%d", what.c_str(), n);
    std::printf("\n");
    return g_failures ? 1 : 0;
}
