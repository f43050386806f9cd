// Small POSIX helpers: an owning file descriptor, symlink-proof opening below the store
// folder, and errors that name the path.
#pragma once

#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvps::file {

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Fd &operator=(Fd &&o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    ~Fd() { reset(); }
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset();
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_ = -1;
};

// Opens rel (a relative path of plain names) below the directory dir without ever following
// a symbolic link or leaving dir: openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) where the
// kernel has it, else a walk with O_NOFOLLOW per segment. Returns the fd or -errno (ELOOP for
// a symbolic link on the way).
int open_beneath(int dir, std::string_view rel, int flags, mode_t mode = 0);

// Opens (and with create, makes) the directories `dirs` below root. With sync, every directory
// made is made durable by fsyncing its parent. Returns the fd or -errno.
int open_dirs(int root, const std::vector<std::string> &dirs, bool create, bool sync);

// A directory stream over the directory open as fd, with its own read position (so threads
// sharing fd do not disturb each other); nullptr with errno set on failure.
DIR *open_dir_stream(int fd);

// Writes all of data; returns 0 or an errno value.
int write_all(int fd, const void *data, size_t size);

// Random bytes as hex (temporary names, listing sessions).
std::string random_hex(size_t bytes);

// Throws the status errno maps to, with "what 'path': strerror". A symbolic link on the way
// (ELOOP, EXDEV) is KVPS_PERMISSION_DENIED: the backend never follows one.
[[noreturn]] void fail_path(int err, std::string_view what, std::string_view path);

std::string join_path(std::string_view a, std::string_view b);

}  // namespace kvps::file
