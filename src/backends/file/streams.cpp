#include "streams.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "properties.hpp"
#include "spi/error.hpp"
#include "spi/checksum.hpp"
#include "checksums.hpp"

namespace kvps::file {

FileReader::FileReader(Fd fd, std::string path, const struct stat &st, Span64 span)
    : fd_(std::move(fd)),
      path_(std::move(path)),
      etag_(etag_of(st)),
      size_(static_cast<uint64_t>(st.st_size)),
      pos_(span.start),
      end_(span.start + span.count) {
    checksum_ = stored_checksum(fd_.get());
    ::posix_fadvise(fd_.get(), static_cast<off_t>(pos_), static_cast<off_t>(span.count),
                    POSIX_FADV_SEQUENTIAL);
}

bool FileReader::seek(uint64_t offset, uint64_t end) {
    end_ = std::min(end, size_);
    pos_ = std::min(offset, end_);
    return true;
}

size_t FileReader::read(void *buffer, size_t capacity) {
    while (pos_ < end_ && capacity > 0) {
        size_t want = static_cast<size_t>(std::min<uint64_t>(capacity, end_ - pos_));
        ssize_t n = ::pread(fd_.get(), buffer, want, static_cast<off_t>(pos_));
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_path(errno, "cannot read", path_);
        }
        if (n == 0) {  // the file shrank under us (a pathmapped file edited in place)
            end_ = pos_;
            break;
        }
        pos_ += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
    }
    return 0;
}

FileWriter::FileWriter(const Store &store, std::string_view key)
    : store_(store), key_(key), loc_(store.layout().locate(key)), temp_(store.new_temp()) {}

FileWriter::FileWriter(const Store &store, std::string_view key, const PutOptions &options)
    : FileWriter(store, key) {
    write_properties(temp_->fd(), options.properties(), store_.where(loc_));
    options_ = options;
}

void FileWriter::write(const void *data, size_t size) {
    if (!temp_) fail(KVPS_INVALID_ARGUMENT, "writer for key " + quote(key_) + " is no longer open");
    if (int err = write_all(temp_->fd(), data, size)) {
        temp_.reset();  // nothing half-written stays behind
        fail_path(err, "cannot write key " + quote(key_) + " to", store_.where(loc_));
    }
    crc32c_ = crc32c(data, size, crc32c_);
}

void FileWriter::commit() {
    if (!temp_) fail(KVPS_INVALID_ARGUMENT, "writer for key " + quote(key_) + " is no longer open");
    std::unique_ptr<TempFile> temp = std::move(temp_);
    store_checksum(temp->fd(), crc32c_);
    etag_ = store_.install(*temp, key_, loc_, options_ ? &*options_ : nullptr);
}

}  // namespace kvps::file
