#include "lister.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "codec.hpp"
#include "spi/error.hpp"
#include "store.hpp"

namespace kvps::file {

namespace {

constexpr size_t kSnapshotMinNodes = 128;        // smaller directories are cheap to re-read
constexpr size_t kSnapshotMaxNodes = 1u << 20;   // all sessions together
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
        if (layout.is_entry(depth, name, type == DT_DIR)) nodes.push_back(Node{std::string(name), type == DT_DIR});
    }
    ::closedir(dir);
    if (err) fail_path(err, "cannot list folder", path);
    std::sort(nodes.begin(), nodes.end(), [&](const Node &a, const Node &b) { return layout.less(a, b); });
    return nodes;
}

// One page's walk over the tree.
class Walk {
public:
    Walk(Lister &lister, const Store &store, std::string_view prefix, const Token &token, uint64_t session,
         size_t limit, ListResult &out)
        : lister_(lister), store_(store), layout_(store.layout()), prefix_(prefix), after_(token.after),
          after_lead_(after_ ? layout_.lead_of(*after_) : std::string()), prefix_lead_(layout_.lead_of(prefix)),
          session_(session), limit_(limit), out_(out) {}

    // False once the page is complete or the prefix's range is passed.
    bool visit(int fd, const std::string &rel, const std::string &lead, size_t depth) {
        auto nodes = lister_.nodes(session_, fd, rel, depth);
        auto start = std::partition_point(nodes->begin(), nodes->end(),
                                          [&](const Node &n) {
                                              std::string n_lead;
                                              layout_.lead(lead, n, n_lead);
                                              return before(n, n_lead);
                                          });
        std::string n_lead;
        for (auto it = start; it != nodes->end(); ++it) {
            const Node &n = *it;
            layout_.lead(lead, n, n_lead);
            if (n.dir) {
                int c = layout_.compare_dir(n_lead, prefix_);
                if (c > 0) return false;
                if (c < 0 || (after_ && layout_.compare_dir(n_lead, *after_) < 0)) continue;
                int child = ::openat(fd, n.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0) {
                    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) continue;  // replaced meanwhile
                    fail_path(errno, "cannot list folder", join_path(store_.path(), join_path(rel, n.name)));
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
            if (out_.entries.size() == limit_) {  // a next page may follow (it may come out empty)
                out_.next = make_token(session_, out_.entries.back().key);
                return false;
            }
            struct stat st;
            if (::fstatat(fd, n.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
            out_.entries.push_back(Entry{std::move(*key), static_cast<uint64_t>(st.st_size), ns_of(st.st_mtim),
                                         etag_of(st)});
        }
        return true;
    }

private:
    // True when every key below or at n is before the page's start.
    bool before(const Node &n, const std::string &lead) const {
        if (n.dir) return layout_.compare_dir(lead, prefix_) < 0 || (after_ && layout_.compare_dir(lead, *after_) < 0);
        return lead < prefix_lead_ || (after_ && lead <= after_lead_);
    }

    Lister &lister_;
    const Store &store_;
    const Layout &layout_;
    std::string_view prefix_;
    const std::optional<std::string> &after_;
    std::string after_lead_, prefix_lead_;
    uint64_t session_;
    size_t limit_;
    ListResult &out_;
};

}  // namespace

ListResult Lister::list(std::string_view prefix, std::string_view token, size_t limit) {
    Token parsed;
    if (!token.empty()) parsed = parse_token(token);
    uint64_t session = parsed.session;
    if (token.empty()) session = std::strtoull(random_hex(8).c_str(), nullptr, 16);
    ListResult out;
    Walk walk(*this, store_, prefix, parsed, session, limit, out);
    walk.visit(store_.root(), "", "", 0);
    return out;
}

std::shared_ptr<const Lister::Nodes> Lister::nodes(uint64_t session, int fd, const std::string &rel, size_t depth) {
    auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        for (auto it = snapshots_.begin(); it != snapshots_.end(); ++it) {
            if (it->session == session && it->rel == rel) {
                it->used = now;
                snapshots_.splice(snapshots_.begin(), snapshots_, it);
                return it->nodes;
            }
        }
    }
    auto nodes = std::make_shared<const Nodes>(read_nodes(store_.layout(), fd, depth, join_path(store_.path(), rel)));
    if (nodes->size() < kSnapshotMinNodes || nodes->size() > kSnapshotMaxNodes) return nodes;
    std::lock_guard lock(mutex_);
    snapshots_.push_front(Snapshot{session, rel, nodes, now});
    cached_nodes_ += nodes->size();
    while (!snapshots_.empty() &&
           (cached_nodes_ > kSnapshotMaxNodes || now - snapshots_.back().used > kSnapshotLifetime)) {
        cached_nodes_ -= snapshots_.back().nodes->size();
        snapshots_.pop_back();
    }
    return nodes;
}

}  // namespace kvps::file
