// Generic fallbacks, so a simple backend only implements put/get/stat/remove.
#include "spi/backend.hpp"

#include <algorithm>

namespace kvps {
namespace {

// A reader over a range held in memory.
// A reader over a range [start, start + size) held in memory; it seeks within that range.
class MemoryRangeReader final : public Reader {
public:
    MemoryRangeReader(Bytes range, uint64_t start, uint64_t value_size)
        : range_(std::move(range)), start_(start), end_(range_.size()), value_size_(value_size) {}
    size_t read(void *buffer, size_t capacity) override {
        size_t n = std::min(capacity, end_ - pos_);
        if (n) std::memcpy(buffer, range_.data() + pos_, n);
        pos_ += n;
        return n;
    }
    uint64_t value_size() const override { return value_size_; }
    bool seek(uint64_t offset, uint64_t end) override {
        if (offset < start_ || end > start_ + range_.size()) return false;
        end_ = static_cast<size_t>(end - start_);
        pos_ = static_cast<size_t>(std::min(offset, end) - start_);
        return true;
    }

private:
    Bytes range_;
    uint64_t start_;
    size_t pos_ = 0;
    size_t end_;
    uint64_t value_size_;
};

// A writer that gathers the value in memory and puts it on commit.
class BufferingWriter final : public Writer {
public:
    BufferingWriter(Backend &backend, std::string key) : backend_(backend), key_(std::move(key)) {}
    void write(const void *data, size_t size) override { buffer_.append(data, size); }
    void commit() override { backend_.put(key_, buffer_.data(), buffer_.size()); }
    void abort() noexcept override { buffer_ = Bytes(); }

private:
    Backend &backend_;
    std::string key_;
    Bytes buffer_;
};

}  // namespace

Span64 clamp_range(uint64_t size, uint64_t offset, uint64_t length) {
    uint64_t start = std::min(offset, size);
    uint64_t count = std::min(length, size - start);
    return {start, count};
}

ListResult Backend::list(std::string_view, std::string_view, size_t) {
    fail(KVPS_UNSUPPORTED, "this backend cannot list keys");
}

std::optional<Bytes> Backend::get_range(std::string_view key, uint64_t offset, uint64_t length) {
    std::optional<Bytes> value = get(key);
    if (!value) return std::nullopt;
    Span64 span = clamp_range(value->size(), offset, length);
    value->slice(static_cast<size_t>(span.start), static_cast<size_t>(span.count));
    return value;
}

std::unique_ptr<Reader> Backend::open_reader(std::string_view key, uint64_t offset, uint64_t length) {
    std::optional<Bytes> value = get(key);
    if (!value) return nullptr;
    uint64_t size = value->size();
    Span64 span = clamp_range(size, offset, length);
    value->slice(static_cast<size_t>(span.start), static_cast<size_t>(span.count));
    return std::make_unique<MemoryRangeReader>(std::move(*value), span.start, size);
}

std::unique_ptr<Writer> Backend::open_writer(std::string_view key) {
    return std::make_unique<BufferingWriter>(*this, std::string(key));
}

void Backend::put_many(std::span<PutItem> items) {
    for (PutItem &item : items) {
        try {
            put(item.key, item.data, item.size);
            item.status = KVPS_OK;
        } catch (const Error &e) {
            item.status = e.status();
            item.error = e.message();
        }
    }
}

void Backend::get_many(std::span<GetItem> items) {
    for (GetItem &item : items) {
        try {
            std::optional<Bytes> value = get(item.key);
            item.status = value ? KVPS_OK : KVPS_NOT_FOUND;
            if (value) item.value = std::move(*value);
        } catch (const Error &e) {
            item.status = e.status();
            item.error = e.message();
        }
    }
}

void Backend::delete_many(std::span<DeleteItem> items) {
    for (DeleteItem &item : items) {
        try {
            remove(item.key);
            item.status = KVPS_OK;
        } catch (const Error &e) {
            item.status = e.status();
            item.error = e.message();
        }
    }
}

}  // namespace kvps

// ---- conditional writes, properties, copy and rename: generic fallbacks
namespace kvps {
namespace {

// Gathers a value in memory and writes it with put_with on commit, so its options hold.
class BufferingOptionsWriter final : public Writer {
public:
    BufferingOptionsWriter(Backend &backend, std::string key, PutOptions options)
        : backend_(backend), key_(std::move(key)), options_(std::move(options)) {}
    void write(const void *data, size_t size) override { buffer_.append(data, size); }
    void commit() override { etag_ = backend_.put_with(key_, buffer_.data(), buffer_.size(), options_); }
    void abort() noexcept override { buffer_ = Bytes(); }
    std::string etag() const override { return etag_; }

private:
    Backend &backend_;
    std::string key_;
    PutOptions options_;
    Bytes buffer_;
    std::string etag_;
};

}  // namespace

std::string Backend::put_with(std::string_view key, const void *data, size_t size, const PutOptions &options) {
    if (options.conditional())
        fail(KVPS_UNSUPPORTED, "key " + quote(key) + ": this backend cannot check " +
                                   describe_condition(options) + " atomically with a write");
    if (options.sets_properties())
        fail(KVPS_UNSUPPORTED, "key " + quote(key) + ": this backend cannot store a content type or metadata");
    put(key, data, size);
    std::optional<Metadata> meta = stat(key);
    return meta ? meta->etag : std::string();
}

std::unique_ptr<Writer> Backend::open_writer_with(std::string_view key, const PutOptions &options) {
    return std::make_unique<BufferingOptionsWriter>(*this, std::string(key), options);
}

std::optional<Bytes> Backend::get_with(std::string_view key, Metadata &meta) {
    for (int attempt = 0; attempt < 16; ++attempt) {
        std::optional<Metadata> before = stat(key);
        if (!before) return std::nullopt;
        std::optional<Bytes> value = get(key);
        if (!value) continue;
        std::optional<Metadata> after = stat(key);
        if (after && after->etag == before->etag && after->size == value->size()) {
            meta = std::move(*after);
            return value;
        }
    }
    fail(KVPS_PRECONDITION_FAILED, "key " + quote(key) + " kept changing while being read with its etag");
}

std::string Backend::copy(std::string_view from, std::string_view to, const PutOptions &options) {
    Metadata meta;
    std::optional<Bytes> value = get_with(from, meta);
    if (!value) fail(KVPS_NOT_FOUND, "cannot copy key " + quote(from) + ": it does not exist");
    PutOptions write = options;
    Properties properties = options.properties_over(meta.properties);
    write.content_type = properties.content_type.empty() ? std::nullopt
                                                         : std::optional<std::string>(properties.content_type);
    write.metadata = properties.metadata.empty() ? std::nullopt : std::optional<MetadataList>(properties.metadata);
    return put_with(to, value->data(), value->size(), write);
}

std::string Backend::rename(std::string_view from, std::string_view to, const PutOptions &options) {
    std::string etag = copy(from, to, options);
    remove(from);
    return etag;
}

}  // namespace kvps
