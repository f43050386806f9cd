// A progress bar on standard error: bytes, rate, keys done/total and ETA, redrawn a few times a
// second by its own thread. It shows only when enabled (stderr is a terminal and no -q) and once
// the work has lasted longer than a short delay, so quick commands print nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace cli {

class Progress {
public:
    // total_bytes 0 with bytes_known false: the size is not known (a pipe).
    Progress(bool enabled, uint64_t total_bytes, bool bytes_known, uint64_t total_keys);
    ~Progress();  // stops drawing and erases the bar
    Progress(const Progress &) = delete;
    Progress &operator=(const Progress &) = delete;

    void add_bytes(uint64_t n) { bytes_ += n; }
    void add_key() { keys_ += 1; }
    // A key that needs no transfer: counts as done and leaves the byte total.
    void skip_key(uint64_t size) {
        total_bytes_ -= size;
        keys_ += 1;
    }
    // Draws the final state and keeps it on screen (if the bar was shown at all).
    void finish();

private:
    void run();
    void stop();
    std::string render() const;

    std::atomic<uint64_t> bytes_{0};
    std::atomic<uint64_t> total_bytes_;
    std::atomic<uint64_t> keys_{0};
    const bool bytes_known_;
    const uint64_t total_keys_;
    const std::chrono::steady_clock::time_point start_;

    std::mutex lock_;
    std::condition_variable wake_;
    bool stopping_ = false;  // guarded by lock_
    bool shown_ = false;     // only touched by the drawing thread, then after join
    std::thread drawer_;
};

}  // namespace cli
