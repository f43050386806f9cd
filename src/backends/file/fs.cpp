#include "fs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::file {

void Fd::reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

namespace {

std::atomic<bool> g_no_openat2{false};

int openat2_beneath(int dir, const std::string &rel, int flags, mode_t mode) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    while (true) {
        long fd = ::syscall(SYS_openat2, dir, rel.c_str(), &how, sizeof how);
        if (fd >= 0) return static_cast<int>(fd);
        if (errno != EINTR && errno != EAGAIN) return -errno;
    }
}

int walk_beneath(int dir, std::string_view rel, int flags, mode_t mode) {
    Fd current;
    int at = dir;
    while (true) {
        size_t slash = rel.find('/');
        std::string seg(rel.substr(0, slash));
        if (seg.empty() || seg == "." || seg == "..") return -EINVAL;
        if (slash == std::string_view::npos) {
            int fd = ::openat(at, seg.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
            return fd >= 0 ? fd : -errno;
        }
        int fd = ::openat(at, seg.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return -errno;
        current = Fd(fd);
        at = fd;
        rel.remove_prefix(slash + 1);
    }
}

}  // namespace

int open_beneath(int dir, std::string_view rel, int flags, mode_t mode) {
    if (rel.empty()) rel = ".";
    if (!g_no_openat2.load(std::memory_order_relaxed)) {
        int fd = openat2_beneath(dir, std::string(rel), flags, mode);
        // ENOSYS: an old kernel; EPERM: a seccomp filter that does not know openat2.
        if (fd != -ENOSYS && fd != -EPERM) return fd;
        g_no_openat2.store(true, std::memory_order_relaxed);
    }
    if (rel == ".") {
        int fd = ::openat(dir, ".", flags | O_CLOEXEC, mode);
        return fd >= 0 ? fd : -errno;
    }
    return walk_beneath(dir, rel, flags, mode);
}

int open_dirs(int root, const std::vector<std::string> &dirs, bool create, bool sync) {
    std::string rel;
    for (const std::string &d : dirs) rel = rel.empty() ? d : rel + "/" + d;
    int fd = open_beneath(root, rel, O_RDONLY | O_DIRECTORY);
    if (fd >= 0 || fd != -ENOENT || !create) return fd;
    // Make the missing directories one by one, never following a link.
    Fd current(::fcntl(root, F_DUPFD_CLOEXEC, 0));
    if (!current) return -errno;
    for (const std::string &d : dirs) {
        bool made = ::mkdirat(current.get(), d.c_str(), 0777) == 0;
        if (!made && errno != EEXIST) return -errno;
        if (made && sync && ::fsync(current.get()) != 0) return -errno;
        int next =
            ::openat(current.get(), d.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) return -errno;
        current = Fd(next);
    }
    return current.release();
}

DIR *open_dir_stream(int fd) {
    int own = ::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (own < 0) return nullptr;
    DIR *dir = ::fdopendir(own);
    if (!dir) {
        int err = errno;
        ::close(own);
        errno = err;
    }
    return dir;
}

int write_all(int fd, const void *data, size_t size) {
    const char *p = static_cast<const char *>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return EIO;
        p += n;
        size -= static_cast<size_t>(n);
    }
    return 0;
}

std::string random_hex(size_t bytes) {
    unsigned char buf[32];
    if (bytes > sizeof buf) bytes = sizeof buf;
    size_t got = 0;
    while (got < bytes) {
        ssize_t n = ::getrandom(buf + got, bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_errno(errno, "getrandom");
        }
        got += static_cast<size_t>(n);
    }
    return to_hex(std::string_view(reinterpret_cast<const char *>(buf), bytes));
}

std::string join_path(std::string_view a, std::string_view b) {
    if (b.empty() || b == ".") return std::string(a);
    if (a.empty()) return std::string(b);
    std::string out(a);
    if (out.back() != '/') out += '/';
    out += b;
    return out;
}

void fail_path(int err, std::string_view what, std::string_view path) {
    std::string where = std::string(what) + " '" + std::string(path) + "'";
    if (err == ELOOP || err == EXDEV)
        fail(KVPS_PERMISSION_DENIED,
             where + ": a symbolic link is on the way; the file backend never follows one");
    fail_errno(err, where);
}

}  // namespace kvps::file
