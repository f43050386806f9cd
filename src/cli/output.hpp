// Standard error is shared by messages, library log lines and the progress bar: everything
// that writes there goes through these functions, which hold one lock, so a line never lands in
// the middle of the bar.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cli {

// Writes one line to standard error, erasing the progress bar first if it is shown.
void print_line(std::string_view line);

// Draws the progress bar over the current terminal line (no newline).
void draw_status(std::string_view status);

// Erases the progress bar if it is shown; with keep, leaves it on its own line instead.
void end_status(bool keep);

// Sends the library's log lines, down to KVPS_LOG_DEBUG, to standard error.
void enable_debug_log();
void disable_log();

// Writes all of data to a file descriptor; false on failure (errno is set).
bool write_all(int fd, const void *data, size_t size);

// Writes text to standard output; throws a storage Failure when it cannot.
void write_stdout(std::string_view text);

// "2026-11-25T14:33:10Z", or with fraction "2026-11-25T14:33:10.123456789Z" (only when the
// nanoseconds are not zero). "-" for 0, which backends use for "unknown".
std::string format_time(int64_t ns_since_epoch, bool fraction);

// "512 B", "1.5 KiB", "12.3 MiB".
std::string format_bytes(double bytes);

}  // namespace cli
