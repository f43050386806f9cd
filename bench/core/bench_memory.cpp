// kvps memory:// against a plain mutex-guarded std::unordered_map in the same binary and run:
// 1 KiB put and get per operation on 1 and 2 threads, and 1 MiB get throughput against memcpy.
//
//   bench_memory [seconds-per-case]     (default 1)
//
// Prints a Markdown table of ratios (kvps time / peer time; lower is better). Each case runs
// kvps and its peer alternately in 5 rounds and keeps each side's best round, so a burst of
// load from another process on a shared machine skews neither side.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "kvps.h"

namespace {

using Clock = std::chrono::steady_clock;
double g_seconds = 1.0;
constexpr int kRounds = 5;
constexpr int kKeys = 1000;

std::string key_of(int i) { return "bench/key-" + std::to_string(i); }

// Runs body(thread, iteration) on `threads` threads for about g_seconds; returns ns per op.
template <typename Body>
double per_op_ns_once(int threads, Body body) {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> ops{0};
    std::vector<std::thread> pool;
    auto start = Clock::now();
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
            uint64_t n = 0;
            while (!stop.load(std::memory_order_relaxed)) {
                for (int i = 0; i < 64; ++i) body(t, n++);
            }
            ops += n;
        });
    std::this_thread::sleep_for(std::chrono::duration<double>(g_seconds / kRounds));
    stop = true;
    for (auto &th : pool) th.join();
    double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    return ns * threads / static_cast<double>(ops.load());
}

// Best of kRounds alternating rounds of a and b: {a ns/op, b ns/op}.
template <typename A, typename B>
std::pair<double, double> compare(int threads, A a, B b) {
    double best_a = 1e300, best_b = 1e300;
    for (int r = 0; r < kRounds; ++r) {
        best_a = std::min(best_a, per_op_ns_once(threads, a));
        best_b = std::min(best_b, per_op_ns_once(threads, b));
    }
    return {best_a, best_b};
}

struct MapPeer {
    std::mutex mutex;
    std::unordered_map<std::string, std::string> map;
};

}  // namespace

int main(int argc, char **argv) {
    if (argc > 1) g_seconds = std::atof(argv[1]);
    kvps_store *store = nullptr;
    if (kvps_open("memory://", &store) != KVPS_OK) {
        std::fprintf(stderr, "open: %s\n", kvps_last_error());
        return 1;
    }
    std::vector<std::string> keys;
    for (int i = 0; i < kKeys; ++i) keys.push_back(key_of(i));
    std::string value(1024, 'v');
    MapPeer peer;
    for (const auto &k : keys) {
        kvps_put(store, k.c_str(), value.data(), value.size());
        peer.map[k] = value;
    }

    std::printf(
        "| case | kvps ns/op | std::unordered_map+mutex ns/op | ratio |\n|---|---|---|---|\n");
    for (int threads : {1, 2}) {
        auto [kp, mp] = compare(
            threads,
            [&](int, uint64_t n) {
                const std::string &k = keys[n % kKeys];
                kvps_put(store, k.c_str(), value.data(), value.size());
            },
            [&](int, uint64_t n) {
                const std::string &k = keys[n % kKeys];
                std::string copy(value);  // a store keeps its own copy, as kvps does
                std::lock_guard lock(peer.mutex);
                peer.map[k] = std::move(copy);
            });
        std::printf("| 1 KiB put, %d thread%s | %.0f | %.0f | %.2fx |\n", threads,
                    threads > 1 ? "s" : "", kp, mp, kp / mp);
        auto [kg, mg] = compare(
            threads,
            [&](int, uint64_t n) {
                void *d = nullptr;
                size_t size = 0;
                kvps_get(store, keys[n % kKeys].c_str(), &d, &size);
                kvps_free(d);
            },
            [&](int, uint64_t n) {
                std::string copy;  // a get hands the caller its own copy, as kvps does
                {
                    std::lock_guard lock(peer.mutex);
                    copy = peer.map.find(keys[n % kKeys])->second;
                }
                asm volatile("" : : "r"(copy.data()) : "memory");
            });
        std::printf("| 1 KiB get, %d thread%s | %.0f | %.0f | %.2fx |\n", threads,
                    threads > 1 ? "s" : "", kg, mg, kg / mg);
    }

    // 1 MiB gets against a plain memcpy of 1 MiB into a fresh buffer.
    std::string big(1 << 20, 'b');
    kvps_put(store, "bench/1mib", big.data(), big.size());
    auto [kb, mb] = compare(
        1,
        [&](int, uint64_t) {
            void *d = nullptr;
            size_t size = 0;
            kvps_get(store, "bench/1mib", &d, &size);
            kvps_free(d);
        },
        [&](int, uint64_t) {
            void *d = std::malloc(big.size() + 1);
            std::memcpy(d, big.data(), big.size());
            asm volatile("" : : "r"(d) : "memory");
            std::free(d);
        });
    std::printf("| 1 MiB get (GiB/s: kvps %.2f, malloc+memcpy %.2f) | %.0f | %.0f | %.2fx |\n",
                (1 << 20) / kb, (1 << 20) / mb, kb, mb, kb / mb);
    kvps_close(store);
    return 0;
}
