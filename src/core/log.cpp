#include "spi/log.hpp"

#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <string>

namespace kvps {
namespace {

struct Logger {
    std::shared_mutex mutex;
    kvps_log_fn fn = nullptr;
    void *user = nullptr;
    std::atomic<int> max_level{-1};  // -1: off
};

Logger &logger() {
    static Logger instance;
    return instance;
}

}  // namespace

bool log_enabled(kvps_log_level level) noexcept {
    return static_cast<int>(level) <= logger().max_level.load(std::memory_order_relaxed);
}

void log(kvps_log_level level, std::string_view line) noexcept {
    if (!log_enabled(level)) return;
    try {
        std::string text(line);
        Logger &l = logger();
        std::shared_lock lock(l.mutex);
        if (l.fn && static_cast<int>(level) <= l.max_level.load())
            l.fn(l.user, level, text.c_str());
    } catch (...) {
        // Logging must never fail an operation.
    }
}

}  // namespace kvps

extern "C" KVPS_API void kvps_set_logger(kvps_log_fn fn, void *user, kvps_log_level max_level) {
    kvps::Logger &l = kvps::logger();
    std::unique_lock lock(l.mutex);
    l.fn = fn;
    l.user = user;
    l.max_level = fn ? static_cast<int>(max_level) : -1;
}
