// The buffer of a writer that uploads a streamed value in parts of a fixed size (S3 multipart
// parts, Azure blocks, PostgreSQL chunk rows), in constant memory. A full part is handed on only
// once more bytes come, so a value of at most one part is still whole at commit and can go as
// one single-request write.
#pragma once

#include <algorithm>
#include <cstddef>

#include "bytes.hpp"

namespace kvps {

class PartBuffer {
public:
    explicit PartBuffer(size_t part_size) : part_size_(std::max<size_t>(part_size, 1)) {}

    // Appends data. Each full part that more bytes follow goes to send(Bytes &part), which takes
    // its bytes: it leaves part empty (moved from, or resized to 0 to keep the allocation, or
    // holding a spare buffer).
    template <typename Send>
    void write(const void *data, size_t size, Send &&send) {
        const char *bytes = static_cast<const char *>(data);
        while (size > 0) {
            if (pending_.size() == part_size_) send(pending_);
            pending_.reserve(part_size_);
            size_t n = std::min(size, part_size_ - pending_.size());
            pending_.append(bytes, n);
            bytes += n;
            size -= n;
        }
    }

    // The bytes not handed on yet (at most one part): the whole value when no part was sent.
    Bytes &pending() { return pending_; }
    // Frees the buffer (a writer aborted).
    void clear() { pending_ = Bytes(); }

private:
    size_t part_size_;
    Bytes pending_;
};

}  // namespace kvps
