// The library-owned threads behind the asynchronous API: a bounded pool of workers that runs
// jobs in order, and one timer thread for deadlines. Core only.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

namespace kvps::async {

// The most worker threads the pool starts (they start on demand and then stay).
inline constexpr unsigned kMaxWorkers = 16;

// Runs job on a worker thread, soon. Never blocks; jobs must not throw.
void submit(std::function<void()> job);

// Which asynchronous operation a thread is running: its cancellation flag, read by
// kvps::cancel_requested() (spi/cancel.hpp). Set by the worker around each operation.
class CancelScope {
public:
    explicit CancelScope(const std::atomic<int> *flag) noexcept;
    ~CancelScope();
    CancelScope(const CancelScope &) = delete;
    CancelScope &operator=(const CancelScope &) = delete;
};

// Deadlines: fire() runs on the timer thread at `when` unless the returned id is disarmed first
// (disarm destroys it; a fire() already started runs on, so what it uses it must own).
using TimerId = unsigned long long;
TimerId arm(std::chrono::steady_clock::time_point when, std::function<void()> fire);
void disarm(TimerId id) noexcept;

}  // namespace kvps::async
