// Pauses between attempts of a retried request, for every backend that retries: exponential
// backoff with full jitter (a uniform pause in [0, min(cap, base * 2^attempt))), so clients that
// failed together do not retry together.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>

namespace kvps::net {

// The pause before the next attempt (for a caller that waits in its own way: an I/O loop).
inline std::chrono::microseconds backoff_pause(unsigned attempt, double base_ms = 100.0,
                                               double cap_ms = 5000.0) {
    thread_local std::mt19937_64 random{std::random_device{}()};
    double ceiling_ms = std::min(cap_ms, base_ms * double(uint64_t{1} << std::min(attempt, 16u)));
    std::uniform_real_distribution<double> pause(0.0, ceiling_ms);
    return std::chrono::microseconds(int64_t(pause(random) * 1000));
}

// Sleeps that pause.
inline void back_off(unsigned attempt, double base_ms = 100.0, double cap_ms = 5000.0) {
    std::this_thread::sleep_for(backoff_pause(attempt, base_ms, cap_ms));
}

}  // namespace kvps::net
