#include "staging.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "spi/error.hpp"

namespace kvps::file {

namespace {

// True when name (in dir) is still the file open as fd.
bool names_this_file(int dir, const std::string &name, int fd) {
    struct stat by_name, by_fd;
    if (::fstatat(dir, name.c_str(), &by_name, AT_SYMLINK_NOFOLLOW) != 0) return false;
    if (::fstat(fd, &by_fd) != 0) return false;
    return by_name.st_ino == by_fd.st_ino && by_name.st_dev == by_fd.st_dev;
}

// True when the file open as fd still has its name: a temporary file has one link, its name in
// the staging folder, until a cleaner removes it (nothing else links or renames it).
bool still_named(int fd) {
    struct stat st;
    return ::fstat(fd, &st) == 0 && st.st_nlink > 0;
}

// A new temporary file name: 24 hex digits, this thread's random 16 (one getrandom per
// thread) then its counter. O_EXCL makes a clash harmless (the next name is tried).
std::string temp_name() {
    thread_local std::string prefix = random_hex(8);
    thread_local uint32_t counter = 0;
    char tail[16];
    std::snprintf(tail, sizeof tail, "%08x.tmp", counter++);
    return prefix + tail;
}

}  // namespace

TempFile::TempFile(int staging_fd, const std::string &staging_path)
    : staging_fd_(staging_fd), staging_path_(staging_path) {
    while (true) {
        std::string name = temp_name();
        int fd = ::openat(staging_fd, name.c_str(),
                          O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (errno == EEXIST || errno == EINTR) continue;
            fail_path(errno, "cannot create a temporary file in", staging_path);
        }
        Fd owned(fd);
        // A cleaner in another process may have caught the file between create and lock:
        // then its name is gone, and we start over.
        while (::flock(fd, LOCK_EX) != 0) {
            if (errno != EINTR)
                fail_path(errno, "cannot lock temporary file", join_path(staging_path, name));
        }
        if (!still_named(fd)) continue;
        name_ = std::move(name);
        fd_ = std::move(owned);
        return;
    }
}

void TempFile::discard() noexcept {
    if (!name_.empty()) ::unlinkat(staging_fd_, name_.c_str(), 0);
    name_.clear();
    fd_.reset();
}

void remove_stale_temps(int staging_fd) noexcept {
    DIR *dir = open_dir_stream(staging_fd);
    if (!dir) return;
    while (struct dirent *e = ::readdir(dir)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        int fd = ::openat(staging_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) continue;
        Fd owned(fd);
        struct stat st;
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        // A free lock means the writer is gone: it holds the lock until the file is renamed.
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) continue;
        if (names_this_file(staging_fd, name, fd)) ::unlinkat(staging_fd, name.c_str(), 0);
    }
    ::closedir(dir);
}

}  // namespace kvps::file
