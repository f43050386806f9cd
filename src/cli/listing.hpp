// Listing a store page by page, for ls, rm -r, cp and sync.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kvps.h"

namespace cli {

struct Entry {
    std::string key;
    uint64_t size = 0;
    int64_t mtime_ns = 0;  // 0 when the backend cannot tell cheaply
    std::string etag;      // "" when the backend cannot tell cheaply
};

// Calls each(entry) for every key under prefix, in byte order, one page at a time; after each
// page, page_done() (e.g. to flush output). A store that does not exist is exit 3.
void list_each(kvps_store *store, const std::string &prefix,
               const std::function<void(const kvps_entry &)> &each,
               const std::function<void()> &page_done = {});

std::vector<Entry> list_all(kvps_store *store, const std::string &prefix);

// After a key was not found: throws the store's own error when the store itself is missing
// (an S3 bucket that does not exist: exit 3), else "not found: KEY" (exit 1).
[[noreturn]] void key_not_found(kvps_store *store, const std::string &key);

}  // namespace cli
