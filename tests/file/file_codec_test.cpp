// The key <-> file name codec of the file backend (internal): ob64 round-trips, preserves byte
// order exactly, refuses names that are not encodings, and compare_bits agrees with it.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "../../src/backends/file/codec.hpp"
#include "../../src/backends/file/layout.hpp"

// cmocka last: its fail() macro would clash with the C++ headers.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include <cmocka.h>
}

using kvps::file::compare_bits;
using kvps::file::ob64_decode;
using kvps::file::ob64_encode;

namespace {

std::string random_bytes(std::mt19937_64 &rng, size_t max_len) {
    std::string s(rng() % (max_len + 1), '\0');
    // Few distinct bytes, so that long shared prefixes and prefix relations are common.
    for (char &c : s)
        c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : "\x00\x01\x7f\x80\xff"[rng() % 5]);
    return s;
}

void test_known_values(void **) {
    assert_string_equal(ob64_encode("").c_str(), "");
    assert_string_equal(ob64_encode("a").c_str(), "NF");
    assert_string_equal(ob64_encode("ab").c_str(), "NL7");
    assert_string_equal(ob64_encode("abc").c_str(), "NL8Y");
    assert_string_equal(ob64_encode(std::string("\0\0\0", 3)).c_str(), "----");
    assert_string_equal(ob64_encode("\xff\xff\xff").c_str(), "zzzz");
}

void test_round_trip_and_order(void **) {
    std::mt19937_64 rng(12345);
    std::vector<std::string> keys;
    for (int i = 0; i < 20000; ++i) keys.push_back(random_bytes(rng, i % 10 == 0 ? 40 : 7));
    for (const std::string &k : keys) {
        std::string e = ob64_encode(k);
        assert_int_equal(e.size(), (k.size() * 8 + 5) / 6);
        auto d = ob64_decode(e);
        assert_true(d.has_value());
        assert_true(*d == k);
    }
    for (size_t i = 0; i + 1 < keys.size(); ++i) {
        const std::string &a = keys[i], &b = keys[i + 1];
        int bytes = a.compare(b), names = ob64_encode(a).compare(ob64_encode(b));
        if ((bytes < 0) != (names < 0) || (bytes == 0) != (names == 0))
            fail_msg("order differs for pair %zu", i);
    }
}

void test_refuses_non_encodings(void **) {
    assert_false(ob64_decode("N").has_value());    // 4n+1 symbols
    assert_false(ob64_decode("NG").has_value());   // non-zero padding bits
    assert_false(ob64_decode("N.").has_value());   // not a symbol
    assert_false(ob64_decode("NF+").has_value());  // a directory suffix is not part of a name
    assert_true(ob64_decode("NF").has_value());
}

void test_compare_bits(void **) {
    std::mt19937_64 rng(777);
    for (int i = 0; i < 5000; ++i) {
        std::string a = random_bytes(rng, 12), b = random_bytes(rng, 12);
        std::string ea = ob64_encode(a);
        // Whole symbols of a's encoding that carry only a's bits.
        std::string symbols = ea.substr(0, a.size() * 8 / 6);
        int c = compare_bits(symbols, b);
        size_t bits = std::min(symbols.size() * 6, b.size() * 8);
        // Reference: compare bit by bit.
        int ref = 0;
        for (size_t k = 0; k < bits && ref == 0; ++k) {
            int x = (static_cast<unsigned char>(a[k / 8]) >> (7 - k % 8)) & 1;
            int y = (static_cast<unsigned char>(b[k / 8]) >> (7 - k % 8)) & 1;
            ref = x - y;
        }
        if ((c < 0) != (ref < 0) || (c == 0) != (ref == 0)) fail_msg("compare_bits wrong at %d", i);
    }
}

void test_encoded_layout_names_fit(void **) {
    auto layout = kvps::file::make_layout(kvps::file::LayoutKind::encoded);
    std::string longest(1024, '\xff');
    kvps::file::Location loc = layout->locate(longest);
    assert_true(loc.dirs.size() >= 2);
    for (const std::string &d : loc.dirs) assert_true(d.size() <= 255);
    assert_true(loc.leaf.size() <= 255);
    assert_true(layout->locate("a").dirs.empty());
    assert_string_equal(layout->locate("ab").path().c_str(), "NL+/7");
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_round_trip_and_order),
        cmocka_unit_test(test_refuses_non_encodings),
        cmocka_unit_test(test_compare_bits),
        cmocka_unit_test(test_encoded_layout_names_fit),
    };
    return cmocka_run_group_tests_name("file-codec", tests, nullptr, nullptr);
}
