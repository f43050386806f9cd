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
    ListResult list(std::string_view prefix, std::string_view token, size_t limit);

    using Nodes = std::vector<Node>;
    // The sorted entries of directory rel (open as fd), from the session's snapshot when it
    // has one.
    std::shared_ptr<const Nodes> nodes(uint64_t session, int fd, const std::string &rel, size_t depth);

private:
    struct Snapshot {
        uint64_t session;
        std::string rel;
        std::shared_ptr<const Nodes> nodes;
        std::chrono::steady_clock::time_point used;
    };
    const Store &store_;
    std::mutex mutex_;
    std::list<Snapshot> snapshots_;  // most recently used first
    size_t cached_nodes_ = 0;
};

}  // namespace kvps::file
