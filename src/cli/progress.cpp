#include "progress.hpp"

#include <algorithm>
#include <cstdio>
#include <sys/ioctl.h>
#include <unistd.h>

#include "output.hpp"

namespace cli {
namespace {

using namespace std::chrono_literals;
constexpr auto first_draw_after = 400ms;
constexpr auto redraw_every = 200ms;

size_t terminal_width() {
    winsize size{};
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    return 80;
}

std::string format_duration(double seconds) {
    if (seconds < 0 || seconds > 99 * 3600) return "--:--";
    auto total = static_cast<long>(seconds + 0.5);
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60,
                      total % 60);
    else
        std::snprintf(text, sizeof text, "%ld:%02ld", total / 60, total % 60);
    return text;
}

}  // namespace

Progress::Progress(bool enabled, uint64_t total_bytes, bool bytes_known, uint64_t total_keys)
    : total_bytes_(total_bytes),
      bytes_known_(bytes_known),
      total_keys_(total_keys),
      start_(std::chrono::steady_clock::now()) {
    if (enabled) drawer_ = std::thread([this] { run(); });
}

Progress::~Progress() {
    stop();
    end_status(false);
}

void Progress::finish() {
    stop();
    if (shown_) {
        draw_status(render());
        end_status(true);
    }
}

void Progress::stop() {
    {
        std::lock_guard guard(lock_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (drawer_.joinable()) drawer_.join();
}

void Progress::run() {
    std::unique_lock guard(lock_);
    if (wake_.wait_for(guard, first_draw_after, [this] { return stopping_; })) return;
    do {
        draw_status(render());
        shown_ = true;
    } while (!wake_.wait_for(guard, redraw_every, [this] { return stopping_; }));
}

std::string Progress::render() const {
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    uint64_t done = bytes_;
    uint64_t total = std::max<uint64_t>(total_bytes_, done);
    double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;

    // The numbers first; the bar goes in front when the terminal is wide enough.
    std::string text = format_bytes(static_cast<double>(done));
    if (bytes_known_) text += " / " + format_bytes(static_cast<double>(total));
    text += "  " + format_bytes(rate) + "/s";
    text += "  keys " + std::to_string(keys_.load()) + "/" + std::to_string(total_keys_);
    if (bytes_known_ && rate > 0)
        text += "  ETA " + format_duration(static_cast<double>(total - done) / rate);
    else
        text += "  ETA --:--";

    size_t width = terminal_width() - 1;  // never touch the last column: no line wrap
    if (bytes_known_) {
        double fraction = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1;
        char percent[8];
        std::snprintf(percent, sizeof percent, "%3d%% ", static_cast<int>(fraction * 100));
        text = percent + text;
        constexpr size_t bar = 20;
        if (text.size() + bar + 3 <= width) {
            auto filled = static_cast<size_t>(fraction * static_cast<double>(bar));
            text = "[" + std::string(filled, '#') + std::string(bar - filled, '.') + "] " + text;
        }
    }
    if (text.size() > width) text.resize(width);
    return text;
}

}  // namespace cli
