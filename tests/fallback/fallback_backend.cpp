// fallback-test://: a backend for the tests only, never part of the library. It implements the
// four required operations (put, get, stat, remove) and nothing else, declares no capability,
// and so sends every stream, range and batch call of the conformance suite through the generic
// fallbacks of the core; listing is KVPS_UNSUPPORTED. It uses only the backend interface.
//
// Each handle has its own private store, gone when the handle closes. The option fail_prefix
// makes put, get and remove of keys that start with it fail (KVPS_IO), so a test can see what
// the fallbacks do with one failing item of a batch.
#include <chrono>
#include <map>
#include <mutex>

#include "spi/backend.hpp"
#include "spi/registrar.hpp"

namespace kvps {
namespace {

struct StoredValue {
    Bytes bytes;
    Metadata metadata;
};

class FallbackTestBackend final : public Backend {
public:
    explicit FallbackTestBackend(std::string fail_prefix) : fail_prefix_(std::move(fail_prefix)) {}

    void put(std::string_view key, const void *data, size_t size) override {
        maybe_fail("put", key);
        StoredValue value;
        value.bytes = Bytes::copy(data, size);
        value.metadata.size = size;
        value.metadata.mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
        std::lock_guard lock(mutex_);
        value.metadata.etag = "f" + std::to_string(++generation_);
        values_.insert_or_assign(std::string(key), std::move(value));
    }

    std::optional<Bytes> get(std::string_view key) override {
        maybe_fail("get", key);
        std::lock_guard lock(mutex_);
        auto it = values_.find(key);
        if (it == values_.end()) return std::nullopt;
        return Bytes::copy(it->second.bytes.data(), it->second.bytes.size());
    }

    std::optional<Metadata> stat(std::string_view key) override {
        std::lock_guard lock(mutex_);
        auto it = values_.find(key);
        if (it == values_.end()) return std::nullopt;
        return it->second.metadata;
    }

    void remove(std::string_view key) override {
        maybe_fail("remove", key);
        std::lock_guard lock(mutex_);
        auto it = values_.find(key);
        if (it != values_.end()) values_.erase(it);
    }

private:
    void maybe_fail(const char *op, std::string_view key) const {
        if (!fail_prefix_.empty() && key.starts_with(fail_prefix_))
            fail(KVPS_IO,
                 std::string("fallback-test: injected failure of ") + op + " " + quote(key));
    }

    const std::string fail_prefix_;
    std::mutex mutex_;
    std::map<std::string, StoredValue, std::less<>> values_;
    uint64_t generation_ = 0;
};

const Registrar registrar{{
    .name = "fallback-test",
    .description = "Test-only store with just put/get/stat/remove, so the core's fallbacks run",
    .schemes = {"fallback-test"},
    .options = {{.name = "fail_prefix",
                 .type = KVPS_OPTION_STRING,
                 .default_value = std::nullopt,
                 .required = false,
                 .description = "put, get and remove of keys starting with this fail (KVPS_IO)"}},
    .capabilities = 0,
    .open = [](const Config &config) -> std::unique_ptr<Backend> {
        std::string fail_prefix = config.given("fail_prefix") ? config.string("fail_prefix") : "";
        return std::make_unique<FallbackTestBackend>(std::move(fail_prefix));
    },
}};

}  // namespace
}  // namespace kvps
