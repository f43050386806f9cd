// SharedBytes: an immutable block of bytes with shared ownership, the core's side of kvps_blob.
// A store that keeps its values in the process (memory://) keeps the block itself, so a value
// moves in and out without a copy; every other store writes and reads its bytes.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <utility>

#include "bytes.hpp"

namespace kvps {

struct SharedBytes {
    std::shared_ptr<const char> owner;  // points at the first byte (an alias when a slice)
    size_t size = 0;

    // Never null: "" for an empty block.
    const char *data() const {
        const char *p = owner.get();
        return p ? p : "";
    }
    // count bytes from offset, sharing this block's ownership (the caller keeps the bounds).
    SharedBytes slice(size_t offset, size_t count) const {
        return {std::shared_ptr<const char>(owner, data() + offset), count};
    }
    // Takes a malloc'd buffer.
    static SharedBytes adopt(Bytes &&bytes) {
        size_t size = bytes.size();
        return {std::shared_ptr<const char>(bytes.release(), std::free), size};
    }
};

}  // namespace kvps
