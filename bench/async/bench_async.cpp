// The asynchronous API's cost beside the blocking one, on memory:// (so only kvps's own overhead
// shows): one get at a time (kvps_get vs kvps_get_async + kvps_op_wait), and 10,000 gets issued
// from one thread through a completion queue vs the same gets in a blocking loop. Prints ratios
// (async / blocking) and the most threads the process had.
// With an s3:// URL (argument or KVPS_BENCH_S3_URL), the same on S3, where async GETs run on the
// store's I/O thread (libcurl's multi interface): 10,000 small GETs all in flight from one thread
// vs the same GETs blocking on 16 threads (ops/s, peak threads, peak connections), one GET at a
// time both ways, one small PUT at a time both ways (async PUTs below part_size run on the I/O
// thread too), and how long a GET and a single PUT in flight take to stop once cancelled.
//
//     bench_async [ROUNDS [S3_URL]]      best of ROUNDS rounds per side (default 5)
#include <dirent.h>
#include <poll.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kvps.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kKeys = 1000;
constexpr int kSingle = 20000;
constexpr int kInFlight = 10000;

size_t threads_now() {
    size_t n = 0;
    if (DIR *d = opendir("/proc/self/task")) {
        while (dirent *e = readdir(d)) n += e->d_name[0] != '.';
        closedir(d);
    }
    return n;
}

std::string key(int i) { return "bench/" + std::to_string(i % kKeys); }

void check(kvps_status st, const char *what) {
    if (st != KVPS_OK) {
        std::fprintf(stderr, "%s: %s: %s\n", what, kvps_status_name(st), kvps_last_error());
        std::exit(1);
    }
}

double blocking(kvps_store *s, int n) {
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
        void *data;
        size_t size;
        check(kvps_get(s, key(i).c_str(), &data, &size), "kvps_get");
        kvps_free(data);
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

double async_one_at_a_time(kvps_store *s, int n) {
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
        kvps_op *op;
        check(kvps_get_async(s, key(i).c_str(), nullptr, &op), "kvps_get_async");
        kvps_op_wait(op, -1);
        void *data;
        size_t size;
        check(kvps_op_value(op, &data, &size), "kvps_op_value");
        kvps_free(data);
        kvps_op_free(op);
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

size_t g_peak_threads = 0;

double async_all_in_flight(kvps_store *s, int n) {
    kvps_queue *q;
    check(kvps_queue_new(&q), "kvps_queue_new");
    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.queue = q;
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
        kvps_op *op;
        check(kvps_get_async(s, key(i).c_str(), &o, &op), "kvps_get_async");
    }
    g_peak_threads = std::max(g_peak_threads, threads_now());
    for (int done = 0; done < n;) {
        pollfd p{kvps_queue_fd(q), POLLIN, 0};
        poll(&p, 1, -1);
        while (kvps_op *op = kvps_queue_next(q)) {
            void *data;
            size_t size;
            check(kvps_op_value(op, &data, &size), "kvps_op_value");
            kvps_free(data);
            kvps_op_free(op);
            ++done;
        }
    }
    double t = std::chrono::duration<double>(Clock::now() - t0).count();
    kvps_queue_free(q);
    return t;
}

// ---- s3://
size_t g_peak_connections = 0;
unsigned g_port = 0;

// This process's live (ESTABLISHED) TCP connections to g_port (sockets of its descriptors in
// /proc/net/tcp*): a socket the server closed that libcurl has not reaped yet is not counted.
size_t connections_now() {
    std::vector<unsigned long> inodes;
    if (DIR *d = opendir("/proc/self/fd")) {
        while (dirent *e = readdir(d)) {
            char path[300], target[64];
            std::snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
            ssize_t n = readlink(path, target, sizeof target - 1);
            if (n <= 0) continue;
            target[n] = 0;
            unsigned long inode = 0;
            if (std::sscanf(target, "socket:[%lu]", &inode) == 1) inodes.push_back(inode);
        }
        closedir(d);
    }
    size_t count = 0;
    for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        FILE *f = std::fopen(table, "r");
        if (!f) continue;
        char line[512];
        while (std::fgets(line, sizeof line, f)) {
            char local[64], remote[64];
            unsigned state = 0;
            unsigned long inode = 0;
            if (std::sscanf(line, "%*d: %63s %63s %x %*s %*s %*s %*s %*s %lu", local, remote,
                            &state, &inode) != 4)
                continue;
            const char *colon = std::strrchr(remote, ':');
            if (!colon || std::strtoul(colon + 1, nullptr, 16) != g_port || state != 0x01) continue;
            count += std::count(inodes.begin(), inodes.end(), inode);
        }
        std::fclose(f);
    }
    return count;
}

void sample() {
    g_peak_threads = std::max(g_peak_threads, threads_now());
    g_peak_connections = std::max(g_peak_connections, connections_now());
}

double s3_async_all(kvps_store *s, int n) {
    kvps_queue *q;
    check(kvps_queue_new(&q), "kvps_queue_new");
    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.queue = q;
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
        kvps_op *op;
        check(kvps_get_async(s, key(i).c_str(), &o, &op), "kvps_get_async");
    }
    sample();
    for (int done = 0; done < n;) {
        pollfd p{kvps_queue_fd(q), POLLIN, 0};
        poll(&p, 1, -1);
        while (kvps_op *op = kvps_queue_next(q)) {
            void *data;
            size_t size;
            check(kvps_op_value(op, &data, &size), "kvps_op_value");
            kvps_free(data);
            kvps_op_free(op);
            if (++done % 1000 == 0) sample();
        }
    }
    double t = std::chrono::duration<double>(Clock::now() - t0).count();
    kvps_queue_free(q);
    return t;
}

double s3_blocking_threads(kvps_store *s, int n, int threads) {
    std::atomic<int> next{0};
    auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (int i; (i = next.fetch_add(1)) < n;) {
                void *data;
                size_t size;
                check(kvps_get(s, key(i).c_str(), &data, &size), "kvps_get");
                kvps_free(data);
            }
        });
    sample();
    for (auto &t : pool) t.join();
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Cancels `op` `delay_ms` after it started and waits for it: the milliseconds from
// kvps_op_cancel to completion; *status receives how it ended. Frees op.
double cancel_after(kvps_op *op, int delay_ms, kvps_status *status) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    auto t0 = Clock::now();
    kvps_op_cancel(op);
    kvps_op_wait(op, -1);
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    *status = kvps_op_status(op);
    kvps_op_free(op);
    return ms;
}

// Milliseconds from kvps_op_cancel to completion, for a large GET cancelled 20 ms in (-1 when
// it was not cancelled).
double s3_cancel_ms(kvps_store *s) {
    kvps_op *op;
    check(kvps_get_async(s, "bench/big", nullptr, &op), "kvps_get_async");
    kvps_status st;
    double ms = cancel_after(op, 20, &st);
    return st == KVPS_CANCELLED ? ms : -1;
}

double s3_put_one_at_a_time(kvps_store *s, int n, bool async) {
    std::string value(100, 'p');
    auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
        std::string k = "bench/put/" + std::to_string(i % 100);
        if (!async) {
            check(kvps_put(s, k.c_str(), value.data(), value.size()), "kvps_put");
            continue;
        }
        kvps_op *op;
        check(kvps_put_async(s, k.c_str(), value.data(), value.size(), nullptr, &op),
              "kvps_put_async");
        kvps_op_wait(op, -1);
        check(kvps_op_status(op), "kvps_put_async");
        kvps_op_free(op);
    }
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Milliseconds from kvps_op_cancel to completion for a 48 MiB single PUT (part_size is larger)
// cancelled `delay_ms` in; *status receives how it ended.
double s3_put_cancel_ms(kvps_store *s, const std::string &value, int delay_ms,
                        kvps_status *status) {
    kvps_op *op;
    check(kvps_put_async(s, "bench/put-big", value.data(), value.size(), nullptr, &op),
          "kvps_put_async");
    return cancel_after(op, delay_ms, status);
}

// Milliseconds from kvps_op_cancel to completion for a 96 MiB write through a writer, in
// 5 MiB parts sent one at a time (store `s` has part_size=5MiB, concurrency=1), cancelled
// `delay_ms` in, while a part is on the wire; *status receives how it ended. The cancelled
// write aborts its multipart upload before it completes.
double s3_multipart_cancel_ms(kvps_store *s, const std::string &value, int delay_ms,
                              kvps_status *status) {
    kvps_writer *w;
    check(kvps_writer_open(s, "bench/put-parts", &w), "kvps_writer_open");
    kvps_op *op;
    check(kvps_writer_write_async(w, value.data(), value.size(), nullptr, &op),
          "kvps_writer_write_async");
    double ms = cancel_after(op, delay_ms, status);
    kvps_writer_abort(w);
    return ms;
}

void bench_s3(const std::string &base, int rounds) {
    size_t at = base.find("endpoint=");
    if (at != std::string::npos) {
        size_t colon = base.find(':', base.find("://", at) + 3);
        if (colon != std::string::npos) g_port = std::atoi(base.c_str() + colon + 1);
    }
    constexpr unsigned kMax = 16;
    std::string url = base + (base.find('?') == std::string::npos ? "?" : "&") +
                      "max_connections=" + std::to_string(kMax) + "&part_size=64MiB";
    kvps_store *s;
    check(kvps_open(url.c_str(), &s), "kvps_open");
    std::string value(100, 'v');
    for (int i = 0; i < kKeys; ++i)
        check(kvps_put(s, key(i).c_str(), value.data(), value.size()), "kvps_put");
    std::string big(64u << 20, 'b');
    check(kvps_put(s, "bench/big", big.data(), big.size()), "kvps_put big");
    constexpr int kOne = 500;
    double b1 = 1e9, a1 = 1e9, bn = 1e9, an = 1e9, cancel_worst = 0, bp = 1e9, ap = 1e9;
    std::string put_big(48u << 20, 'q');
    std::vector<double> put_cancel_ms, parts_cancel_ms;
    int put_cancelled = 0, put_completed = 0, parts_completed = 0;
    kvps_store *parts_store;
    check(kvps_open((base + (base.find('?') == std::string::npos ? "?" : "&") +
                     "part_size=5MiB&concurrency=1")
                        .c_str(),
                    &parts_store),
          "kvps_open");
    std::string parts_big(96u << 20, 'm');
    size_t async_threads = 0, async_connections = 0, blocking_threads = 0, blocking_connections = 0;
    for (int r = 0; r < rounds; ++r) {
        b1 = std::min(b1, blocking(s, kOne));
        a1 = std::min(a1, async_one_at_a_time(s, kOne));
        // Each of the two runs below gets a store of its own, so its connections are its own:
        // those the main store keeps alive (idle meanwhile) are counted before and taken off.
        auto on_fresh_store = [&](auto run, size_t &threads, size_t &connections) {
            kvps_store *fresh;
            check(kvps_open(url.c_str(), &fresh), "kvps_open");
            size_t before = connections_now();
            g_peak_threads = g_peak_connections = 0;
            double t = run(fresh);
            threads = std::max(threads, g_peak_threads);
            connections =
                std::max(connections, g_peak_connections - std::min(before, g_peak_connections));
            kvps_close(fresh);
            return t;
        };
        an = std::min(an, on_fresh_store([](kvps_store *f) { return s3_async_all(f, kInFlight); },
                                         async_threads, async_connections));
        bn = std::min(
            bn, on_fresh_store([](kvps_store *f) { return s3_blocking_threads(f, kInFlight, 16); },
                               blocking_threads, blocking_connections));
        cancel_worst = std::max(cancel_worst, s3_cancel_ms(s));
        bp = std::min(bp, s3_put_one_at_a_time(s, kOne, false));
        ap = std::min(ap, s3_put_one_at_a_time(s, kOne, true));
        for (int delay : {50, 100, 150}) {
            kvps_status st;
            double ms = s3_multipart_cancel_ms(parts_store, parts_big, delay, &st);
            if (st == KVPS_CANCELLED)
                parts_cancel_ms.push_back(ms);
            else
                ++parts_completed;
        }
        for (int delay : {5, 10, 20}) {
            kvps_status st;
            double ms = s3_put_cancel_ms(s, put_big, delay, &st);
            if (st == KVPS_CANCELLED) {
                ++put_cancelled;
                put_cancel_ms.push_back(ms);
            } else {
                ++put_completed;
            }
        }
    }
    std::printf(
        "\n| s3:// (MinIO on 127.0.0.1), 100-byte values, max_connections=%u | blocking | "
        "async | async / blocking |\n|---|---|---|---|\n",
        kMax);
    std::printf("| one GET at a time (latency) | %.1f us | %.1f us | %.2f |\n", b1 / kOne * 1e6,
                a1 / kOne * 1e6, a1 / b1);
    std::printf(
        "| %d GETs (ops/s): blocking on 16 threads vs all in flight from one thread | %.0f "
        "| %.0f | %.2f |\n",
        kInFlight, kInFlight / bn, kInFlight / an, bn / an);
    std::printf("| one PUT at a time (latency) | %.1f us | %.1f us | %.2f |\n", bp / kOne * 1e6,
                ap / kOne * 1e6, ap / bp);
    std::printf("| peak threads in the process | %zu | %zu | |\n", blocking_threads, async_threads);
    std::printf("| peak connections to the server (the run's own store) | %zu | %zu | |\n",
                blocking_connections, async_connections);
    std::printf(
        "\na 64 MiB GET cancelled 20 ms in: completed KVPS_CANCELLED at worst %.1f ms "
        "after kvps_op_cancel (-1: it was not cancelled)\n",
        cancel_worst);
    std::sort(put_cancel_ms.begin(), put_cancel_ms.end());
    std::printf(
        "a 48 MiB single PUT cancelled 5, 10 or 20 ms in (%d tries): %d completed "
        "KVPS_CANCELLED (old value kept), %d had sent their whole body and completed OK; "
        "kvps_op_cancel to completion: median %.1f ms, worst %.1f ms\n",
        put_cancelled + put_completed, put_cancelled, put_completed,
        put_cancel_ms.empty() ? -1.0 : put_cancel_ms[put_cancel_ms.size() / 2],
        put_cancel_ms.empty() ? -1.0 : put_cancel_ms.back());
    std::sort(parts_cancel_ms.begin(), parts_cancel_ms.end());
    std::printf(
        "a 96 MiB multipart write (5 MiB parts, one at a time) cancelled 50, 100 or 150 ms in "
        "(%zu tries): %zu completed KVPS_CANCELLED (upload aborted, old value kept), %d had "
        "finished; kvps_op_cancel to completion: median %.1f ms, worst %.1f ms\n",
        parts_cancel_ms.size() + static_cast<size_t>(parts_completed), parts_cancel_ms.size(),
        parts_completed,
        parts_cancel_ms.empty() ? -1.0 : parts_cancel_ms[parts_cancel_ms.size() / 2],
        parts_cancel_ms.empty() ? -1.0 : parts_cancel_ms.back());
    kvps_close(parts_store);
    for (int i = 0; i < kKeys; ++i) kvps_delete(s, key(i).c_str());
    for (int i = 0; i < 100; ++i) kvps_delete(s, ("bench/put/" + std::to_string(i)).c_str());
    kvps_delete(s, "bench/big");
    kvps_delete(s, "bench/put-big");
    kvps_close(s);
}

}  // namespace

int main(int argc, char **argv) {
    int rounds = argc > 1 ? std::atoi(argv[1]) : 5;
    kvps_store *s;
    check(kvps_open("memory://bench-async", &s), "kvps_open");
    std::string value(100, 'v');
    for (int i = 0; i < kKeys; ++i)
        check(kvps_put(s, key(i).c_str(), value.data(), value.size()), "kvps_put");
    double b1 = 1e9, a1 = 1e9, bn = 1e9, an = 1e9;
    for (int r = 0; r < rounds; ++r) {
        b1 = std::min(b1, blocking(s, kSingle));
        a1 = std::min(a1, async_one_at_a_time(s, kSingle));
        bn = std::min(bn, blocking(s, kInFlight));
        an = std::min(an, async_all_in_flight(s, kInFlight));
    }
    std::printf(
        "| memory://, 100-byte values | blocking | async | async / blocking "
        "|\n|---|---|---|---|\n");
    std::printf("| one get at a time (round trip) | %.2f us | %.2f us | %.2f |\n",
                b1 / kSingle * 1e6, a1 / kSingle * 1e6, a1 / b1);
    std::printf(
        "| %d gets, one caller thread (ops/s) | %.0f | %.0f (all in flight, one queue) | %.2f |\n",
        kInFlight, kInFlight / bn, kInFlight / an, (kInFlight / an) / (kInFlight / bn));
    std::printf(
        "\npeak threads in the process (the caller included) with %d ops in flight: %zu (the "
        "pool: at most 16, plus a timer thread once a deadline is used)\n",
        kInFlight, g_peak_threads);
    kvps_close(s);
    const char *s3 = argc > 2 ? argv[2] : std::getenv("KVPS_BENCH_S3_URL");
    if (s3 && *s3) bench_s3(s3, rounds);
    return 0;
}
