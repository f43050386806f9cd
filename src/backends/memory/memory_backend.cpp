// memory:// (alias test://): values in process memory.
//   memory://        a store private to its handle, gone when the handle closes
//   memory://NAME    the same store from every handle in the process, kept until it exits
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "spi/backend.hpp"
#include "spi/checksum.hpp"
#include "spi/registrar.hpp"

namespace kvps {
namespace {

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// An immutable stored value: one allocation holds the bytes beside the reference count, and
// readers share it without copying under the lock.
struct Blob {
    std::shared_ptr<char[]> bytes;
    size_t length = 0;
    uint32_t crc32c = 0;  // of the bytes, computed when they were put
    const char *data() const { return bytes.get(); }
    size_t size() const { return length; }
};

struct Value {
    Blob blob;
    int64_t mtime_ns;
    uint64_t generation;  // process-unique, so the etag changes on every write
    std::shared_ptr<const Properties> properties;  // null: none
    // Where its key is in Data::order, set once the value is in the map: a delete erases it
    // there without a second search of the index.
    std::map<std::string_view, Value *>::iterator position{};

    // Takes other's contents, giving it this one's; the position stays with the slot.
    void swap_contents(Value &other) noexcept {
        std::swap(blob, other.blob);
        std::swap(mtime_ns, other.mtime_ns);
        std::swap(generation, other.generation);
        std::swap(properties, other.properties);
    }
};

struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept {
        return std::hash<std::string_view>{}(key);
    }
};

struct Data {
    std::shared_mutex mutex;
    // Point operations use the hash map; listing walks the ordered index of the same keys
    // (views of the map's keys and pointers to its values, whose nodes never move), with no
    // hash lookup per entry listed. An overwrite touches only the map.
    std::unordered_map<std::string, Value, KeyHash, std::equal_to<>> values;
    std::map<std::string_view, Value *> order;
    uint64_t generation = 0;  // guarded by mutex
};

std::string etag_of(const Value &v) { return "m" + std::to_string(v.generation); }

// Holds the value it opened, so it keeps reading that version after a put replaces it.
class ValueReader final : public Reader {
public:
    std::optional<uint32_t> checksum() const override { return bytes_.crc32c; }
    ValueReader(Blob bytes, Span64 span, std::string etag)
        : bytes_(std::move(bytes)),
          pos_(span.start),
          end_(span.start + span.count),
          etag_(std::move(etag)) {}
    bool seek(uint64_t offset, uint64_t end) override {
        end_ = std::min<uint64_t>(end, bytes_.size());
        pos_ = std::min(offset, end_);
        return true;
    }
    std::string etag() const override { return etag_; }
    size_t read(void *buffer, size_t capacity) override {
        size_t n = static_cast<size_t>(std::min<uint64_t>(capacity, end_ - pos_));
        if (n) std::memcpy(buffer, bytes_.data() + pos_, n);
        pos_ += n;
        return n;
    }
    uint64_t value_size() const override { return bytes_.size(); }

private:
    Blob bytes_;
    uint64_t pos_, end_;
    std::string etag_;
};

// A value written in parts into one malloc'd block, grown with realloc (which moves a large
// block by remapping its pages, not by copying) and handed to the stored Blob at commit: a
// streamed value is held once, where gathering the parts and then putting them would hold it
// twice. install_ stores the Blob (the backend's install, with the writer's options).
class MemoryWriter final : public Writer {
public:
    using Install = std::function<std::string(Blob)>;
    explicit MemoryWriter(Install install) : install_(std::move(install)) {}
    ~MemoryWriter() override { std::free(bytes_); }
    void write(const void *data, size_t size) override {
        if (!size) return;
        if (size > capacity_ - size_) {
            size_t capacity = std::max({size_ + size, capacity_ * 2, size_t{64} << 10});
            void *grown = std::realloc(bytes_, capacity);
            if (!grown) throw std::bad_alloc();
            bytes_ = static_cast<char *>(grown);
            capacity_ = capacity;
        }
        std::memcpy(bytes_ + size_, data, size);
        crc_ = crc32c(data, size, crc_);
        size_ += size;
    }
    void commit() override {
        // Trimmed to the value's size (in place), at least one byte as make_blob makes.
        size_t size = size_;
        char *trimmed = static_cast<char *>(std::realloc(bytes_, size ? size : 1));
        if (!trimmed) throw std::bad_alloc();
        bytes_ = nullptr;
        capacity_ = size_ = 0;
        etag_ = install_(Blob{std::shared_ptr<char[]>(trimmed, std::free), size, crc_});
    }
    void abort() noexcept override {
        std::free(bytes_);
        bytes_ = nullptr;
        capacity_ = size_ = 0;
    }
    std::string etag() const override { return etag_; }

private:
    Install install_;
    char *bytes_ = nullptr;
    size_t size_ = 0, capacity_ = 0;
    uint32_t crc_ = 0;
    std::string etag_;
};

class MemoryBackend final : public Backend {
public:
    explicit MemoryBackend(std::shared_ptr<Data> data) : data_(std::move(data)) {}

    std::unique_ptr<Writer> open_writer(std::string_view key) override {
        return std::make_unique<MemoryWriter>([this, key = std::string(key)](Blob blob) {
            return install(key, std::move(blob), nullptr, nullptr);
        });
    }

    std::unique_ptr<Writer> open_writer_with(std::string_view key,
                                             const PutOptions &options) override {
        return std::make_unique<MemoryWriter>([this, key = std::string(key), options](Blob blob) {
            return install(key, std::move(blob), properties_of(options.properties()), &options);
        });
    }

    void put(std::string_view key, const void *data, size_t size) override {
        install(key, make_blob(data, size), nullptr, nullptr);
    }

    // ---- conditional writes, properties, copy and rename: checked and applied under the one
    // lock, so they are atomic against every other handle of the same store.
    std::string put_with(std::string_view key, const void *data, size_t size,
                         const PutOptions &options) override {
        return install(key, make_blob(data, size), properties_of(options.properties()), &options);
    }

    std::optional<Bytes> get_with(std::string_view key, Metadata &meta) override {
        std::shared_lock lock(data_->mutex);
        auto it = data_->values.find(key);
        if (it == data_->values.end()) return std::nullopt;
        Blob blob = it->second.blob;
        meta = metadata_of(it->second);
        meta.crc32c = blob.crc32c;
        lock.unlock();
        return Bytes::copy(blob.data(), blob.size());
    }

    std::string copy(std::string_view from, std::string_view to,
                     const PutOptions &options) override {
        return move_or_copy(from, to, options, false);
    }

    std::string rename(std::string_view from, std::string_view to,
                       const PutOptions &options) override {
        return move_or_copy(from, to, options, true);
    }

    std::optional<Bytes> get(std::string_view key) override {
        std::optional<Blob> blob = find(key);
        if (!blob) return std::nullopt;
        return Bytes::copy(blob->data(), blob->size());
    }

    std::optional<Bytes> get_range(std::string_view key, uint64_t offset,
                                   uint64_t length) override {
        std::optional<Blob> blob = find(key);
        if (!blob) return std::nullopt;
        Span64 span = clamp_range(blob->size(), offset, length);
        return Bytes::copy(blob->data() + span.start, static_cast<size_t>(span.count));
    }

    std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
        std::shared_lock lock(data_->mutex);
        auto it = data_->values.find(key);
        if (it == data_->values.end()) return nullptr;
        Span64 span = clamp_range(it->second.blob.size(), offset, length);
        return std::make_unique<ValueReader>(it->second.blob, span, etag_of(it->second));
    }

    std::optional<Metadata> stat(std::string_view key) override {
        std::shared_lock lock(data_->mutex);
        auto it = data_->values.find(key);
        if (it == data_->values.end()) return std::nullopt;
        return metadata_of(it->second);
    }

    void remove(std::string_view key) override {
        Value old;
        std::unique_lock lock(data_->mutex);
        auto it = data_->values.find(key);
        if (it == data_->values.end()) return;
        old = std::move(it->second);
        data_->order.erase(old.position);
        data_->values.erase(it);
    }

    // One exclusive lock for the whole batch; the values are freed after it is released.
    void delete_many(std::span<DeleteItem> items) override {
        std::vector<Value> old;
        old.reserve(items.size());
        std::unique_lock lock(data_->mutex);
        for (DeleteItem &item : items) {
            item.status = KVPS_OK;
            auto it = data_->values.find(item.key);
            if (it == data_->values.end()) continue;
            old.push_back(std::move(it->second));
            data_->order.erase(old.back().position);
            data_->values.erase(it);
        }
        lock.unlock();
    }

    ListResult list(std::string_view prefix, std::string_view token, size_t limit) override {
        ListResult result;
        std::shared_lock lock(data_->mutex);
        const auto &order = data_->order;
        auto it = token.empty() ? order.lower_bound(prefix) : order.upper_bound(token);
        for (; it != order.end() && it->first.starts_with(prefix); ++it) {
            if (result.entries.size() == limit) {
                result.next = result.entries.back().key;
                break;
            }
            const Value &v = *it->second;
            result.entries.push_back(
                Entry{std::string(it->first), v.blob.size(), v.mtime_ns, etag_of(v)});
        }
        return result;
    }

    // ---- listing by level, reads into the caller's memory, checksums
    std::optional<Bytes> get_checked(std::string_view key, std::optional<uint32_t> &crc) override {
        std::optional<Blob> blob = find(key);
        if (!blob) return std::nullopt;
        crc = blob->crc32c;
        return Bytes::copy(blob->data(), blob->size());
    }

    std::optional<uint64_t> get_into(std::string_view key, uint64_t offset, void *buffer,
                                     size_t capacity, std::optional<uint32_t> &crc) override {
        std::optional<Blob> blob = find(key);
        if (!blob) return std::nullopt;
        crc = blob->crc32c;
        Span64 span = clamp_range(blob->size(), offset, KVPS_TO_END);
        if (span.count <= capacity && span.count)
            std::memcpy(buffer, blob->data() + span.start, span.count);
        return span.count;
    }

    // Walks the ordered index; the keys under a common prefix are skipped with one search.
    ListResult list_with(const ListQuery &q) override {
        ListResult result;
        std::string after(q.token.empty() ? q.start_after : q.token);
        std::shared_lock lock(data_->mutex);
        const auto &order = data_->order;
        auto it = after.empty() ? order.lower_bound(q.prefix) : order.upper_bound(after);
        if (it != order.end() && it->first < q.prefix) it = order.lower_bound(q.prefix);
        size_t items = 0;
        while (it != order.end() && it->first.starts_with(q.prefix)) {
            std::string_view folded = common_prefix(it->first, q.prefix, q.delimiter);
            if (!folded.empty()) {
                // Past every key that starts with the folded prefix ("\xff" is in no UTF-8 key).
                auto past = order.lower_bound(std::string(folded) + '\xff');
                if (folded > std::string_view(after)) {
                    if (items == q.limit) {
                        result.next = after;
                        break;
                    }
                    result.prefixes.emplace_back(folded);
                    after = folded;
                    ++items;
                }
                it = past;
                continue;
            }
            if (items == q.limit) {
                result.next = after;
                break;
            }
            const Value &v = *it->second;
            result.entries.push_back(
                Entry{std::string(it->first), v.blob.size(), v.mtime_ns, etag_of(v)});
            after = it->first;
            ++items;
            ++it;
        }
        return result;
    }

private:
    static Blob make_blob(const void *data, size_t size) {
        // Copied outside the lock; the lock only swaps a pointer.
        Blob blob{std::make_shared_for_overwrite<char[]>(size ? size : 1), size,
                  crc32c(data, size)};
        if (size) std::memcpy(blob.bytes.get(), data, size);
        return blob;
    }

    static std::shared_ptr<const Properties> properties_of(Properties properties) {
        if (properties == Properties{}) return nullptr;
        return std::make_shared<const Properties>(std::move(properties));
    }

    static Metadata metadata_of(const Value &v) {
        Metadata meta{v.blob.size(), v.mtime_ns, etag_of(v)};
        if (v.properties) meta.properties = *v.properties;
        return meta;
    }

    static const std::string *current_etag(const Data &data, std::string_view key,
                                           std::string &etag) {
        auto it = data.values.find(key);
        if (it == data.values.end()) return nullptr;
        etag = etag_of(it->second);
        return &etag;
    }

    // Stores a value under key, checking options' condition under the same lock.
    std::string install(std::string_view key, Blob blob,
                        std::shared_ptr<const Properties> properties, const PutOptions *options) {
        Value value{std::move(blob), now_ns(), 0, std::move(properties)};
        std::unique_lock lock(data_->mutex);
        if (options && options->conditional()) {
            std::string etag;
            check_condition(key, *options, current_etag(*data_, key, etag));
        }
        value.generation = ++data_->generation;
        std::string made = etag_of(value);
        auto it = data_->values.find(key);
        if (it != data_->values.end()) {
            it->second.swap_contents(value);
        } else {
            auto added = data_->values.emplace(std::string(key), std::move(value)).first;
            added->second.position = data_->order.emplace(added->first, &added->second).first;
        }
        lock.unlock();  // the old value is freed outside the lock
        return made;
    }

    std::string move_or_copy(std::string_view from, std::string_view to, const PutOptions &options,
                             bool move) {
        std::unique_lock lock(data_->mutex);
        auto source = data_->values.find(from);
        if (source == data_->values.end())
            fail(KVPS_NOT_FOUND, std::string("cannot ") + (move ? "rename" : "copy") + " key " +
                                     quote(from) + ": it does not exist");
        std::string etag;
        check_condition(to, options, current_etag(*data_, to, etag));
        Properties old = source->second.properties ? *source->second.properties : Properties{};
        Value value{source->second.blob, now_ns(), ++data_->generation,
                    properties_of(options.properties_over(old))};
        std::string made = etag_of(value);
        Value dropped;
        if (move && from != to) {
            dropped = std::move(source->second);
            data_->order.erase(dropped.position);
            data_->values.erase(source);
        }
        auto it = data_->values.find(to);
        if (it != data_->values.end()) {
            it->second.swap_contents(value);
        } else {
            auto added = data_->values.emplace(std::string(to), std::move(value)).first;
            added->second.position = data_->order.emplace(added->first, &added->second).first;
        }
        lock.unlock();
        return made;
    }

    std::optional<Blob> find(std::string_view key) {
        std::shared_lock lock(data_->mutex);
        auto it = data_->values.find(key);
        if (it == data_->values.end()) return std::nullopt;
        return it->second.blob;
    }

    std::shared_ptr<Data> data_;
};

std::shared_ptr<Data> named_store(const std::string &name) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<Data>> stores;
    std::lock_guard lock(mutex);
    auto &slot = stores[name];
    if (!slot) slot = std::make_shared<Data>();
    return slot;
}

const Registrar registrar{{
    .name = "memory",
    .description = "In-process memory, for tests and scratch data; memory://NAME is shared "
                   "by every handle in the process, bare memory:// is private to its handle",
    .schemes = {"memory", "test"},
    .options = {},
    .capabilities = KVPS_CAP_RANGE | KVPS_CAP_READ_STREAM | KVPS_CAP_LIST,
    .open = [](const Config &config) -> std::unique_ptr<Backend> {
        const Url &url = config.url();
        std::string name = url.host + (url.path == "/" ? "" : url.path);
        return std::make_unique<MemoryBackend>(name.empty() ? std::make_shared<Data>()
                                                            : named_store(name));
    },
}};

}  // namespace
}  // namespace kvps
