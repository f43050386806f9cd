// The asynchronous API's cost beside the blocking one, on memory:// (so only kvps's own overhead
// shows): one get at a time (kvps_get vs kvps_get_async + kvps_op_wait), and 10,000 gets issued
// from one thread through a completion queue vs the same gets in a blocking loop. Prints ratios
// (async / blocking) and the most threads the process had.
//
//     bench_async [ROUNDS]      best of ROUNDS rounds per side (default 5)
#include <dirent.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
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
    return 0;
}
