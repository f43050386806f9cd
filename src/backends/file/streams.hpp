// Readers and writers that stream a value through a file in constant memory.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "spi/backend.hpp"
#include "store.hpp"

namespace kvps::file {

// Reads [start, start + count) of an open value file with pread. The open file is the version
// it was opened on (a write renames a new file in), so seeking never mixes versions.
class FileReader final : public Reader {
public:
    FileReader(Fd fd, std::string path, const struct stat &st, Span64 span);
    size_t read(void *buffer, size_t capacity) override;
    uint64_t value_size() const override { return size_; }
    bool seek(uint64_t offset, uint64_t end) override;
    std::string etag() const override { return etag_; }
    std::optional<uint32_t> checksum() const override { return checksum_; }

private:
    Fd fd_;
    std::optional<uint32_t> checksum_;
    std::string path_, etag_;
    uint64_t size_, pos_, end_;
};

// Appends to a temporary file; commit renames it over the key's file.
class FileWriter final : public Writer {
public:
    FileWriter(const Store &store, std::string_view key);
    // With options: their properties go on the file, their condition is checked at commit.
    FileWriter(const Store &store, std::string_view key, const PutOptions &options);
    void write(const void *data, size_t size) override;
    void commit() override;
    void abort() noexcept override { temp_.reset(); }
    std::string etag() const override { return etag_; }

private:
    const Store &store_;
    std::string key_;
    Location loc_;
    std::unique_ptr<TempFile> temp_;
    uint32_t crc32c_ = 0;  // of everything written
    std::optional<PutOptions> options_;
    std::string etag_;
};

}  // namespace kvps::file
