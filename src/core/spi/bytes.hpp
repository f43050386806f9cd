// Bytes: a malloc'ed buffer handed to C callers without a copy. It always keeps one NUL byte
// after the data, so kvps_get's promise (a terminated, never-NULL buffer) holds; the C caller
// frees it with kvps_free (free()).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace kvps {

class Bytes {
public:
    Bytes() = default;
    explicit Bytes(size_t size) { resize(size); }
    static Bytes copy(const void *data, size_t size) {
        Bytes b(size);
        if (size) std::memcpy(b.data_, data, size);
        return b;
    }
    Bytes(Bytes &&other) noexcept
        : data_(std::exchange(other.data_, nullptr)),
          size_(std::exchange(other.size_, 0)),
          capacity_(std::exchange(other.capacity_, 0)) {}
    Bytes &operator=(Bytes &&other) noexcept {
        if (this != &other) {
            std::free(data_);
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
            capacity_ = std::exchange(other.capacity_, 0);
        }
        return *this;
    }
    Bytes(const Bytes &) = delete;
    Bytes &operator=(const Bytes &) = delete;
    ~Bytes() { std::free(data_); }

    char *data() { return data_; }
    const char *data() const { return data_; }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    // Sets the size (new bytes are uninitialized); throws kvps::Error(KVPS_NO_MEMORY).
    void resize(size_t size);
    // Makes room for at least capacity bytes without changing the size.
    void reserve(size_t capacity);
    void append(const void *data, size_t size);
    // Keeps only [offset, offset + count).
    void slice(size_t offset, size_t count);
    // Gives up ownership: the caller frees with free(). Never NULL (allocates if empty).
    char *release();

private:
    char *data_ = nullptr;  // capacity_ + 1 bytes when not null
    size_t size_ = 0;
    size_t capacity_ = 0;
};

}  // namespace kvps
