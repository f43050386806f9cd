#include "prefixed.hpp"

#include <initializer_list>
#include <vector>

namespace kvps {
namespace {

// message with each quoted full name of keys replaced by the caller's key; a key found too
// long is told that the prefix counted.
std::string caller_message(const std::string &prefix, kvps_status status, std::string message,
                           std::initializer_list<std::string_view> keys) {
    bool named = false;
    for (std::string_view key : keys) {
        std::string full = quote(prefix + std::string(key)), own = quote(key);
        for (size_t at = 0; (at = message.find(full, at)) != std::string::npos; at += own.size()) {
            message.replace(at, full.size(), own);
            named = true;
        }
    }
    if (named && status == KVPS_INVALID_KEY)
        message += " (counted with the store's prefix " + quote(prefix) + ")";
    return message;
}

// Runs fn; a kvps::Error it throws is thrown again naming the caller's keys.
template <typename Fn>
auto for_caller(const std::string &prefix, std::initializer_list<std::string_view> keys, Fn &&fn)
    -> decltype(fn()) {
    try {
        return fn();
    } catch (const Error &e) {
        throw Error(e.status(), caller_message(prefix, e.status(), e.message(), keys));
    }
}

class PrefixedReader final : public Reader {
public:
    PrefixedReader(std::unique_ptr<Reader> inner, std::string prefix, std::string key)
        : inner_(std::move(inner)), prefix_(std::move(prefix)), key_(std::move(key)) {}
    size_t read(void *buffer, size_t capacity) override {
        return for_caller(prefix_, {key_}, [&] { return inner_->read(buffer, capacity); });
    }
    uint64_t value_size() const override { return inner_->value_size(); }
    bool seek(uint64_t offset, uint64_t end) override {
        return for_caller(prefix_, {key_}, [&] { return inner_->seek(offset, end); });
    }
    std::string etag() const override { return inner_->etag(); }
    std::optional<uint32_t> checksum() const override { return inner_->checksum(); }
    std::optional<SharedBytes> read_shared(size_t max) override {
        return for_caller(prefix_, {key_}, [&] { return inner_->read_shared(max); });
    }

private:
    std::unique_ptr<Reader> inner_;
    std::string prefix_, key_;
};

class PrefixedWriter final : public Writer {
public:
    PrefixedWriter(std::unique_ptr<Writer> inner, std::string prefix, std::string key)
        : inner_(std::move(inner)), prefix_(std::move(prefix)), key_(std::move(key)) {}
    void write(const void *data, size_t size) override {
        for_caller(prefix_, {key_}, [&] { inner_->write(data, size); });
    }
    void write_shared(const SharedBytes &part) override {
        for_caller(prefix_, {key_}, [&] { inner_->write_shared(part); });
    }
    void commit() override {
        for_caller(prefix_, {key_}, [&] { inner_->commit(); });
    }
    void abort() noexcept override { inner_->abort(); }
    std::string etag() const override { return inner_->etag(); }

private:
    std::unique_ptr<Writer> inner_;
    std::string prefix_, key_;
};

class PrefixedBackend final : public Backend {
public:
    PrefixedBackend(std::unique_ptr<Backend> inner, std::string prefix)
        : inner_(std::move(inner)), prefix_(std::move(prefix)) {}

    void put(std::string_view key, const void *data, size_t size) override {
        run({key}, [&] { inner_->put(name(key), data, size); });
    }
    std::optional<Bytes> get(std::string_view key) override {
        return run({key}, [&] { return inner_->get(name(key)); });
    }
    std::optional<Metadata> stat(std::string_view key) override {
        return run({key}, [&] { return inner_->stat(name(key)); });
    }
    void remove(std::string_view key) override {
        run({key}, [&] { inner_->remove(name(key)); });
    }
    ListResult list(std::string_view prefix, std::string_view token, size_t limit) override {
        return stripped(run({prefix}, [&] { return inner_->list(name(prefix), token, limit); }));
    }
    ListResult list_with(const ListQuery &query) override {
        std::string prefix = name(query.prefix);
        std::string after = query.start_after.empty() ? "" : name(query.start_after);
        ListQuery full = query;
        full.prefix = prefix;
        full.start_after = after;
        return stripped(run({query.prefix}, [&] { return inner_->list_with(full); }));
    }
    std::optional<Bytes> get_range(std::string_view key, uint64_t offset,
                                   uint64_t length) override {
        return run({key}, [&] { return inner_->get_range(name(key), offset, length); });
    }
    std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
        auto reader = run({key}, [&] { return inner_->open_reader(name(key), offset, length); });
        if (!reader) return nullptr;
        return std::make_unique<PrefixedReader>(std::move(reader), prefix_, std::string(key));
    }
    std::unique_ptr<Writer> open_writer(std::string_view key) override {
        auto writer = run({key}, [&] { return inner_->open_writer(name(key)); });
        return std::make_unique<PrefixedWriter>(std::move(writer), prefix_, std::string(key));
    }
    std::unique_ptr<Writer> open_writer_with(std::string_view key,
                                             const PutOptions &options) override {
        auto writer = run({key}, [&] { return inner_->open_writer_with(name(key), options); });
        return std::make_unique<PrefixedWriter>(std::move(writer), prefix_, std::string(key));
    }
    void put_many(std::span<PutItem> items) override {
        batch(items, [&](std::span<PutItem> full) { inner_->put_many(full); });
    }
    void get_many(std::span<GetItem> items) override {
        batch(items, [&](std::span<GetItem> full) { inner_->get_many(full); });
    }
    void delete_many(std::span<DeleteItem> items) override {
        batch(items, [&](std::span<DeleteItem> full) { inner_->delete_many(full); });
    }
    std::optional<Bytes> get_checked(std::string_view key,
                                     std::optional<uint32_t> &crc32c) override {
        return run({key}, [&] { return inner_->get_checked(name(key), crc32c); });
    }
    void put_shared(std::string_view key, const SharedBytes &value) override {
        run({key}, [&] { inner_->put_shared(name(key), value); });
    }
    std::optional<SharedBytes> get_shared(std::string_view key,
                                          std::optional<uint32_t> &crc32c) override {
        return run({key}, [&] { return inner_->get_shared(name(key), crc32c); });
    }
    std::optional<uint64_t> get_into(std::string_view key, uint64_t offset, void *buffer,
                                     size_t capacity, std::optional<uint32_t> &crc32c) override {
        return run({key},
                   [&] { return inner_->get_into(name(key), offset, buffer, capacity, crc32c); });
    }
    std::string presign(std::string_view key, std::string_view method,
                        uint64_t expires_seconds) override {
        return run({key}, [&] { return inner_->presign(name(key), method, expires_seconds); });
    }
    std::string put_with(std::string_view key, const void *data, size_t size,
                         const PutOptions &options) override {
        return run({key}, [&] { return inner_->put_with(name(key), data, size, options); });
    }
    std::optional<Bytes> get_with(std::string_view key, Metadata &meta) override {
        return run({key}, [&] { return inner_->get_with(name(key), meta); });
    }
    std::string copy(std::string_view from, std::string_view to,
                     const PutOptions &options) override {
        return run({from, to}, [&] { return inner_->copy(name(from), name(to), options); });
    }
    std::string rename(std::string_view from, std::string_view to,
                       const PutOptions &options) override {
        return run({from, to}, [&] { return inner_->rename(name(from), name(to), options); });
    }

    // An operation the backend runs itself (its I/O thread): the full name in, the caller's key
    // in its message out.
    std::shared_ptr<AsyncOperation> start(const AsyncRequest &request, AsyncDone done) override {
        std::string full = name(request.key);
        AsyncRequest inner = request;
        inner.key = full;
        auto told = [prefix = prefix_, key = std::string(request.key),
                     done = std::move(done)](AsyncResult result) {
            if (!result.message.empty())
                result.message =
                    caller_message(prefix, result.status, std::move(result.message), {key});
            done(std::move(result));
        };
        return run({request.key}, [&] { return inner_->start(inner, std::move(told)); });
    }

private:
    std::string name(std::string_view key) const { return prefix_ + std::string(key); }

    template <typename Fn>
    auto run(std::initializer_list<std::string_view> keys, Fn &&fn) -> decltype(fn()) {
        return for_caller(prefix_, keys, std::forward<Fn>(fn));
    }

    // Keys and common prefixes without the store's prefix (anything else the backend listed
    // is outside the store).
    ListResult stripped(ListResult result) const {
        auto strip = [this](std::string &item) {
            if (!item.starts_with(prefix_)) return false;
            item.erase(0, prefix_.size());
            return true;
        };
        std::erase_if(result.entries, [&](Entry &e) { return !strip(e.key); });
        std::erase_if(result.prefixes, [&](std::string &p) { return !strip(p); });
        return result;
    }

    // Runs a batch call on copies of items naming full names, then gives each item its
    // outcome back with its message naming the caller's key.
    template <typename Item, typename Call>
    void batch(std::span<Item> items, Call &&call) {
        std::vector<std::string> names;
        names.reserve(items.size());
        for (const Item &item : items) names.push_back(name(item.key));
        std::vector<Item> full;
        full.reserve(items.size());
        for (size_t i = 0; i < items.size(); ++i) {
            full.push_back(std::move(items[i]));
            full.back().key = names[i];
        }
        run({}, [&] { call(std::span<Item>(full)); });
        for (size_t i = 0; i < full.size(); ++i) {
            std::string_view key = items[i].key;
            items[i] = std::move(full[i]);
            items[i].key = key;
            items[i].error =
                caller_message(prefix_, items[i].status, std::move(items[i].error), {key});
        }
    }

    std::unique_ptr<Backend> inner_;
    std::string prefix_;
};

}  // namespace

std::unique_ptr<Backend> with_prefix(std::unique_ptr<Backend> backend, std::string prefix) {
    if (prefix.empty()) return backend;
    return std::make_unique<PrefixedBackend>(std::move(backend), std::move(prefix));
}

}  // namespace kvps
