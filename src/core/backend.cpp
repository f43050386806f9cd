// Generic fallbacks, so a simple backend only implements put/get/stat/remove.
#include "spi/backend.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace kvps {
namespace {

// A reader over a range [start, start + size) held in memory; it seeks within that range.
class MemoryRangeReader final : public Reader {
public:
    MemoryRangeReader(Bytes range, uint64_t start, uint64_t value_size, std::string etag)
        : range_(std::move(range)),
          start_(start),
          end_(range_.size()),
          value_size_(value_size),
          etag_(std::move(etag)) {}
    std::string etag() const override { return etag_; }
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
    std::string etag_;
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

std::unique_ptr<Reader> Backend::open_reader(std::string_view key, uint64_t offset,
                                             uint64_t length) {
    // get() carries no etag: stat before and after tells which version was fetched, so a
    // reader that reopens after a seek can tell when the value changed in between.
    for (int attempt = 0; attempt < 3; ++attempt) {
        std::optional<Metadata> before = stat(key);
        if (!before) return nullptr;
        std::optional<Bytes> value = get(key);
        if (!value) return nullptr;
        std::optional<Metadata> after = stat(key);
        if (!after || after->etag != before->etag || after->size != value->size()) continue;
        uint64_t size = value->size();
        Span64 span = clamp_range(size, offset, length);
        value->slice(static_cast<size_t>(span.start), static_cast<size_t>(span.count));
        return std::make_unique<MemoryRangeReader>(std::move(*value), span.start, size,
                                                   after->etag);
    }
    fail(KVPS_PRECONDITION_FAILED, "key " + quote(key) + " kept changing while a reader opened it");
}

std::unique_ptr<Writer> Backend::open_writer(std::string_view key) {
    return std::make_unique<BufferingWriter>(*this, std::string(key));
}

kvps_status record_failure(std::string &message) noexcept {
    try {
        throw;
    } catch (const Error &e) {
        message = e.message();
        return e.status();
    } catch (const std::bad_alloc &) {
        message = "out of memory";
        return KVPS_NO_MEMORY;
    } catch (const std::exception &e) {
        message = std::string("internal error: ") + e.what();
        return KVPS_INTERNAL;
    } catch (...) {
        message = "internal error: unknown exception";
        return KVPS_INTERNAL;
    }
}

void put_item(Backend &backend, PutItem &item) noexcept {
    try {
        backend.put(item.key, item.data, item.size);
        item.status = KVPS_OK;
    } catch (...) {
        item.status = record_failure(item.error);
    }
}

void get_item(Backend &backend, GetItem &item) noexcept {
    try {
        std::optional<Bytes> value = backend.get_checked(item.key, item.crc32c);
        item.status = value ? KVPS_OK : KVPS_NOT_FOUND;
        if (value) item.value = std::move(*value);
    } catch (...) {
        item.status = record_failure(item.error);
    }
}

void delete_item(Backend &backend, DeleteItem &item) noexcept {
    try {
        backend.remove(item.key);
        item.status = KVPS_OK;
    } catch (...) {
        item.status = record_failure(item.error);
    }
}

void Backend::put_many(std::span<PutItem> items) {
    for (PutItem &item : items) put_item(*this, item);
}

void Backend::get_many(std::span<GetItem> items) {
    for (GetItem &item : items) get_item(*this, item);
}

void Backend::delete_many(std::span<DeleteItem> items) {
    for (DeleteItem &item : items) delete_item(*this, item);
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
    void commit() override {
        etag_ = backend_.put_with(key_, buffer_.data(), buffer_.size(), options_);
    }
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

std::string Backend::put_with(std::string_view key, const void *data, size_t size,
                              const PutOptions &options) {
    if (options.conditional())
        fail(KVPS_UNSUPPORTED, "key " + quote(key) + ": this backend cannot check " +
                                   describe_condition(options) + " atomically with a write");
    if (options.sets_properties())
        fail(KVPS_UNSUPPORTED,
             "key " + quote(key) + ": this backend cannot store a content type or metadata");
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
        std::optional<uint32_t> crc;
        std::optional<Bytes> value = get_checked(key, crc);
        if (!value) continue;
        std::optional<Metadata> after = stat(key);
        if (after && after->etag == before->etag && after->size == value->size()) {
            meta = std::move(*after);
            meta.crc32c = crc;
            return value;
        }
    }
    fail(KVPS_PRECONDITION_FAILED,
         "key " + quote(key) + " kept changing while being read with its etag");
}

std::string Backend::copy(std::string_view from, std::string_view to, const PutOptions &options) {
    Metadata meta;
    std::optional<Bytes> value = get_with(from, meta);
    if (!value) fail(KVPS_NOT_FOUND, "cannot copy key " + quote(from) + ": it does not exist");
    PutOptions write = options;
    Properties properties = options.properties_over(meta.properties);
    write.content_type = properties.content_type.empty()
                             ? std::nullopt
                             : std::optional<std::string>(properties.content_type);
    write.metadata = properties.metadata.empty() ? std::nullopt
                                                 : std::optional<MetadataList>(properties.metadata);
    return put_with(to, value->data(), value->size(), write);
}

std::string Backend::rename(std::string_view from, std::string_view to, const PutOptions &options) {
    std::string etag = copy(from, to, options);
    remove(from);
    return etag;
}

// ---- listing by level, reads into the caller's memory, presigned URLs

std::string_view common_prefix(std::string_view key, std::string_view prefix,
                               std::string_view delimiter) {
    if (delimiter.empty() || !key.starts_with(prefix)) return {};
    size_t at = key.find(delimiter, prefix.size());
    return at == std::string_view::npos ? std::string_view() : key.substr(0, at + delimiter.size());
}

// The fold's token: the last item returned, a NUL, then list()'s token to go on scanning.
ListResult Backend::list_with(const ListQuery &query) {
    bool folded_token = query.token.find('\0') != std::string_view::npos;
    if (query.delimiter.empty() && query.start_after.empty() && !folded_token)
        return list(query.prefix, query.token, query.limit);
    std::string after(query.start_after), inner;
    if (!query.token.empty()) {
        size_t nul = query.token.find('\0');
        if (nul == std::string_view::npos)
            fail(KVPS_INVALID_ARGUMENT, "invalid list cursor: not a listing of this store");
        after = query.token.substr(0, nul);
        inner = query.token.substr(nul + 1);
    }
    ListResult out;
    size_t items = 0;
    while (true) {
        // Each key gives at most one item, so asking for what is missing never overfills.
        ListResult page = list(query.prefix, inner, query.limit - items);
        for (Entry &e : page.entries) {
            std::string_view folded = common_prefix(e.key, query.prefix, query.delimiter);
            std::string_view item = folded.empty() ? std::string_view(e.key) : folded;
            if (item <= after) continue;
            after = item;
            if (folded.empty())
                out.entries.push_back(std::move(e));
            else
                out.prefixes.push_back(std::string(folded));
            ++items;
        }
        inner = std::move(page.next);
        if (inner.empty()) return out;
        if (items == query.limit) {
            out.next = after + '\0' + inner;
            return out;
        }
    }
}

std::optional<Bytes> Backend::get_checked(std::string_view key, std::optional<uint32_t> &crc32c) {
    crc32c.reset();
    return get(key);
}

std::optional<SharedBytes> Backend::get_shared(std::string_view key,
                                               std::optional<uint32_t> &crc32c) {
    std::optional<Bytes> value = get_checked(key, crc32c);
    if (!value) return std::nullopt;
    return SharedBytes::adopt(std::move(*value));
}

std::optional<uint64_t> Backend::get_into(std::string_view key, uint64_t offset, void *buffer,
                                          size_t capacity, std::optional<uint32_t> &crc32c) {
    crc32c.reset();
    std::optional<Bytes> value =
        offset == 0 ? get_checked(key, crc32c) : get_range(key, offset, KVPS_TO_END);
    if (!value) return std::nullopt;
    if (value->size() <= capacity && value->size())
        std::memcpy(buffer, value->data(), value->size());
    return value->size();
}

std::string Backend::presign(std::string_view, std::string_view, uint64_t) {
    fail(KVPS_UNSUPPORTED, "this store cannot make presigned URLs");
}

}  // namespace kvps
