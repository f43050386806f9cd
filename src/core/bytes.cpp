#include "spi/bytes.hpp"

#include <algorithm>

#include "spi/error.hpp"

namespace kvps {

void Bytes::reserve(size_t capacity) {
    if (capacity <= capacity_ && data_) return;
    if (capacity == SIZE_MAX) fail(KVPS_NO_MEMORY, "value too large for memory");
    auto *grown = static_cast<char *>(std::realloc(data_, capacity + 1));
    if (!grown)
        fail(KVPS_NO_MEMORY, "out of memory allocating " + std::to_string(capacity) + " bytes");
    data_ = grown;
    capacity_ = capacity;
}

void Bytes::resize(size_t size) {
    if (size > capacity_ || !data_) reserve(size);
    size_ = size;
    data_[size_] = '\0';
}

void Bytes::append(const void *data, size_t size) {
    if (size == 0) return;
    if (size_ + size > capacity_) reserve(std::max(size_ + size, capacity_ + capacity_ / 2));
    std::memcpy(data_ + size_, data, size);
    size_ += size;
    data_[size_] = '\0';
}

void Bytes::slice(size_t offset, size_t count) {
    if (offset > size_) offset = size_;
    if (count > size_ - offset) count = size_ - offset;
    if (offset && count) std::memmove(data_, data_ + offset, count);
    resize(count);
}

char *Bytes::release() {
    if (!data_) resize(0);
    size_ = 0;
    capacity_ = 0;
    return std::exchange(data_, nullptr);
}

}  // namespace kvps
