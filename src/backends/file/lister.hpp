// Listing: an in-order walk of the store's directory tree that visits only the directories
// whose keys can start with the prefix and follow the cursor.
//
// Within one directory, entries are sorted by their lead (layout.hpp), which is key order. A
// large directory is read and sorted once per listing: the sorted snapshot is kept under the
// listing's session id, which the cursor carries, so the pages that follow resume by binary
// search instead of re-reading the directory. A snapshot holds every key that existed when
// the listing started, and each entry is stat'ed when returned (a deleted key is skipped), so
// a key that exists for the whole listing is returned exactly once.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "spi/backend.hpp"
#include "layout.hpp"

namespace kvps::file {

class Store;

class Lister {
public:
    explicit Lister(const Store &store) : store_(store) {}
    ListResult list(const ListQuery &query);

    using Nodes = std::vector<Node>;
    // The sorted entries of directory rel (open as fd), from the session's snapshot when it
    // has one.
    std::shared_ptr<const Nodes> nodes(uint64_t session, int fd, const std::string &rel,
                                       size_t depth);

private:
    // A directory as stat saw it: while it stays the same, no entry was added or removed.
    struct DirState {
        uint64_t dev = 0, ino = 0;
        int64_t mtime_ns = 0, ctime_ns = 0;
        bool operator==(const DirState &) const = default;
    };
    struct Snapshot {
        uint64_t session;
        std::string rel;
        std::shared_ptr<const Nodes> nodes;
        std::chrono::steady_clock::time_point used;
        DirState state;
        // The directory had not changed for a while when it was read, so a change after the
        // read shows in its times (which the file system keeps at a coarse clock tick): any
        // listing may reuse the snapshot while the directory's state is the same.
        bool reusable = false;
    };
    const Store &store_;
    std::mutex mutex_;
    std::list<Snapshot> snapshots_;  // most recently used first
    size_t cached_nodes_ = 0;
};

}  // namespace kvps::file
