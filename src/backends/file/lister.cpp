#include "lister.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>

#include "codec.hpp"
#include "spi/error.hpp"
#include "store.hpp"

namespace kvps::file {

namespace {

constexpr size_t kSnapshotMinNodes = 128;       // smaller directories are cheap to re-read
constexpr size_t kSnapshotMaxNodes = 1u << 20;  // all sessions together
constexpr auto kSnapshotLifetime = std::chrono::minutes(10);

// A cursor token is "<session>:<ob64 of the last key returned>".
struct Token {
    uint64_t session = 0;
    std::optional<std::string> after;
};

Token parse_token(std::string_view token) {
    Token t;
    size_t colon = token.find(':');
    if (colon == 16 && colon + 1 < token.size()) {
        std::string hex(token.substr(0, 16));
        char *end = nullptr;
        t.session = std::strtoull(hex.c_str(), &end, 16);
        t.after = ob64_decode(token.substr(17));
        if (end == hex.c_str() + 16 && t.after && !t.after->empty()) return t;
    }
    fail(KVPS_INVALID_ARGUMENT, "invalid list cursor: not one of this file store's");
}

std::string make_token(uint64_t session, std::string_view after) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(session));
    return std::string(hex) + ":" + ob64_encode(after);
}

Lister::Nodes read_nodes(const Layout &layout, int fd, size_t depth, const std::string &path) {
    Lister::Nodes nodes;
    DIR *dir = open_dir_stream(fd);
    if (!dir) fail_path(errno, "cannot list folder", path);
    int err = 0;
    while (true) {
        errno = 0;  // readdir reports an error only through errno
        struct dirent *e = ::readdir(dir);
        if (!e) {
            err = errno;
            break;
        }
        std::string_view name = e->d_name;
        if (name == "." || name == "..") continue;
        unsigned char type = e->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st;
            if (::fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
        }
        if (type != DT_DIR && type != DT_REG) continue;  // links and devices are never keys
        if (layout.is_entry(depth, name, type == DT_DIR))
            nodes.push_back(Node{std::string(name), type == DT_DIR});
    }
    ::closedir(dir);
    if (err) fail_path(err, "cannot list folder", path);
    std::sort(nodes.begin(), nodes.end(),
              [&](const Node &a, const Node &b) { return layout.less(a, b); });
    return nodes;
}

// One page's walk over the tree. With a delimiter, a key past the delimiter folds into its
// common prefix, and the walk then jumps past every entry under that prefix (a binary search in
// a sorted directory); in the pathmapped layout with the delimiter "/" a folder below the
// prefix is such a common prefix itself and is never opened.
class Walk {
public:
    Walk(Lister &lister, const Store &store, const ListQuery &query,
         const std::optional<std::string> &after, uint64_t session, ListResult &out)
        : lister_(lister),
          store_(store),
          layout_(store.layout()),
          prefix_(query.prefix),
          delimiter_(query.delimiter),
          after_(after),
          after_lead_(after_ ? layout_.lead_of(*after_) : std::string()),
          prefix_lead_(layout_.lead_of(prefix_)),
          session_(session),
          limit_(query.limit),
          out_(out) {}

    // False once the page is complete or the prefix's range is passed.
    bool visit(int fd, const std::string &rel, const std::string &lead, size_t depth) {
        auto nodes = lister_.nodes(session_, fd, rel, depth);
        auto skip_done = [&](Lister::Nodes::const_iterator from) {
            return std::partition_point(from, nodes->end(), [&](const Node &n) {
                std::string n_lead;
                layout_.lead(lead, n, n_lead);
                return before(n, n_lead);
            });
        };
        std::string n_lead;
        for (auto it = skip_done(nodes->begin()); it != nodes->end(); ++it) {
            const Node &n = *it;
            layout_.lead(lead, n, n_lead);
            if (n.dir) {
                int c = layout_.compare_dir(n_lead, prefix_);
                if (c > 0) return false;
                if (c < 0 || (after_ && layout_.compare_dir(n_lead, *after_) < 0)) continue;
                if (folds_as_folder(n_lead)) {
                    std::string folded(common_prefix(n_lead, prefix_, delimiter_));
                    if (!emit_prefix(folded)) return false;
                    continue;
                }
                int child =
                    ::openat(fd, n.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0) {
                    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
                        continue;  // replaced meanwhile
                    fail_path(errno, "cannot list folder",
                              join_path(store_.path(), join_path(rel, n.name)));
                }
                Fd owned(child);
                if (!visit(child, join_path(rel, n.name), n_lead, depth + 1)) return false;
                continue;
            }
            std::optional<std::string> key = layout_.key_of(n_lead);
            if (!key) continue;
            if (!key->starts_with(prefix_)) {
                if (*key > prefix_) return false;
                continue;
            }
            if (after_ && *key <= *after_) continue;
            std::string_view folded = common_prefix(*key, prefix_, delimiter_);
            if (!folded.empty()) {
                if (!emit_prefix(std::string(folded))) return false;
                it = skip_done(it) - 1;  // past every entry under the prefix
                continue;
            }
            if (full()) return false;
            struct stat st;
            if (::fstatat(fd, n.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                !S_ISREG(st.st_mode))
                continue;
            set_after(*key);
            last_ = *key;
            out_.entries.push_back(Entry{std::move(*key), static_cast<uint64_t>(st.st_size),
                                         ns_of(st.st_mtim), etag_of(st)});
        }
        return true;
    }

private:
    // True when every key below or at n is before the page's start.
    bool before(const Node &n, const std::string &lead) const {
        if (n.dir)
            return layout_.compare_dir(lead, prefix_) < 0 ||
                   (after_ && layout_.compare_dir(lead, *after_) < 0);
        return lead < prefix_lead_ || (after_ && lead <= after_lead_);
    }

    // A pathmapped folder whose lead ("a/b/") passes the prefix folds under the delimiter "/".
    bool folds_as_folder(std::string_view dir_lead) const {
        return layout_.pathmapped() && delimiter_ == "/" && dir_lead.size() > prefix_.size() &&
               dir_lead.starts_with(prefix_);
    }

    // True (and a next token set) when the page has its items and one more exists.
    bool full() {
        if (out_.entries.size() + out_.prefixes.size() < limit_) return false;
        out_.next = make_token(session_, last_);
        return true;
    }

    // Lists a common prefix unless a previous page did, and moves past its keys. False when
    // the page is full.
    bool emit_prefix(const std::string &folded) {
        if (!after_ || folded > *after_) {
            if (full()) return false;
            out_.prefixes.push_back(folded);
            last_ = folded;
        }
        set_after(folded + '\xff');  // "\xff" is in no UTF-8 key: past every key under folded
        return true;
    }

    void set_after(std::string after) {
        after_lead_ = layout_.lead_of(after);
        after_ = std::move(after);
    }

    Lister &lister_;
    const Store &store_;
    const Layout &layout_;
    std::string_view prefix_, delimiter_;
    std::optional<std::string> after_;  // everything up to here is listed or skipped
    std::string after_lead_, prefix_lead_;
    std::string last_;  // the last item returned, which the next page's token resumes after
    uint64_t session_;
    size_t limit_;
    ListResult &out_;
};

}  // namespace

ListResult Lister::list(const ListQuery &query) {
    Token parsed;
    if (!query.token.empty()) parsed = parse_token(query.token);
    uint64_t session = parsed.session;
    if (query.token.empty()) {
        session = std::strtoull(random_hex(8).c_str(), nullptr, 16);
        if (!query.start_after.empty()) parsed.after = std::string(query.start_after);
    }
    ListResult out;
    Walk walk(*this, store_, query, parsed.after, session, out);
    walk.visit(store_.root(), "", "", 0);
    return out;
}

std::shared_ptr<const Lister::Nodes> Lister::nodes(uint64_t session, int fd, const std::string &rel,
                                                   size_t depth) {
    auto now = std::chrono::steady_clock::now();
    // The directory's state before it is read: an entry added or removed meanwhile changes it.
    struct stat st;
    bool known = ::fstat(fd, &st) == 0;
    DirState state{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                   known ? ns_of(st.st_mtim) : 0, known ? ns_of(st.st_ctim) : 0};
    {
        std::lock_guard lock(mutex_);
        for (auto it = snapshots_.begin(); it != snapshots_.end(); ++it) {
            if (it->rel == rel &&
                (it->session == session || (known && it->reusable && it->state == state))) {
                it->used = now;
                snapshots_.splice(snapshots_.begin(), snapshots_, it);
                return it->nodes;
            }
        }
    }
    auto nodes = std::make_shared<const Nodes>(
        read_nodes(store_.layout(), fd, depth, join_path(store_.path(), rel)));
    if (nodes->size() < kSnapshotMinNodes || nodes->size() > kSnapshotMaxNodes) return nodes;
    struct timespec wall;
    ::clock_gettime(CLOCK_REALTIME, &wall);
    constexpr int64_t kQuietNs = 2'000'000'000;  // far beyond a file system's clock tick
    bool reusable =
        known && ns_of(wall) - state.mtime_ns > kQuietNs && ns_of(wall) - state.ctime_ns > kQuietNs;
    std::lock_guard lock(mutex_);
    snapshots_.push_front(Snapshot{session, rel, nodes, now, state, reusable});
    cached_nodes_ += nodes->size();
    while (!snapshots_.empty() && (cached_nodes_ > kSnapshotMaxNodes ||
                                   now - snapshots_.back().used > kSnapshotLifetime)) {
        cached_nodes_ -= snapshots_.back().nodes->size();
        snapshots_.pop_back();
    }
    return nodes;
}

}  // namespace kvps::file
