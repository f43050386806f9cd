#include "store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <map>
#include <thread>
#include <vector>

#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::file {

int64_t ns_of(const struct timespec &t) {
    return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
}

namespace {

constexpr std::string_view kMarkerTitle = "kvps file store";
constexpr int kFormatVersion = 1;

std::string marker_text(LayoutKind layout) {
    return std::string(kMarkerTitle) + "\nversion " + std::to_string(kFormatVersion) + "\nlayout " +
           std::string(layout_name(layout)) + "\n";
}

// mkdir -p, reporting the first failure as errno; 0 on success.
int make_folders(const std::string &path) {
    for (size_t i = 1; i <= path.size(); ++i) {
        if (i < path.size() && path[i] != '/') continue;
        std::string part = path.substr(0, i);
        if (::mkdir(part.c_str(), 0777) != 0 && errno != EEXIST) return errno;
    }
    return 0;
}

bool read_small(int dir, std::string_view name, std::string &out, int &err) {
    int fd =
        ::openat(dir, std::string(name).c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        err = errno;
        return false;
    }
    Fd owned(fd);
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && out.size() < 65536)
        out.append(buf, static_cast<size_t>(n));
    if (n < 0) {
        err = errno;
        return false;
    }
    return true;
}

}  // namespace

std::string etag_of(const struct stat &st) {
    // A rename installs a new inode on every write; size and both times (ns) tell apart an
    // inode number the file system reused. Hex fields joined by '-'.
    const uint64_t fields[] = {static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size),
                               static_cast<uint64_t>(ns_of(st.st_mtim)),
                               static_cast<uint64_t>(ns_of(st.st_ctim))};
    std::string out;
    out.reserve(4 * 17);
    for (uint64_t f : fields) {
        if (!out.empty()) out += '-';
        int shift = 60;
        while (shift > 0 && (f >> shift) == 0) shift -= 4;
        for (; shift >= 0; shift -= 4) out += hex_digit(static_cast<unsigned>(f >> shift));
    }
    return out;
}

std::string folder_of(const Url &url) {
    std::string culprit = "file store URL " + quote(url.scheme + "://" + url.host + url.raw_path);
    if (!url.user.empty() || url.has_password || !url.port.empty())
        fail(KVPS_INVALID_URL, culprit + ": a folder URL has no user, password or port");
    if (!url.host.empty() && url.host != "localhost") return url.host + url.path;
    if (url.path.empty() || url.path == "/")
        fail(KVPS_INVALID_URL,
             culprit + ": names no folder; use file:///absolute/path or file://./relative/path");
    return url.path;
}

Store::Store(std::string path, Settings settings)
    : path_(std::move(path)), settings_(settings), layout_(make_layout(settings.layout)) {
    while (path_.size() > 1 && path_.back() == '/') path_.pop_back();
    open_root();
    // With create=false, opening writes nothing into the folder (a plain folder read as a source
    // stays untouched): the marker and the staging folder are made by the first write.
    if (check_marker(settings_.create)) open_staging();
}

void Store::prepare_writes() const {
    std::call_once(writes_prepared_, [this] {
        auto *self = const_cast<Store *>(this);  // once, before any write; then immutable again
        self->check_marker(true);
        self->open_staging();
    });
}

void Store::open_root() {
    int fd = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && settings_.create) {
        int err = make_folders(path_);
        if (err == ENOTDIR)
            fail(KVPS_IO, "cannot create store folder '" + path_ + "': a parent of it is a file");
        if (err) fail_path(err, "cannot create store folder", path_);
        fd = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT)
            fail(KVPS_NOT_FOUND, "store folder '" + path_ + "' does not exist" +
                                     (settings_.create ? "" : " (and create=false)"));
        if (err == ENOTDIR)
            fail(KVPS_IO, "store folder '" + path_ + "' is not a folder (it is a file)");
        fail_path(err, "cannot open store folder", path_);
    }
    root_ = Fd(fd);
}

bool Store::check_marker(bool may_write) {
    std::string text;
    int err = 0;
    for (int attempt = 0; attempt < 2; ++attempt) {
        text.clear();
        if (read_small(root(), kMarkerName, text, err)) break;
        if (err != ENOENT)
            fail_path(err, "cannot read the format marker", join_path(path_, kMarkerName));
        if (settings_.layout == LayoutKind::kvpsbutter) {
            // KVPSButter's folders have no marker, and never get one: KVPSButter would read it
            // as a key. Only the staging folder is added, by the first write.
            if (!may_write) return false;
            return true;
        }
        if (settings_.layout == LayoutKind::encoded) {
            // Keys are only ever written into a folder that holds nothing else.
            DIR *dir = open_dir_stream(root());
            if (!dir) fail_path(errno, "cannot read store folder", path_);
            std::string stranger;
            while (struct dirent *e = ::readdir(dir)) {
                std::string_view name = e->d_name;
                if (name == "." || name == ".." || name.starts_with(kReservedPrefix)) continue;
                stranger = name;
                break;
            }
            ::closedir(dir);
            if (!stranger.empty())
                fail(KVPS_INVALID_ARGUMENT,
                     "folder '" + path_ + "' is not empty (it holds " + quote(stranger) +
                         ") and is not a kvps store (no " + std::string(kMarkerName) +
                         "); use an empty folder, or ?pathmapped=true to keep plain files there");
        }
        if (!may_write) return false;
        // Write the marker atomically; a concurrent opener may win the race, then we read theirs.
        std::string temp = std::string(kMarkerName) + "." + random_hex(8) + ".tmp";
        int fd = ::openat(root(), temp.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (errno == EACCES || errno == EPERM || errno == EROFS)
                return true;  // a read-only store
            fail_path(errno, "cannot create the format marker in", path_);
        }
        Fd owned(fd);
        std::string content = marker_text(settings_.layout);
        err = write_all(fd, content.data(), content.size());
        if (!err && settings_.sync && ::fsync(fd) != 0) err = errno;
        if (!err &&
            ::linkat(root(), temp.c_str(), root(), std::string(kMarkerName).c_str(), 0) != 0 &&
            errno != EEXIST)
            err = errno;
        ::unlinkat(root(), temp.c_str(), 0);
        if (err) fail_path(err, "cannot write the format marker", join_path(path_, kMarkerName));
        if (settings_.sync && ::fsync(root()) != 0)
            fail_path(errno, "cannot sync store folder", path_);
    }
    std::string where = join_path(path_, kMarkerName);
    if (!text.starts_with(std::string(kMarkerTitle) + "\n"))
        fail(KVPS_IO, "'" + where + "' is not a kvps file store format marker");
    size_t v = text.find("\nversion ");
    int version = v == std::string::npos ? 0 : std::atoi(text.c_str() + v + 9);
    if (version != kFormatVersion)
        fail(KVPS_UNSUPPORTED, "store folder '" + path_ + "' has on-disk format version " +
                                   std::to_string(version) + "; this kvps reads version " +
                                   std::to_string(kFormatVersion));
    bool pathmapped = text.find("\nlayout pathmapped\n") != std::string::npos;
    if (!pathmapped && text.find("\nlayout encoded\n") == std::string::npos)
        fail(KVPS_IO, "'" + where + "' names no known layout");
    LayoutKind found = pathmapped ? LayoutKind::pathmapped : LayoutKind::encoded;
    if (found != settings_.layout)
        fail(KVPS_INVALID_OPTION,
             "store folder '" + path_ + "' uses the " + std::string(layout_name(found)) +
                 " layout: open it with layout=" + std::string(layout_name(found)));
    // Encoded names differ in case only ("NF" and "Nf"): a file system that folds case would
    // merge two keys into one file. The marker's name in upper case finds such a file system.
    struct stat lower, upper;
    if (!pathmapped &&
        ::fstatat(root(), std::string(kMarkerName).c_str(), &lower, AT_SYMLINK_NOFOLLOW) == 0 &&
        ::fstatat(root(), ".KVPS-FORMAT", &upper, AT_SYMLINK_NOFOLLOW) == 0 &&
        lower.st_ino == upper.st_ino)
        fail(KVPS_UNSUPPORTED,
             "store folder '" + path_ +
                 "' is on a case-insensitive file system, where encoded names would collide; "
                 "use pathmapped=true or another folder");
    return true;
}

void Store::open_staging() {
    std::string name(kStagingName);
    if (::mkdirat(root(), name.c_str(), 0777) != 0 && errno != EEXIST) {
        staging_errno_ = errno;  // a read-only store: writes fail with this
        return;
    }
    int fd = ::openat(root(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) fail_path(errno, "cannot open the staging folder", join_path(path_, kStagingName));
    staging_ = Fd(fd);
    remove_stale_temps(staging_.get());
}

Fd Store::open_value(std::string_view key, const Location &loc, struct stat &st) const {
    int fd = open_beneath(root(), loc.path(), O_RDONLY | O_NONBLOCK);
    if (fd == -ENOENT || fd == -ENOTDIR) return Fd();
    if (fd < 0) fail_key(-fd, "cannot read", key, loc);
    Fd owned(fd);
    if (::fstat(fd, &st) != 0) fail_key(errno, "cannot read", key, loc);
    if (!S_ISREG(st.st_mode)) return Fd();  // a folder (pathmapped) is not a value
    return owned;
}

std::unique_ptr<TempFile> Store::new_temp() const {
    if (!settings_.create) prepare_writes();
    std::string staging_path = join_path(path_, kStagingName);
    if (!staging_) fail_path(staging_errno_, "cannot write: no staging folder", staging_path);
    return std::make_unique<TempFile>(staging_.get(), staging_path);
}

namespace {

// Takes the folder's write lock; it goes with the descriptor. Exclusive for a write that checks
// a condition (or a rename) from its check to its rename; shared for a plain write or delete,
// which needs only to keep out of such a window, not to wait for other plain writes.
void lock_folder(int fd, bool exclusive = true) {
    while (::flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0)
        if (errno != EINTR) fail_errno(errno, "cannot lock a store folder");
}

// The identity of an open folder, to take two folders' locks in one order.
std::pair<dev_t, ino_t> identity(int fd) {
    struct stat st;
    if (::fstat(fd, &st) != 0) fail_errno(errno, "cannot stat a store folder");
    return {st.st_dev, st.st_ino};
}

}  // namespace

std::optional<std::string> Store::current_etag(int dir, const Location &loc,
                                               std::string_view key) const {
    struct stat st;
    if (::fstatat(dir, loc.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        fail_key(errno, "cannot check the condition on", key, loc);
    }
    if (S_ISLNK(st.st_mode)) fail_key(ELOOP, "cannot write", key, loc);
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    return etag_of(st);
}

std::string Store::install(TempFile &temp, std::string_view key, const Location &loc,
                           const PutOptions *options) const {
    if (settings_.sync && ::fdatasync(temp.fd()) != 0) fail_key(errno, "cannot write", key, loc);
    for (int attempt = 0;; ++attempt) {
        int fd = open_dirs(root(), loc.dirs, true, settings_.sync);
        if (fd == -ENOTDIR || fd == -EEXIST)
            fail(KVPS_INVALID_KEY, "cannot write key " + quote(key) + " in '" + path_ +
                                       "': a folder on its path is a value (a file)");
        if (fd < 0) fail_key(-fd, "cannot write", key, loc);
        Fd parent(fd);
        lock_folder(fd, options && options->conditional());
        if (options && options->conditional()) {
            std::optional<std::string> etag = current_etag(fd, loc, key);
            check_condition(key, *options, etag ? &*etag : nullptr);
        }
        if (::renameat(temp.staging_fd(), temp.name().c_str(), fd, loc.leaf.c_str()) == 0) {
            struct stat st;
            int stat_err = ::fstat(temp.fd(), &st) == 0 ? 0 : errno;
            temp.renamed();
            if (settings_.sync) ::flock(fd, LOCK_UN);  // else closing parent unlocks it
            if (settings_.sync && ::fsync(fd) != 0)
                fail_key(errno, "cannot sync the folder of", key, loc);
            if (stat_err) fail_key(stat_err, "cannot stat", key, loc);
            return etag_of(st);
        }
        int err = errno;
        if (err == ENOENT && attempt < 8)
            continue;  // a delete removed the emptied folder meanwhile
        if (err == EISDIR || err == ENOTEMPTY || err == EEXIST)
            fail(KVPS_INVALID_KEY,
                 "cannot write key " + quote(key) + ": '" + where(loc) + "' is a folder");
        fail_key(err, "cannot write", key, loc);
    }
}

void Store::remove(std::string_view key, const Location &loc) const {
    int fd = open_dirs(root(), loc.dirs, false, false);
    if (fd == -ENOENT || fd == -ENOTDIR) return;
    if (fd < 0) fail_key(-fd, "cannot delete", key, loc);
    Fd parent(fd);
    lock_folder(fd, false);
    if (::unlinkat(fd, loc.leaf.c_str(), 0) != 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return;
        fail_key(errno, "cannot delete", key, loc);
    }
    if (settings_.sync) {
        ::flock(fd, LOCK_UN);  // the folder's fsync needs no lock
        if (::fsync(fd) != 0) fail_key(errno, "cannot sync the folder of", key, loc);
    }
    parent.reset();  // closing it unlocks it
    remove_empty_dirs(loc.dirs);
}

namespace {

// Folders whose removals a batch syncs at once, and the threads that sync them: a file system
// commits concurrent fsyncs together (ext4 and XFS make one journal commit of those waiting), so
// a batch costs a few commits rather than one per folder (the encoded layout spreads keys over
// up to 4,096 folders).
constexpr size_t kFoldersAtOnce = 64;
constexpr size_t kSyncThreads = 8;

// fsyncs every descriptor, side by side on up to kSyncThreads threads (the caller's among
// them); errs[i] receives fds[i]'s errno (0 when it succeeded).
void sync_all(const std::vector<int> &fds, std::vector<int> &errs) {
    errs.assign(fds.size(), 0);
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t i; (i = next.fetch_add(1)) < fds.size();)
            if (::fsync(fds[i]) != 0) errs[i] = errno;
    };
    std::vector<std::thread> helpers;
    for (size_t t = 1; t < std::min(kSyncThreads, fds.size()); ++t) {
        try {
            helpers.emplace_back(work);
        } catch (...) {
            break;  // no thread to be had: the others, or the caller, do its share
        }
    }
    work();
    for (std::thread &t : helpers) t.join();
}

}  // namespace

void Store::remove_many(std::span<DeleteItem> items) const {
    struct Removal {
        DeleteItem *item;
        Location loc;
    };
    std::map<std::string, std::vector<Removal>> by_folder;
    for (DeleteItem &item : items) {
        try {
            Location loc = layout_->locate(item.key);
            std::string parent = loc.parent();
            by_folder[std::move(parent)].push_back(Removal{&item, std::move(loc)});
        } catch (...) {
            item.status = record_failure(item.error);
        }
    }
    auto failed = [this](Removal &r, int err, std::string_view what) {
        try {
            fail_key(err, what, r.item->key, r.loc);
        } catch (...) {
            r.item->status = record_failure(r.item->error);
        }
    };
    // The folders with removals, up to kFoldersAtOnce: synced together, then closed and pruned.
    struct Done {
        const std::vector<std::string> *dirs;
        Fd fd;
        std::vector<Removal *> removed;
    };
    std::vector<Done> done;
    auto finish = [&] {
        if (settings_.sync) {
            std::vector<int> fds, errs;
            for (Done &d : done) fds.push_back(d.fd.get());
            sync_all(fds, errs);
            for (size_t i = 0; i < done.size(); ++i)
                if (errs[i])
                    for (Removal *r : done[i].removed)
                        failed(*r, errs[i], "cannot sync the folder of");
        }
        for (Done &d : done) {
            d.fd.reset();
            remove_empty_dirs(*d.dirs);
        }
        done.clear();
    };
    for (auto &[parent, group] : by_folder) {
        const std::vector<std::string> &dirs = group.front().loc.dirs;
        int fd = open_dirs(root(), dirs, false, false);
        if (fd == -ENOENT || fd == -ENOTDIR) {  // no folder: none of them exists
            for (Removal &r : group) r.item->status = KVPS_OK;
            continue;
        }
        if (fd < 0) {
            for (Removal &r : group) failed(r, -fd, "cannot delete");
            continue;
        }
        Fd folder(fd);
        try {
            lock_folder(fd, false);
        } catch (...) {  // its failure, for each key of the folder
            for (Removal &r : group) r.item->status = record_failure(r.item->error);
            continue;
        }
        std::vector<Removal *> removed;
        for (Removal &r : group) {
            r.item->status = KVPS_OK;
            if (::unlinkat(fd, r.loc.leaf.c_str(), 0) == 0)
                removed.push_back(&r);
            else if (errno != ENOENT && errno != ENOTDIR && errno != EISDIR)
                failed(r, errno, "cannot delete");
        }
        if (removed.empty()) continue;
        ::flock(fd, LOCK_UN);  // the folder's fsync needs no lock
        done.push_back(Done{&dirs, std::move(folder), std::move(removed)});
        if (done.size() == kFoldersAtOnce) finish();
    }
    finish();
}

// Removes the folders a removal emptied (not the fan-out level of the encoded layout).
void Store::remove_empty_dirs(std::vector<std::string> dirs) const {
    size_t keep = layout_->pathmapped() ? 0 : 1;
    while (dirs.size() > keep) {
        std::string last = dirs.back();
        dirs.pop_back();
        Fd up(open_dirs(root(), dirs, false, false));
        if (!up || ::unlinkat(up.get(), last.c_str(), AT_REMOVEDIR) != 0) break;
        if (settings_.sync) ::fsync(up.get());
    }
}

std::string Store::move(std::string_view from, const Location &from_loc, std::string_view to,
                        const Location &to_loc, const PutOptions &options) const {
    for (int attempt = 0;; ++attempt) {
        int sfd = open_dirs(root(), from_loc.dirs, false, false);
        if (sfd == -ENOENT || sfd == -ENOTDIR)
            fail(KVPS_NOT_FOUND, "cannot rename key " + quote(from) + ": it does not exist");
        if (sfd < 0) fail_key(-sfd, "cannot rename", from, from_loc);
        Fd source(sfd);
        int dfd = open_dirs(root(), to_loc.dirs, true, settings_.sync);
        if (dfd == -ENOTDIR || dfd == -EEXIST)
            fail(KVPS_INVALID_KEY, "cannot write key " + quote(to) + " in '" + path_ +
                                       "': a folder on its path is a value (a file)");
        if (dfd < 0) fail_key(-dfd, "cannot write", to, to_loc);
        Fd target(dfd);
        // Two folders' locks, always in the order of their identities: no deadlock.
        auto sid = identity(sfd), did = identity(dfd);
        if (sid == did) {
            lock_folder(sfd);
        } else {
            lock_folder(sid < did ? sfd : dfd);
            lock_folder(sid < did ? dfd : sfd);
        }
        if (!current_etag(sfd, from_loc, from))
            fail(KVPS_NOT_FOUND, "cannot rename key " + quote(from) + ": it does not exist");
        std::optional<std::string> etag = current_etag(dfd, to_loc, to);
        check_condition(to, options, etag ? &*etag : nullptr);
        if (::renameat(sfd, from_loc.leaf.c_str(), dfd, to_loc.leaf.c_str()) == 0) {
            std::optional<std::string> made = current_etag(dfd, to_loc, to);
            ::flock(sfd, LOCK_UN);
            ::flock(dfd, LOCK_UN);
            if (settings_.sync && (::fsync(dfd) != 0 || (sid != did && ::fsync(sfd) != 0)))
                fail_key(errno, "cannot sync the folder of", to, to_loc);
            remove_empty_dirs(from_loc.dirs);
            return made.value_or("");
        }
        int err = errno;
        if (err == ENOENT && attempt < 8) continue;  // a delete removed an emptied folder meanwhile
        if (err == EISDIR || err == ENOTEMPTY || err == EEXIST)
            fail(KVPS_INVALID_KEY,
                 "cannot write key " + quote(to) + ": '" + where(to_loc) + "' is a folder");
        fail_key(err, "cannot rename", from, from_loc);
    }
}

void Store::fail_key(int err, std::string_view what, std::string_view key,
                     const Location &loc) const {
    fail_path(err, std::string(what) + " key " + quote(key) + " at", where(loc));
}

}  // namespace kvps::file
