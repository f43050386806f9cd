#include "output.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <unistd.h>

#include "errors.hpp"
#include "kvps.h"

namespace cli {
namespace {

std::mutex stderr_lock;
bool status_shown = false;  // guarded by stderr_lock

void write_stderr(std::string_view text) {
    (void)write_all(STDERR_FILENO, text.data(), text.size());
}

void erase_status_locked() {
    if (status_shown) write_stderr("\r\x1b[K");
    status_shown = false;
}

const char *level_name(kvps_log_level level) {
    switch (level) {
    case KVPS_LOG_ERROR: return "error";
    case KVPS_LOG_WARN: return "warning";
    case KVPS_LOG_INFO: return "info";
    default: return "debug";
    }
}

void log_to_stderr(void *, kvps_log_level level, const char *line) {
    print_line(std::string(level_name(level)) + ": " + line);
}

}  // namespace

void print_line(std::string_view line) {
    std::string text(line);
    text += '\n';
    std::lock_guard guard(stderr_lock);
    erase_status_locked();
    write_stderr(text);
}

void draw_status(std::string_view status) {
    std::string text = "\r";
    text += status;
    text += "\x1b[K";
    std::lock_guard guard(stderr_lock);
    write_stderr(text);
    status_shown = true;
}

void end_status(bool keep) {
    std::lock_guard guard(stderr_lock);
    if (keep && status_shown)
        write_stderr("\n");
    else
        erase_status_locked();
    status_shown = false;
}

void enable_debug_log() { kvps_set_logger(log_to_stderr, nullptr, KVPS_LOG_DEBUG); }

void disable_log() { kvps_set_logger(nullptr, nullptr, KVPS_LOG_ERROR); }

bool write_all(int fd, const void *data, size_t size) {
    auto *p = static_cast<const char *>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

void write_stdout(std::string_view text) {
    if (!write_all(STDOUT_FILENO, text.data(), text.size()))
        throw Failure{EXIT_STORAGE,
                      std::string("cannot write to standard output: ") + std::strerror(errno)};
}

std::string format_time(int64_t ns_since_epoch, bool fraction) {
    if (ns_since_epoch == 0) return "-";
    int64_t seconds = ns_since_epoch / 1000000000;
    int64_t nanos = ns_since_epoch % 1000000000;
    if (nanos < 0) {
        seconds -= 1;
        nanos += 1000000000;
    }
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[64];
    size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out(text, n);
    if (fraction && nanos != 0) {
        std::snprintf(text, sizeof text, ".%09lld", static_cast<long long>(nanos));
        out += text;
    }
    return out + "Z";
}

std::string format_bytes(double bytes) {
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    size_t unit = 0;
    while (bytes >= 1024 && unit + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    if (unit == 0)
        std::snprintf(text, sizeof text, "%.0f B", bytes);
    else
        std::snprintf(text, sizeof text, "%.1f %s", bytes, units[unit]);
    return text;
}

}  // namespace cli
