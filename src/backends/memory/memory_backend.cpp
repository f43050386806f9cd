// memory:// (alias test://): values in process memory.
//   memory://        a store private to its handle, gone when the handle closes
//   memory://NAME    the same store from every handle in the process, kept until it exits
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "spi/backend.hpp"
#include "spi/registrar.hpp"

namespace kvps {
namespace {

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// An immutable stored value: one shared block, or the blocks a writer was given, in order (kept
// as they are, not joined). Readers and copies share the blocks without copying under the lock.
struct Blob {
    SharedBytes whole;                                      // the value, when in one block
    std::shared_ptr<const std::vector<SharedBytes>> parts;  // else its blocks, in order
    uint64_t length = 0;
    uint64_t size() const { return length; }

    // Calls fn(block, start) for each block from the one holding offset on, start being the
    // block's offset in the value, until fn returns false.
    template <typename Fn>
    void each_block(uint64_t offset, Fn &&fn) const {
        if (!parts) {
            fn(whole, uint64_t{0});
            return;
        }
        uint64_t start = 0;
        for (const SharedBytes &block : *parts) {
            if (offset < start + block.size && !fn(block, start)) return;
            start += block.size;
        }
    }
    // Copies count bytes from offset (within the value) to dest.
    void copy_out(uint64_t offset, size_t count, char *dest) const {
        each_block(offset, [&](const SharedBytes &block, uint64_t start) {
            size_t from = static_cast<size_t>(offset - start);
            size_t n = std::min(count, block.size - from);
            if (n) std::memcpy(dest, block.data() + from, n);
            dest += n;
            offset += n;
            count -= n;
            return count > 0;
        });
    }
    Bytes copy(Span64 span) const {
        Bytes out(static_cast<size_t>(span.count));
        copy_out(span.start, static_cast<size_t>(span.count), out.data());
        return out;
    }
    // The value as one block: whole itself, or the parts joined into a new one.
    SharedBytes joined() const {
        if (!parts) return whole;
        return SharedBytes::adopt(copy(Span64{0, length}));
    }
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

// The values by key: open addressing with linear probing over (hash, entry) slots, at most half
// full, with deletion by backward shift (no tombstones). An entry holds a value and its key in
// one allocation that never moves, so the ordered index keeps views of its key and pointers to
// it. A lookup reads one slot and, where the hash matches, one entry whose key is beside its
// value: a node-based map's bucket walk costs several cache misses more per call.
class Table {
public:
    struct Entry {
        Value value;
        uint64_t hash;
        size_t key_size;
        std::string_view key() const {
            return {reinterpret_cast<const char *>(this + 1), key_size};
        }
    };

    Table() = default;
    Table(const Table &) = delete;
    Table &operator=(const Table &) = delete;
    ~Table() {
        for (Slot &slot : slots_)
            if (slot.entry) destroy(slot.entry);
    }

    // A key with its hash, made before the store's lock is taken. Making it also starts
    // loading the key's slot into the cache, so that the lookup under the lock does not wait
    // for memory (the table is far larger than the cache; a miss is most of a lookup).
    struct Key {
        std::string_view text;
        uint64_t hash;
    };
    Key key(std::string_view text) const {
        uint64_t hash = hash_of(text);
        // A hint, read without the lock: a stale or freed address is harmless to prefetch.
        if (const Slot *base = hint_base_.load(std::memory_order_relaxed))
            __builtin_prefetch(base + (hash & hint_mask_.load(std::memory_order_relaxed)));
        return {text, hash};
    }

    Entry *find(const Key &key) const {
        if (count_ == 0) return nullptr;
        for (size_t i = key.hash & mask_;; i = (i + 1) & mask_) {
            const Slot &slot = slots_[i];
            if (!slot.entry) return nullptr;
            if (slot.hash == key.hash && slot.entry->key() == key.text) return slot.entry;
        }
    }
    Entry *find(std::string_view key) const { return find(Key{key, hash_of(key)}); }

    // An entry outside any table, which frees it: one being made, or one taken out.
    struct Drop {
        void operator()(Entry *entry) const noexcept { destroy(entry); }
    };
    using Owned = std::unique_ptr<Entry, Drop>;

    // A new entry for key.
    static Owned make(const Key &key, Value &&value) {
        void *memory = ::operator new(sizeof(Entry) + key.text.size());
        Owned entry(new (memory) Entry{std::move(value), key.hash, key.text.size()});
        if (!key.text.empty())
            std::memcpy(static_cast<char *>(memory) + sizeof(Entry), key.text.data(),
                        key.text.size());
        return entry;
    }

    // Adds entry, whose key is absent, taking it from the caller; when growing the table
    // throws, nothing changed and the caller still owns it.
    Entry *insert(Owned &entry) {
        if ((count_ + 1) * 2 > slots_.size()) grow();
        place(Slot{entry->hash, entry.get()});
        ++count_;
        return entry.release();
    }

    // Takes entry out of the table; the caller frees it (after the lock is released).
    Owned take(Entry *entry) noexcept {
        size_t i = entry->hash & mask_;
        while (slots_[i].entry != entry) i = (i + 1) & mask_;
        // Each later slot of the run moves back into the hole unless its home lies cyclically
        // in (hole, slot]: then it is still reachable from its home.
        for (size_t j = (i + 1) & mask_; slots_[j].entry; j = (j + 1) & mask_) {
            size_t home = slots_[j].hash & mask_;
            bool reachable = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!reachable) {
                slots_[i] = slots_[j];
                i = j;
            }
        }
        slots_[i] = Slot{};
        --count_;
        return Owned(entry);
    }

private:
    struct Slot {
        uint64_t hash = 0;
        Entry *entry = nullptr;  // null: empty
    };

    static uint64_t hash_of(std::string_view key) { return std::hash<std::string_view>{}(key); }

    static void destroy(Entry *entry) noexcept {
        entry->~Entry();
        ::operator delete(entry);
    }

    void place(Slot slot) noexcept {
        size_t i = slot.hash & mask_;
        while (slots_[i].entry) i = (i + 1) & mask_;
        slots_[i] = slot;
    }

    void grow() {
        std::vector<Slot> old(std::max<size_t>(16, slots_.size() * 2));
        std::swap(old, slots_);
        mask_ = slots_.size() - 1;
        for (const Slot &slot : old)
            if (slot.entry) place(slot);
        hint_base_.store(slots_.data(), std::memory_order_relaxed);
        hint_mask_.store(mask_, std::memory_order_relaxed);
    }

    std::vector<Slot> slots_;
    size_t mask_ = 0;
    size_t count_ = 0;
    // slots_'s data and mask_, for key()'s prefetch outside the lock
    std::atomic<const Slot *> hint_base_{nullptr};
    std::atomic<size_t> hint_mask_{0};
};

// The store's lock: a std::shared_mutex that tries again for a moment before it sleeps. Its
// critical sections last well under a microsecond, less than a futex sleep and wake-up, so a
// thread that finds it taken does better to wait briefly (a few pauses, then a few yields to
// let a holder that lost its core finish) than to park at once; many writers from more threads
// than cores then keep the lock busy instead of queueing on the kernel.
class StoreLock {
public:
    void lock() {
        if (!retry([this] { return mutex_.try_lock(); })) mutex_.lock();
    }
    void unlock() { mutex_.unlock(); }
    void lock_shared() {
        if (!retry([this] { return mutex_.try_lock_shared(); })) mutex_.lock_shared();
    }
    void unlock_shared() { mutex_.unlock_shared(); }

private:
    template <typename Try>
    static bool retry(Try &&attempt) {
        for (int round = 0; round < 10; ++round) {
            if (attempt()) return true;
            if (round < 4)
                for (int i = 0; i < 2 << round; ++i) pause();
            else
                std::this_thread::yield();
        }
        return attempt();
    }
    static void pause() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
    }

    std::shared_mutex mutex_;
};

struct Data {
    using Index = std::map<std::string_view, Value *>;

    StoreLock mutex;
    // Point operations use the table; listing walks the ordered index of the same keys (views
    // of the entries' keys and pointers to their values, which never move), with no lookup
    // per entry listed. An overwrite touches only the entry. Declared after the table, the
    // index goes first.
    Table values;
    Index order;
    uint64_t generation = 0;  // guarded by mutex

    // Adds key (absent) to both. The entry and the index node are allocated here, under the
    // lock: making them before it would cost every overwrite an allocation and a free.
    void add(const Table::Key &key, Value &&value) {
        Table::Owned made = Table::make(key, std::move(value));
        Table::Entry *entry = values.insert(made);
        try {
            entry->value.position = order.emplace(entry->key(), &entry->value).first;
        } catch (...) {
            Table::Owned dropped = values.take(entry);
            throw;
        }
    }
    // What a remove unlinked: the entry and its index node, freed by their owner after the
    // lock is released (a free under it could wait for another thread's malloc arena).
    struct Removed {
        Table::Owned entry;
        Index::node_type node;
    };
    // Unlinks entry from both; the caller frees what it returns after releasing the lock.
    Removed remove(Table::Entry *entry) noexcept {
        Removed taken;
        taken.node = order.extract(entry->value.position);
        taken.entry = values.take(entry);
        return taken;
    }
};

std::string etag_of(uint64_t generation) {
    char text[24] = {'m'};
    char *end = std::to_chars(text + 1, text + sizeof text, generation).ptr;
    return std::string(text, end);
}
std::string etag_of(const Value &v) { return etag_of(v.generation); }

// Holds the value it opened, so it keeps reading that version after a put replaces it.
class ValueReader final : public Reader {
public:
    ValueReader(Blob blob, Span64 span, std::string etag)
        : blob_(std::move(blob)),
          pos_(span.start),
          end_(span.start + span.count),
          etag_(std::move(etag)) {}
    bool seek(uint64_t offset, uint64_t end) override {
        end_ = std::min<uint64_t>(end, blob_.size());
        pos_ = std::min(offset, end_);
        return true;
    }
    std::string etag() const override { return etag_; }
    size_t read(void *buffer, size_t capacity) override {
        size_t n = static_cast<size_t>(std::min<uint64_t>(capacity, end_ - pos_));
        blob_.copy_out(pos_, n, static_cast<char *>(buffer));
        pos_ += n;
        return n;
    }
    // A slice of the block at the position: no copy.
    std::optional<SharedBytes> read_shared(size_t max) override {
        if (pos_ >= end_) return SharedBytes{};
        const SharedBytes *block = &blob_.whole;
        uint64_t start = 0;
        if (blob_.parts) {  // the part holding pos_, found on from the last one read
            const std::vector<SharedBytes> &parts = *blob_.parts;
            if (pos_ < part_start_) {  // sought back
                part_ = 0;
                part_start_ = 0;
            }
            while (pos_ >= part_start_ + parts[part_].size) part_start_ += parts[part_++].size;
            block = &parts[part_];
            start = part_start_;
        }
        size_t from = static_cast<size_t>(pos_ - start);
        size_t n = static_cast<size_t>(std::min<uint64_t>({max, block->size - from, end_ - pos_}));
        pos_ += n;
        return block->slice(from, n);
    }
    uint64_t value_size() const override { return blob_.size(); }

private:
    Blob blob_;
    uint64_t pos_, end_;
    std::string etag_;
    size_t part_ = 0;          // read_shared's last part of blob_.parts
    uint64_t part_start_ = 0;  // and its offset in the value
};

// A value written in parts. Copied bytes go into one malloc'd block, grown with realloc (which
// moves a large block by remapping its pages, not by copying), so a streamed value is held once
// rather than gathered and then put. A shared block of at least kKeep bytes is kept as it is,
// not copied: the value is then the list of its blocks. install_ stores the Blob at commit
// (the backend's install, with the writer's options).
class MemoryWriter final : public Writer {
public:
    static constexpr size_t kKeep = 64 << 10;
    using Install = std::function<std::string(Blob)>;
    explicit MemoryWriter(Install install) : install_(std::move(install)) {}
    ~MemoryWriter() override { std::free(bytes_); }
    void write(const void *data, size_t size) override {
        if (!size) return;
        if (size > capacity_ - size_) {
            size_t capacity = std::max({size_ + size, capacity_ * 2, kKeep});
            void *grown = std::realloc(bytes_, capacity);
            if (!grown) throw std::bad_alloc();
            bytes_ = static_cast<char *>(grown);
            capacity_ = capacity;
        }
        std::memcpy(bytes_ + size_, data, size);
        size_ += size;
        length_ += size;
    }
    void write_shared(const SharedBytes &part) override {
        if (part.size < kKeep) return write(part.data(), part.size);
        seal();
        parts_.push_back(part);
        length_ += part.size;
    }
    void commit() override {
        seal();
        Blob blob{{}, nullptr, length_};
        if (parts_.size() == 1)
            blob.whole = std::move(parts_.front());
        else if (parts_.size() > 1)
            blob.parts = std::make_shared<const std::vector<SharedBytes>>(std::move(parts_));
        parts_.clear();
        length_ = 0;
        etag_ = install_(std::move(blob));
    }
    void abort() noexcept override {
        std::free(std::exchange(bytes_, nullptr));
        capacity_ = size_ = length_ = 0;
        parts_.clear();
    }
    std::string etag() const override { return etag_; }

private:
    // Ends the block being copied into (trimmed to its size, in place) as a part.
    void seal() {
        if (!size_) return;
        char *trimmed = static_cast<char *>(std::realloc(bytes_, size_));
        if (!trimmed) throw std::bad_alloc();
        bytes_ = nullptr;
        parts_.push_back(SharedBytes{std::shared_ptr<const char>(trimmed, std::free), size_});
        capacity_ = size_ = 0;
    }

    Install install_;
    std::vector<SharedBytes> parts_;  // finished blocks, in order
    char *bytes_ = nullptr;           // the block being copied into
    size_t size_ = 0, capacity_ = 0;
    uint64_t length_ = 0;  // of the whole value so far
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

    // The caller's block itself, kept: no copy.
    void put_shared(std::string_view key, const SharedBytes &value) override {
        install(key, Blob{value, nullptr, value.size}, nullptr, nullptr);
    }

    std::optional<SharedBytes> get_shared(std::string_view key,
                                          std::optional<uint32_t> &crc) override {
        crc.reset();
        std::optional<Blob> blob = find(key);
        if (!blob) return std::nullopt;
        return blob->joined();
    }

    // ---- conditional writes, properties, copy and rename: checked and applied under the one
    // lock, so they are atomic against every other handle of the same store.
    std::string put_with(std::string_view key, const void *data, size_t size,
                         const PutOptions &options) override {
        return install(key, make_blob(data, size), properties_of(options.properties()), &options);
    }

    std::optional<Bytes> get_with(std::string_view key, Metadata &meta) override {
        Table::Key k = data_->values.key(key);
        std::shared_lock lock(data_->mutex);
        Table::Entry *entry = data_->values.find(k);
        if (!entry) return std::nullopt;
        Blob blob = entry->value.blob;
        meta = metadata_of(entry->value);
        lock.unlock();
        return blob.copy(Span64{0, blob.size()});
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
        return blob->copy(Span64{0, blob->size()});
    }

    std::optional<Bytes> get_range(std::string_view key, uint64_t offset,
                                   uint64_t length) override {
        std::optional<Blob> blob = find(key);
        if (!blob) return std::nullopt;
        Span64 span = clamp_range(blob->size(), offset, length);
        return blob->copy(span);
    }

    std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
        Table::Key k = data_->values.key(key);
        std::shared_lock lock(data_->mutex);
        Table::Entry *entry = data_->values.find(k);
        if (!entry) return nullptr;
        Span64 span = clamp_range(entry->value.blob.size(), offset, length);
        return std::make_unique<ValueReader>(entry->value.blob, span, etag_of(entry->value));
    }

    std::optional<Metadata> stat(std::string_view key) override {
        Table::Key k = data_->values.key(key);
        std::shared_lock lock(data_->mutex);
        Table::Entry *entry = data_->values.find(k);
        if (!entry) return std::nullopt;
        return metadata_of(entry->value);
    }

    void remove(std::string_view key) override {
        Table::Key k = data_->values.key(key);
        Data::Removed old;  // freed after the lock is released
        std::unique_lock lock(data_->mutex);
        Table::Entry *entry = data_->values.find(k);
        if (!entry) return;
        old = data_->remove(entry);
    }

    // One exclusive lock for the whole batch; the values are freed after it is released.
    void delete_many(std::span<DeleteItem> items) override {
        std::vector<Table::Key> keys;
        keys.reserve(items.size());
        for (const DeleteItem &item : items) keys.push_back(data_->values.key(item.key));
        std::vector<Data::Removed> old;
        old.reserve(items.size());
        std::unique_lock lock(data_->mutex);
        for (size_t i = 0; i < items.size(); ++i) {
            items[i].status = KVPS_OK;
            if (Table::Entry *entry = data_->values.find(keys[i]))
                old.push_back(data_->remove(entry));
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

    // ---- listing by level, reads into the caller's memory
    std::optional<uint64_t> get_into(std::string_view key, uint64_t offset, void *buffer,
                                     size_t capacity, std::optional<uint32_t> &crc) override {
        std::optional<Blob> blob = find(key);
        if (!blob) return std::nullopt;
        crc.reset();  // memory:// keeps no checksum: its bytes never leave the process
        Span64 span = clamp_range(blob->size(), offset, KVPS_TO_END);
        if (span.count <= capacity)
            blob->copy_out(span.start, static_cast<size_t>(span.count),
                           static_cast<char *>(buffer));
        return span.count;
    }

    // Walks the ordered index; the keys under a common prefix are skipped with one search.
    ListResult list_with(const ListQuery &q) override {
        ListResult result;
        // The last item listed (or the starting point): a view of the query's text or of a
        // key in the index, which the lock keeps alive.
        std::string_view after = q.token.empty() ? q.start_after : q.token;
        std::shared_lock lock(data_->mutex);
        const auto &order = data_->order;
        result.entries.reserve(std::min(q.limit, order.size()));
        auto it = after.empty() ? order.lower_bound(q.prefix) : order.upper_bound(after);
        if (it != order.end() && it->first < q.prefix) it = order.lower_bound(q.prefix);
        size_t items = 0;
        while (it != order.end() && it->first.starts_with(q.prefix)) {
            std::string_view folded = common_prefix(it->first, q.prefix, q.delimiter);
            if (!folded.empty()) {
                // Past every key that starts with the folded prefix ("\xff" is in no UTF-8 key).
                auto past = order.lower_bound(std::string(folded) + '\xff');
                if (folded > after) {
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
        std::shared_ptr<char[]> block = std::make_shared_for_overwrite<char[]>(size ? size : 1);
        char *bytes = block.get();
        if (size) std::memcpy(bytes, data, size);
        return Blob{SharedBytes{std::shared_ptr<const char>(std::move(block), bytes), size},
                    nullptr, size};
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
        Table::Entry *entry = data.values.find(key);
        if (!entry) return nullptr;
        etag = etag_of(entry->value);
        return &etag;
    }

    // Stores a value under key, checking options' condition under the same lock.
    std::string install(std::string_view key, Blob blob,
                        std::shared_ptr<const Properties> properties, const PutOptions *options) {
        Value value{std::move(blob), now_ns(), 0, std::move(properties)};
        Table::Key k = data_->values.key(key);
        std::unique_lock lock(data_->mutex);
        if (options && options->conditional()) {
            std::string etag;
            check_condition(key, *options, current_etag(*data_, key, etag));
        }
        uint64_t generation = value.generation = ++data_->generation;
        if (Table::Entry *entry = data_->values.find(k))
            entry->value.swap_contents(value);
        else
            data_->add(k, std::move(value));
        lock.unlock();  // the old value is freed outside the lock
        return etag_of(generation);
    }

    std::string move_or_copy(std::string_view from, std::string_view to, const PutOptions &options,
                             bool move) {
        Table::Key to_key = data_->values.key(to);
        std::unique_lock lock(data_->mutex);
        Table::Entry *source = data_->values.find(from);
        if (!source)
            fail(KVPS_NOT_FOUND, std::string("cannot ") + (move ? "rename" : "copy") + " key " +
                                     quote(from) + ": it does not exist");
        std::string etag;
        check_condition(to, options, current_etag(*data_, to, etag));
        Properties old = source->value.properties ? *source->value.properties : Properties{};
        Value value{source->value.blob, now_ns(), ++data_->generation,
                    properties_of(options.properties_over(old))};
        uint64_t generation = value.generation;
        Data::Removed dropped;
        if (move && from != to) dropped = data_->remove(source);
        if (Table::Entry *entry = data_->values.find(to_key))
            entry->value.swap_contents(value);
        else
            data_->add(to_key, std::move(value));
        lock.unlock();
        return etag_of(generation);
    }

    std::optional<Blob> find(std::string_view key) {
        Table::Key k = data_->values.key(key);
        std::shared_lock lock(data_->mutex);
        Table::Entry *entry = data_->values.find(k);
        if (!entry) return std::nullopt;
        return entry->value.blob;
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
    .capabilities = KVPS_CAP_RANGE | KVPS_CAP_READ_STREAM | KVPS_CAP_LIST | KVPS_CAP_ZERO_COPY,
    .open = [](const Config &config) -> std::unique_ptr<Backend> {
        const Url &url = config.url();
        std::string name = url.host + (url.path == "/" ? "" : url.path);
        return std::make_unique<MemoryBackend>(name.empty() ? std::make_shared<Data>()
                                                            : named_store(name));
    },
}};

}  // namespace
}  // namespace kvps
