// Unit tests of issue #15's core pieces: CRC32C (known vectors, the hardware path against a
// bitwise reference, the hex and base64 forms) and the generic delimiter / start_after fold
// that backends without a native listing by level get.
#include <algorithm>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spi/backend.hpp"
#include "spi/checksum.hpp"
#include "spi/error.hpp"
#include "kvps.h"

// After our headers: cmocka defines a fail() macro.
extern "C" {
#include <cmocka.h>
}

using namespace kvps;

namespace {

uint32_t reference_crc32c(const unsigned char *p, size_t n) {
    uint32_t c = ~0u;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (c & 1 ? 0x82f63b78u : 0);
    }
    return ~c;
}

void test_crc32c(void **) {
    assert_int_equal(crc32c("123456789", 9), 0xe3069283u);  // the standard check value
    assert_int_equal(crc32c("", 0), 0);
    std::vector<unsigned char> data(100003);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<unsigned char>(i * 131 + (i >> 7));
    uint32_t whole = crc32c(data.data(), data.size());
    assert_int_equal(whole, reference_crc32c(data.data(), data.size()));
    for (size_t cut : {size_t{0}, size_t{1}, size_t{7}, size_t{4096}, size_t{99999}}) {
        uint32_t part = crc32c(data.data(), cut);
        assert_int_equal(crc32c(data.data() + cut, data.size() - cut, part), whole);
    }
    // Parts' checksums combine into the whole value's (multipart uploads).
    for (size_t cut : {size_t{0}, size_t{1}, size_t{8}, size_t{5000}, size_t{100003}}) {
        uint32_t a = crc32c(data.data(), cut), b = crc32c(data.data() + cut, data.size() - cut);
        assert_int_equal(crc32c_combine(a, b, data.size() - cut), whole);
    }
    assert_int_equal(crc32c_combine(crc32c("12345", 5), crc32c("6789", 4), 4), 0xe3069283u);
    assert_string_equal(crc32c_hex(0xe3069283u).c_str(), "e3069283");
    assert_int_equal(*crc32c_from_hex("E3069283"), 0xe3069283u);
    assert_false(crc32c_from_hex("e306928").has_value());
    assert_false(crc32c_from_hex("e306928g").has_value());
    // x-amz-checksum-crc32c is the base64 of the big-endian bytes: 4waSgw== for e3069283.
    assert_string_equal(crc32c_base64(0xe3069283u).c_str(), "4waSgw==");
    assert_string_equal(crc32c_base64(0).c_str(), "AAAAAA==");
    assert_int_equal(*crc32c_from_base64("4waSgw=="), 0xe3069283u);
    assert_false(crc32c_from_base64("4waSgw==-2").has_value());  // a multipart composite
    assert_false(crc32c_from_base64("4waSgx==").has_value());    // non-zero padding bits
    try {
        check_crc32c("some/key", 0x12345678u, 0x9abcdef0u);
        fail_msg("a mismatch passed");
    } catch (const Error &e) {
        assert_int_equal(e.status(), KVPS_CORRUPT);
        for (const char *part : {"some/key", "12345678", "9abcdef0"})
            if (!strstr(e.message().c_str(), part))
                fail_msg("message lacks %s: %s", part, e.message().c_str());
    }
    check_crc32c("k", 7, 7);
}

// A backend with only the basics and a flat list(): its token is the last key returned.
class FlatBackend final : public Backend {
public:
    std::map<std::string, std::string> values;
    int list_calls = 0;
    void put(std::string_view key, const void *data, size_t size) override {
        values[std::string(key)] = std::string(static_cast<const char *>(data), size);
    }
    std::optional<Bytes> get(std::string_view key) override {
        auto it = values.find(std::string(key));
        if (it == values.end()) return std::nullopt;
        return Bytes::copy(it->second.data(), it->second.size());
    }
    std::optional<Metadata> stat(std::string_view) override { return std::nullopt; }
    void remove(std::string_view key) override { values.erase(std::string(key)); }
    ListResult list(std::string_view prefix, std::string_view token, size_t limit) override {
        ++list_calls;
        ListResult out;
        auto it = token.empty() ? values.lower_bound(std::string(prefix))
                                : values.upper_bound(std::string(token));
        for (; it != values.end() && it->first.starts_with(prefix); ++it) {
            if (out.entries.size() == limit) {
                out.next = out.entries.back().key;
                break;
            }
            out.entries.push_back(Entry{it->first, it->second.size(), 0, ""});
        }
        return out;
    }
};

// Every item of a listing, page by page: "k:KEY" and "p:PREFIX" in byte order.
std::string fold_all(Backend &b, std::string_view prefix, std::string_view delimiter,
                     std::string_view after, size_t limit) {
    std::string out, token;
    for (int pages = 0; pages < 100; ++pages) {
        ListResult r =
            b.list_with(ListQuery{prefix, token, token.empty() ? after : "", delimiter, limit});
        assert_true(r.entries.size() + r.prefixes.size() <= limit);
        std::vector<std::string> items;
        for (const Entry &e : r.entries) items.push_back("k:" + e.key);
        for (const std::string &p : r.prefixes) items.push_back("p:" + p);
        std::sort(items.begin(), items.end(), [](const std::string &a, const std::string &b) {
            return a.substr(2) < b.substr(2);
        });
        for (const std::string &i : items) out += (out.empty() ? "" : " ") + i;
        if (r.next.empty()) return out;
        token = r.next;
    }
    fail_msg("the listing does not end");
    return out;
}

void test_generic_fold(void **) {
    FlatBackend b;
    for (const char *k : {"a", "b/1", "b/2", "b/c/3", "c-d", "c/x", "z"}) b.put(k, "v", 1);
    for (size_t limit : {1, 2, 3, 1000}) {
        assert_string_equal(fold_all(b, "", "/", "", limit).c_str(), "k:a p:b/ k:c-d p:c/ k:z");
        assert_string_equal(fold_all(b, "b/", "/", "", limit).c_str(), "k:b/1 k:b/2 p:b/c/");
        assert_string_equal(fold_all(b, "", "/", "b/1", limit).c_str(), "k:c-d p:c/ k:z");
        assert_string_equal(fold_all(b, "", "", "b/2", limit).c_str(), "k:b/c/3 k:c-d k:c/x k:z");
        assert_string_equal(fold_all(b, "", "-", "", limit).c_str(),
                            "k:a k:b/1 k:b/2 k:b/c/3 p:c- k:c/x k:z");
    }
    // A flat listing without start_after is the backend's own list(), tokens and all.
    b.list_calls = 0;
    ListResult r = b.list_with(ListQuery{"", "", "", "", 2});
    assert_int_equal(b.list_calls, 1);
    assert_string_equal(r.next.c_str(), "b/1");
    assert_string_equal(common_prefix("a/b/c", "a/", "/").data(), "a/b/c");
    assert_int_equal(common_prefix("a/b/c", "a/", "/").size(), 4);
    assert_true(common_prefix("a/b", "a/", "/").empty());
    assert_true(common_prefix("a/b/c", "a/", "").empty());
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c),
        cmocka_unit_test(test_generic_fold),
    };
    return cmocka_run_group_tests_name("core-reads", tests, nullptr, nullptr);
}
