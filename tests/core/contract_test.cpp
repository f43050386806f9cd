// The C contract of include/kvps.h, point by point (issue 12), through the public API, with
// a minimal backend registered here that implements only put/get/stat/remove: it exercises
// every generic fallback of the core and a store that cannot list.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

#include "kvps.h"
#include "spi/backend.hpp"
#include "spi/registrar.hpp"

// cmocka last: it defines macros (fail, skip) that clash with standard headers.
#include <cstdarg>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}
#include "../kvps_test.h"

namespace {

std::atomic<int> g_basic_alive{0};  // backends of the basic store not yet destroyed

// The least a backend implements: put/get/stat/remove. Etags change on every put.
class BasicBackend final : public kvps::Backend {
public:
    BasicBackend() { ++g_basic_alive; }
    ~BasicBackend() override { --g_basic_alive; }
    void put(std::string_view key, const void *data, size_t size) override {
        std::lock_guard lock(mutex_);
        values_[std::string(key)] = {std::string(static_cast<const char *>(data), size),
                                     ++generation_};
    }
    std::optional<kvps::Bytes> get(std::string_view key) override {
        std::lock_guard lock(mutex_);
        auto it = values_.find(std::string(key));
        if (it == values_.end()) return std::nullopt;
        return kvps::Bytes::copy(it->second.first.data(), it->second.first.size());
    }
    std::optional<kvps::Metadata> stat(std::string_view key) override {
        std::lock_guard lock(mutex_);
        auto it = values_.find(std::string(key));
        if (it == values_.end()) return std::nullopt;
        return kvps::Metadata{it->second.first.size(), 0, "g" + std::to_string(it->second.second)};
    }
    void remove(std::string_view key) override {
        std::lock_guard lock(mutex_);
        values_.erase(std::string(key));
    }

private:
    std::mutex mutex_;
    std::map<std::string, std::pair<std::string, uint64_t>> values_;
    uint64_t generation_ = 0;
};

const kvps::Registrar basic_registrar{{
    .name = "contract-basic",
    .description = "put/get/stat/remove only, for the contract tests",
    .schemes = {"contract-basic"},
    .options = {},
    .capabilities = 0,
    .open = [](const kvps::Config &) -> std::unique_ptr<kvps::Backend> {
        return std::make_unique<BasicBackend>();
    },
}};

kvps_store *open_store(const char *url) {
    kvps_store *s = nullptr;
    ASSERT_OK(kvps_open(url, &s));
    return s;
}

}  // namespace

// 1. Every call that returns a status sets kvps_last_error(); OK and NOT_FOUND set "".
static void test_no_stale_message(void **) {
    kvps_store *s = open_store("memory://");
    void *data = nullptr;
    size_t size = 0;
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put(s, "", "v", 1));
    assert_true(kvps_last_error()[0] != '\0');
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(s, "missing", &data, &size));
    assert_string_equal(kvps_last_error(), "");
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_get(s, "bad\n", &data, &size));
    ASSERT_OK(kvps_put(s, "k", "v", 1));
    assert_string_equal(kvps_last_error(), "");
    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_stat(s, "", &info));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(s, "missing", &info));
    assert_string_equal(kvps_last_error(), "");
    kvps_reader *r = nullptr;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_reader_open(s, "k", 0, KVPS_TO_END, nullptr));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_reader_open(s, "missing", 0, KVPS_TO_END, &r));
    assert_string_equal(kvps_last_error(), "");
    kvps_close(s);
}

// 2. Out-parameters only on success: a failed read leaves *n as it was.
static void test_out_parameters_only_on_success(void **) {
    char dir[] = "/tmp/kvps-contract-XXXXXX";
    assert_non_null(mkdtemp(dir));
    std::string url = std::string("file://") + dir + "?pathmapped=true";
    kvps_store *s = open_store(url.c_str());
    ASSERT_OK(kvps_put(s, "value", "0123456789", 10));
    kvps_reader *r = nullptr;
    ASSERT_OK(kvps_reader_open(s, "value", 0, KVPS_TO_END, &r));
    // Cut the file under the reader: its next read finds the value ended early.
    std::string path = std::string(dir) + "/value";
    assert_int_equal(truncate(path.c_str(), 0), 0);
    char buf[16];
    size_t n = 777;
    ASSERT_STATUS(KVPS_IO, kvps_reader_read(r, buf, sizeof buf, &n));
    assert_int_equal(n, 777);
    ASSERT_MESSAGE_HAS("value");
    kvps_reader_close(r);
    void *data = &n;
    size_t size = 5;
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_get(s, "", &data, &size));
    assert_ptr_equal(data, &n);
    assert_int_equal(size, 5);
    ASSERT_OK(kvps_delete(s, "value"));
    kvps_close(s);
    std::filesystem::remove_all(dir);
}

// 3. A reader that cannot stay on its version: seek succeeds, the next read refuses.
static void test_reader_version_after_seek(void **) {
    kvps_store *s = open_store("contract-basic://");
    ASSERT_OK(kvps_put(s, "k", "AAAAAAAAAAAAAAAAAAAA", 20));
    kvps_reader *r = nullptr;
    char buf[32];
    size_t n = 0;
    ASSERT_OK(kvps_reader_open(s, "k", 10, KVPS_TO_END, &r));  // holds bytes 10..20 only
    ASSERT_OK(kvps_reader_read(r, buf, 4, &n));
    assert_int_equal(n, 4);
    ASSERT_OK(kvps_put(s, "k", "BBBBBBBBBBBBBBBBBBBB", 20));  // same size, new etag
    ASSERT_OK(kvps_reader_seek(r, 0));                        // only moves
    n = 777;
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_reader_read(r, buf, sizeof buf, &n));
    assert_int_equal(n, 777);
    ASSERT_MESSAGE_HAS("changed");
    kvps_reader_close(r);

    // Unchanged value: the seek back reopens and reads on.
    ASSERT_OK(kvps_reader_open(s, "k", 10, KVPS_TO_END, &r));
    ASSERT_OK(kvps_reader_seek(r, 2));
    ASSERT_OK(kvps_reader_read(r, buf, 3, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "BBB", 3);
    ASSERT_OK(kvps_delete(s, "k"));
    ASSERT_OK(kvps_reader_seek(r, 0));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_reader_read(r, buf, 3, &n));
    ASSERT_MESSAGE_HAS("deleted");
    kvps_reader_close(r);
    kvps_close(s);
}

// 4. Every operation works on a put/get/stat/remove backend, but kvps_list, which says so.
static void test_fallbacks_and_list(void **) {
    kvps_store *s = open_store("contract-basic://");
    assert_int_equal(kvps_capabilities(s) & KVPS_CAP_LIST, 0);
    kvps_list_page *page = nullptr;
    ASSERT_STATUS(KVPS_UNSUPPORTED, kvps_list(s, "", nullptr, 0, &page));
    assert_null(page);
    ASSERT_MESSAGE_HAS("contract-basic");
    ASSERT_OK(kvps_put(s, "k", "0123456789", 10));
    void *data = nullptr;
    size_t size = 0;
    ASSERT_OK(kvps_get_range(s, "k", 8, 100, &data, &size));
    assert_int_equal(size, 2);
    assert_memory_equal(data, "89", 2);
    kvps_free(data);
    kvps_writer *w = nullptr;
    ASSERT_OK(kvps_writer_open(s, "w", &w));
    ASSERT_OK(kvps_writer_write(w, "ab", 2));
    ASSERT_OK(kvps_writer_commit(w));
    const char *keys[] = {"k", "w", "none"};
    void *values[3];
    size_t sizes[3];
    kvps_status st[3];
    ASSERT_OK(kvps_get_many(s, 3, keys, values, sizes, st));
    assert_int_equal(st[2], KVPS_NOT_FOUND);
    assert_memory_equal(values[1], "ab", 2);
    for (void *v : values) kvps_free(v);
    kvps_close(s);
}

// 5. Closing a store with a reader and a writer open: they keep working, and the backend
// goes when the last of them does.
static void test_close_with_open_streams(void **) {
    int before = g_basic_alive;
    kvps_store *s = open_store("contract-basic://");
    ASSERT_OK(kvps_put(s, "k", "hello", 5));
    kvps_reader *r = nullptr;
    kvps_writer *w = nullptr;
    ASSERT_OK(kvps_reader_open(s, "k", 0, KVPS_TO_END, &r));
    ASSERT_OK(kvps_writer_open(s, "w", &w));
    kvps_list_page *page = nullptr;
    kvps_close(s);
    assert_int_equal(g_basic_alive, before + 1);
    char buf[8];
    size_t n = 0;
    ASSERT_OK(kvps_reader_read(r, buf, sizeof buf, &n));
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "hello", 5);
    kvps_reader_close(r);
    assert_int_equal(g_basic_alive, before + 1);
    ASSERT_OK(kvps_writer_write(w, "x", 1));
    ASSERT_OK(kvps_writer_commit(w));
    assert_int_equal(g_basic_alive, before);
    kvps_list_page_free(page);

    // A list page outlives its store too (memory:// lists).
    s = open_store("memory://");
    ASSERT_OK(kvps_put(s, "a", "1", 1));
    ASSERT_OK(kvps_list(s, "", nullptr, 0, &page));
    kvps_close(s);
    assert_int_equal(kvps_list_page_count(page), 1);
    assert_string_equal(kvps_list_page_entry(page, 0)->key, "a");
    kvps_list_page_free(page);
}

// 6. Every failed batch item has its own message.
static void test_batch_item_messages(void **) {
    kvps_store *s = open_store("memory://");
    const char *keys[] = {"", "good", "bad\x01key"};
    const void *data[] = {"a", "b", "c"};
    size_t sizes[] = {1, 1, 1};
    kvps_status st[3];
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put_many(s, 3, keys, data, sizes, st));
    ASSERT_MESSAGE_HAS("item 0");
    assert_true(kvps_last_item_error(0)[0] != '\0');
    assert_string_equal(kvps_last_item_error(1), "");
    assert_non_null(std::strstr(kvps_last_item_error(2), "bad\\x01key"));
    assert_string_equal(kvps_last_item_error(3), "");
    // NOT_FOUND items have no message; the next call forgets the batch.
    const char *get_keys[] = {"good", "missing", ""};
    void *values[3];
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_get_many(s, 3, get_keys, values, sizes, st));
    assert_string_equal(kvps_last_item_error(1), "");
    assert_true(kvps_last_item_error(2)[0] != '\0');
    kvps_free(values[0]);
    ASSERT_OK(kvps_delete(s, "good"));
    assert_string_equal(kvps_last_item_error(2), "");
    kvps_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_stale_message),
        cmocka_unit_test(test_out_parameters_only_on_success),
        cmocka_unit_test(test_reader_version_after_seek),
        cmocka_unit_test(test_fallbacks_and_list),
        cmocka_unit_test(test_close_with_open_streams),
        cmocka_unit_test(test_batch_item_messages),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
