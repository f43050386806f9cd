// kvps's s3 backend against raw libcurl requests of ours (the same SigV4-signed requests on one
// reused connection), on the same server in the same run:
//   - small-object PUT and GET latency (median and p90),
//   - a streamed put and get of a large value (1 GiB by default): throughput, and the peak RSS
//     of a process doing only that stream.
//
//     kvps_s3_bench URL [STREAM_MIB [SMALL_COUNT [RESULTS_FILE [ROUNDS]]]]
//
// URL is a store URL as tests/s3/servers.sh prints ('$KVPS_TEST_S3_URL' reads the variable).
// Writes a markdown table to RESULTS_FILE (default: stdout only).
#include <curl/curl.h>
#include <openssl/evp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "kvps.h"
#include "sigv4.hpp"
#include "url.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void die(const std::string &what) {
    std::fprintf(stderr, "kvps_s3_bench: %s\n", what.c_str());
    std::exit(1);
}

// Deterministic data, generated as it is sent so no stream is ever held in memory.
void fill(unsigned char *out, size_t n, uint64_t at) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>((at + i) * 131 >> 3);
}

// The peer: one curl handle (so one kept-alive connection), requests signed with our SigV4.
class RawS3 {
public:
    explicit RawS3(const std::string &url) {
        kvps::Url u = kvps::parse_url(url);
        bucket_ = u.host;
        for (const auto &[name, value] : u.query) {
            if (name == "endpoint") endpoint_ = value;
            if (name == "region") region_ = value;
            if (name == "access_key_id") key_id_ = value;
            if (name == "secret_access_key") secret_ = value;
        }
        host_ = endpoint_.substr(endpoint_.find("://") + 3);
        curl_ = curl_easy_init();
    }
    ~RawS3() { curl_easy_cleanup(curl_); }

    // One request; body from `read` (total `size` bytes) and into `write`. Returns the status.
    long request(const char *method, const std::string &key, uint64_t size,
                 const std::string &payload_hash, const std::function<size_t(char *, size_t)> &read,
                 const std::function<void(const char *, size_t)> &write) {
        std::string path = "/" + bucket_ + "/" + kvps::s3::uri_encode(key, true);
        std::string date = kvps::s3::amz_date_now();
        kvps::s3::SigningRequest signing{
            method,
            path,
            {},
            {{"host", host_}, {"x-amz-date", date}, {"x-amz-content-sha256", payload_hash}},
            payload_hash,
            date,
            region_,
            "s3"};
        kvps::s3::Signature sig = kvps::s3::sign(signing, key_id_, secret_);
        curl_slist *headers = nullptr;
        for (std::string h : {"x-amz-date: " + date, "x-amz-content-sha256: " + payload_hash,
                              "Authorization: " + sig.authorization, std::string("Expect:")})
            headers = curl_slist_append(headers, h.c_str());
        curl_easy_reset(curl_);
        std::string url = endpoint_ + path;
        curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl_, CURLOPT_TCP_NODELAY, 1L);
        auto on_write = +[](char *data, size_t s, size_t n, void *user) {
            (*static_cast<const std::function<void(const char *, size_t)> *>(user))(data, s * n);
            return s * n;
        };
        curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_write);
        curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &write);
        if (std::strcmp(method, "PUT") == 0) {
            auto on_read = +[](char *data, size_t s, size_t n, void *user) {
                return (*static_cast<const std::function<size_t(char *, size_t)> *>(user))(data,
                                                                                           s * n);
            };
            curl_easy_setopt(curl_, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(curl_, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(curl_, CURLOPT_READDATA, &read);
            curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
        }
        CURLcode code = curl_easy_perform(curl_);
        curl_slist_free_all(headers);
        if (code != CURLE_OK) die(std::string("raw request: ") + curl_easy_strerror(code));
        long status = 0;
        curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
        return status;
    }

    void put_small(const std::string &key, const std::string &value) {
        size_t at = 0;
        long status = request(
            "PUT", key, value.size(), kvps::s3::sha256_hex(value),
            [&](char *out, size_t cap) {
                size_t n = std::min(cap, value.size() - at);
                std::memcpy(out, value.data() + at, n);
                at += n;
                return n;
            },
            [](const char *, size_t) {});
        if (status != 200) die("raw PUT answered " + std::to_string(status));
    }

    std::string get_small(const std::string &key) {
        std::string out;
        long status = request("GET", key, 0, kvps::s3::sha256_hex(""), nullptr,
                              [&](const char *d, size_t n) { out.append(d, n); });
        if (status != 200) die("raw GET answered " + std::to_string(status));
        return out;
    }

    // A streamed PUT of generated data. Signed: one pass to hash it, then the upload, as a
    // client without multipart must do; unsigned: UNSIGNED-PAYLOAD.
    void put_stream(const std::string &key, uint64_t size, bool sign_payload) {
        std::string hash = "UNSIGNED-PAYLOAD";
        std::vector<unsigned char> chunk(1 << 20);
        if (sign_payload) {
            EVP_MD_CTX *ctx = EVP_MD_CTX_new();
            EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
            for (uint64_t at = 0; at < size; at += chunk.size()) {
                size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - at));
                fill(chunk.data(), n, at);
                EVP_DigestUpdate(ctx, chunk.data(), n);
            }
            unsigned char digest[32];
            EVP_DigestFinal_ex(ctx, digest, nullptr);
            EVP_MD_CTX_free(ctx);
            hash.clear();
            for (unsigned char b : digest) {
                char hex[3];
                std::snprintf(hex, sizeof hex, "%02x", b);
                hash += hex;
            }
        }
        uint64_t at = 0;
        long status = request(
            "PUT", key, size, hash,
            [&](char *out, size_t cap) {
                size_t n = static_cast<size_t>(std::min<uint64_t>(cap, size - at));
                fill(reinterpret_cast<unsigned char *>(out), n, at);
                at += n;
                return n;
            },
            [](const char *, size_t) {});
        if (status != 200) die("raw streamed PUT answered " + std::to_string(status));
    }

    uint64_t get_stream(const std::string &key) {
        uint64_t total = 0;
        unsigned sum = 0;
        long status =
            request("GET", key, 0, kvps::s3::sha256_hex(""), nullptr, [&](const char *d, size_t n) {
                total += n;
                sum += static_cast<unsigned char>(d[n - 1]);
            });
        if (status != 200) die("raw streamed GET answered " + std::to_string(status));
        return total + (sum & 0);
    }

private:
    std::string bucket_, endpoint_, host_, region_, key_id_, secret_;
    CURL *curl_ = nullptr;
};

struct Latency {
    double median_us, p90_us;
};

Latency summarize(std::vector<double> us) {
    std::sort(us.begin(), us.end());
    return {us[us.size() / 2], us[us.size() * 9 / 10]};
}

// Times a and b alternately, count times each, so both see the same load.
std::pair<Latency, Latency> measure_pair(size_t count, const std::function<void(size_t)> &a,
                                         const std::function<void(size_t)> &b) {
    std::vector<double> us_a, us_b;
    for (size_t i = 0; i < count; ++i) {
        auto start = Clock::now();
        a(i);
        us_a.push_back(seconds_since(start) * 1e6);
        start = Clock::now();
        b(i);
        us_b.push_back(seconds_since(start) * 1e6);
    }
    return {summarize(us_a), summarize(us_b)};
}

// Runs fn in a child process; returns its peak RSS in MiB and the seconds fn reported.
struct ChildResult {
    double seconds;
    double peak_rss_mib;
};
ChildResult in_child(const std::function<double()> &fn) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) die("pipe failed");
    pid_t pid = fork();
    if (pid == 0) {
        close(pipe_fds[0]);
        double s = fn();
        if (write(pipe_fds[1], &s, sizeof s) != sizeof s) _exit(1);
        _exit(0);
    }
    close(pipe_fds[1]);
    double s = -1;
    if (read(pipe_fds[0], &s, sizeof s) != sizeof s) die("a measurement child failed");
    close(pipe_fds[0]);
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("a measurement child failed");
    return {s, usage.ru_maxrss / 1024.0};
}

kvps_store *open_store(const std::string &url) {
    kvps_store *s = nullptr;
    if (kvps_open(url.c_str(), &s) != KVPS_OK) die(std::string("open: ") + kvps_last_error());
    return s;
}

void check(kvps_status status, const char *what) {
    if (status != KVPS_OK) die(std::string(what) + ": " + kvps_last_error());
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2)
        die("usage: kvps_s3_bench URL [STREAM_MIB [SMALL_COUNT [RESULTS_FILE [ROUNDS]]]]");
    std::string url = argv[1];
    if (!url.empty() && url[0] == '$') {
        const char *value = std::getenv(url.c_str() + 1);
        if (!value) die(url + " is not set (start tests/s3/servers.sh)");
        url = value;
    }
    uint64_t stream_mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
    size_t small_count = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 300;
    const char *results = argc > 4 && *argv[4] ? argv[4] : nullptr;
    unsigned rounds = argc > 5 ? static_cast<unsigned>(std::strtoul(argv[5], nullptr, 10)) : 3;
    if (rounds == 0) rounds = 1;
    uint64_t stream_size = stream_mib << 20;

    std::string prefix = "kvps-bench-" + std::to_string(getpid());
    // The store sees keys under the prefix; the raw peer names them in full.
    std::string store_url = url;
    size_t q = store_url.find('?');
    store_url.insert(q == std::string::npos ? store_url.size() : q, "/" + prefix);
    RawS3 raw(url);

    // ---- small objects: 4 KiB, kvps and raw alternating, both on warm connections
    std::string small(4096, 'x');
    kvps_store *store = open_store(store_url);
    check(kvps_put(store, "warm", small.data(), small.size()), "put");
    raw.put_small(prefix + "/warm", small);
    auto [kvps_put_lat, raw_put_lat] = measure_pair(
        small_count,
        [&](size_t i) {
            check(kvps_put(store, ("small/" + std::to_string(i % 16)).c_str(), small.data(),
                           small.size()),
                  "put");
        },
        [&](size_t i) { raw.put_small(prefix + "/small/" + std::to_string(i % 16), small); });
    auto [kvps_get_lat, raw_get_lat] = measure_pair(
        small_count,
        [&](size_t i) {
            void *d = nullptr;
            size_t n = 0;
            check(kvps_get(store, ("small/" + std::to_string(i % 16)).c_str(), &d, &n), "get");
            kvps_free(d);
        },
        [&](size_t i) { raw.get_small(prefix + "/small/" + std::to_string(i % 16)); });
    kvps_close(store);

    // ---- streams, each in its own process so its peak RSS is its own
    auto kvps_put_stream = [&](const std::string &options) {
        return in_child([&] {
            kvps_store *s = open_store(store_url + options);
            std::vector<unsigned char> chunk(1 << 20);
            auto start = Clock::now();
            kvps_writer *w = nullptr;
            check(kvps_writer_open(s, "stream", &w), "writer_open");
            for (uint64_t at = 0; at < stream_size; at += chunk.size()) {
                size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), stream_size - at));
                fill(chunk.data(), n, at);
                check(kvps_writer_write(w, chunk.data(), n), "writer_write");
            }
            check(kvps_writer_commit(w), "writer_commit");
            double s_elapsed = seconds_since(start);
            kvps_close(s);
            return s_elapsed;
        });
    };
    auto kvps_get_stream = [&] {
        return in_child([&] {
            kvps_store *s = open_store(store_url);
            std::vector<unsigned char> chunk(1 << 20);
            auto start = Clock::now();
            kvps_reader *r = nullptr;
            check(kvps_reader_open(s, "stream", 0, KVPS_TO_END, &r), "reader_open");
            uint64_t total = 0;
            for (size_t n = 1; n > 0; total += n)
                check(kvps_reader_read(r, chunk.data(), chunk.size(), &n), "read");
            kvps_reader_close(r);
            double elapsed = seconds_since(start);
            kvps_close(s);
            if (total != stream_size) die("streamed get returned a short value");
            return elapsed;
        });
    };
    // Rounds alternate kvps and raw so both see the same load; the best time of each is kept
    // (the least disturbed by other work on the machine), and the highest peak RSS.
    auto best = [](ChildResult &acc, ChildResult r) {
        acc.seconds = acc.seconds < 0 ? r.seconds : std::min(acc.seconds, r.seconds);
        acc.peak_rss_mib = std::max(acc.peak_rss_mib, r.peak_rss_mib);
    };
    ChildResult kvps_put_signed{-1, 0}, kvps_get_res{-1, 0}, kvps_put_unsigned{-1, 0};
    ChildResult raw_put_signed{-1, 0}, raw_put_unsigned{-1, 0}, raw_get_res{-1, 0};
    for (unsigned round = 0; round < rounds; ++round) {
        best(kvps_put_signed, kvps_put_stream(""));
        best(raw_put_signed, in_child([&] {
                 RawS3 peer(url);
                 auto start = Clock::now();
                 peer.put_stream(prefix + "/raw-stream", stream_size, true);
                 return seconds_since(start);
             }));
        best(kvps_get_res, kvps_get_stream());
        best(raw_get_res, in_child([&] {
                 RawS3 peer(url);
                 auto start = Clock::now();
                 if (peer.get_stream(prefix + "/raw-stream") != stream_size)
                     die("raw get was short");
                 return seconds_since(start);
             }));
        best(kvps_put_unsigned, kvps_put_stream("&unsigned_payload=true"));
        best(raw_put_unsigned, in_child([&] {
                 RawS3 peer(url);
                 auto start = Clock::now();
                 peer.put_stream(prefix + "/raw-stream", stream_size, false);
                 return seconds_since(start);
             }));
    }

    // ---- clean up
    store = open_store(store_url);
    kvps_delete(store, "stream");
    kvps_delete(store, "warm");
    for (int i = 0; i < 16; ++i) kvps_delete(store, ("small/" + std::to_string(i)).c_str());
    kvps_close(store);
    raw.request("DELETE", prefix + "/raw-stream", 0, kvps::s3::sha256_hex(""), nullptr,
                [](const char *, size_t) {});

    // ---- report: ratio = kvps / raw (lower is better; 1.00 = as fast as raw libcurl)
    double mib = static_cast<double>(stream_mib);
    char report[4096];
    std::snprintf(
        report, sizeof report,
        "| measure | kvps | raw libcurl | ratio kvps/raw |\n"
        "| --- | ---: | ---: | ---: |\n"
        "| PUT 4 KiB, median latency | %.0f us | %.0f us | %.2f |\n"
        "| PUT 4 KiB, p90 latency | %.0f us | %.0f us | %.2f |\n"
        "| GET 4 KiB, median latency | %.0f us | %.0f us | %.2f |\n"
        "| GET 4 KiB, p90 latency | %.0f us | %.0f us | %.2f |\n"
        "| streamed put %llu MiB, signed payload (time) | %.2f s (%.0f MiB/s) | %.2f s (%.0f "
        "MiB/s) | %.2f |\n"
        "| streamed put %llu MiB, UNSIGNED-PAYLOAD (time) | %.2f s (%.0f MiB/s) | %.2f s (%.0f "
        "MiB/s) | %.2f |\n"
        "| streamed get %llu MiB (time) | %.2f s (%.0f MiB/s) | %.2f s (%.0f MiB/s) | %.2f |\n"
        "| peak RSS, streamed put (signed) | %.0f MiB | %.0f MiB | |\n"
        "| peak RSS, streamed get | %.0f MiB | %.0f MiB | |\n",
        kvps_put_lat.median_us, raw_put_lat.median_us,
        kvps_put_lat.median_us / raw_put_lat.median_us, kvps_put_lat.p90_us, raw_put_lat.p90_us,
        kvps_put_lat.p90_us / raw_put_lat.p90_us, kvps_get_lat.median_us, raw_get_lat.median_us,
        kvps_get_lat.median_us / raw_get_lat.median_us, kvps_get_lat.p90_us, raw_get_lat.p90_us,
        kvps_get_lat.p90_us / raw_get_lat.p90_us, (unsigned long long)stream_mib,
        kvps_put_signed.seconds, mib / kvps_put_signed.seconds, raw_put_signed.seconds,
        mib / raw_put_signed.seconds, kvps_put_signed.seconds / raw_put_signed.seconds,
        (unsigned long long)stream_mib, kvps_put_unsigned.seconds, mib / kvps_put_unsigned.seconds,
        raw_put_unsigned.seconds, mib / raw_put_unsigned.seconds,
        kvps_put_unsigned.seconds / raw_put_unsigned.seconds, (unsigned long long)stream_mib,
        kvps_get_res.seconds, mib / kvps_get_res.seconds, raw_get_res.seconds,
        mib / raw_get_res.seconds, kvps_get_res.seconds / raw_get_res.seconds,
        kvps_put_signed.peak_rss_mib, raw_put_signed.peak_rss_mib, kvps_get_res.peak_rss_mib,
        raw_get_res.peak_rss_mib);
    std::fputs(report, stdout);
    if (results) {
        FILE *f = std::fopen(results, "w");
        if (!f) die(std::string("cannot write ") + results);
        std::fprintf(
            f,
            "# s3 backend vs raw libcurl\n\n"
            "Same server, same run: `kvps_s3_bench` (bench/s3/) against raw libcurl requests of "
            "ours\n"
            "signed with the same SigV4 code on one reused connection. Defaults: part_size 8 MiB,\n"
            "concurrency 4 (the memory bound is part_size x concurrency + 32 MiB = 64 MiB).\n"
            "The raw signed put must read the data twice (hash, then send); kvps hashes each "
            "part.\n"
            "Small objects: %zu requests each. Streams: best of %u alternating rounds.\n"
            "Ratio: kvps / raw, lower is better.\n\n%s",
            small_count, rounds, report);
        std::fclose(f);
    }
    return 0;
}
