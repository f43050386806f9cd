// Retrying, for every backend that retries: which requests may be repeated, what an error answer
// stands for, and the pauses between attempts: exponential backoff with full jitter (a uniform
// pause in [0, min(cap, base * 2^attempt))), so clients that failed together do not retry
// together.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>

#include "kvps.h"

namespace kvps::net {

// Which failures a request may be repeated after.
enum class Retry {
    Always,         // idempotent: repeated after any retryable answer or transport failure
    ServerAnswers,  // repeated only when the server answered that it did not do it (5xx...)
};

// What an error answer stands for (each backend's one table from its service's error codes):
// the status, and whether the same request may succeed later.
struct ErrorClass {
    kvps_status status;
    bool retryable;
};

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
