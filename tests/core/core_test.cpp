// Unit tests of the core's internals: URL parsing (a table of good and bad URLs), the typed
// option engine, cursors, key checks and the logger. cmocka, driven from C++.
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <csetjmp>
#include <cstring>
#include <string>
#include <vector>

#include "option_check.hpp"
#include "cursor.hpp"
#include "spi/error.hpp"
#include "keys.hpp"
#include "spi/text.hpp"
#include "kvps.h"
#include "url.hpp"

// After our headers: cmocka defines a fail() macro.
extern "C" {
#include <cmocka.h>
}

using namespace kvps;

static kvps_status status_of(auto &&fn, std::string *message = nullptr) {
    try {
        fn();
        return KVPS_OK;
    } catch (const Error &e) {
        if (message) *message = e.message();
        return e.status();
    }
}

static void test_good_urls(void **) {
    struct Case {
        const char *text, *scheme, *host, *port, *path;
        size_t query_count;
    } cases[] = {
        {"memory://", "memory", "", "", "", 0},
        {"MEMORY://Name", "memory", "Name", "", "", 0},
        {"file:///var/lib/app", "file", "", "", "/var/lib/app", 0},
        {"file://./relative/dir", "file", ".", "", "/relative/dir", 0},
        {"file:///with%20space/and%2Fslash", "file", "", "", "/with space/and/slash", 0},
        {"s3://bucket/pre/fix?region=us-east-1&endpoint=http%3A%2F%2F127.0.0.1%3A9000", "s3",
         "bucket", "", "/pre/fix", 2},
        {"s3://bucket?a=1&&b=", "s3", "bucket", "", "", 2},
        {"postgres://user:p%40ss@db.example:5432/kvps", "postgres", "db.example", "5432", "/kvps",
         0},
        {"x+y.z-w://[::1]:80/p", "x+y.z-w", "[::1]", "80", "/p", 0},
    };
    for (const Case &c : cases) {
        Url u = parse_url(c.text);
        assert_string_equal(u.scheme.c_str(), c.scheme);
        assert_string_equal(u.host.c_str(), c.host);
        assert_string_equal(u.port.c_str(), c.port);
        assert_string_equal(u.path.c_str(), c.path);
        assert_int_equal(u.query.size(), c.query_count);
    }
    Url u = parse_url("postgres://user:p%40ss@db/kvps");
    assert_string_equal(u.user.c_str(), "user");
    assert_string_equal(u.password.c_str(), "p@ss");
    Url q = parse_url("s3://b?endpoint=http%3A%2F%2Fh%3A1&secret=a+b/c");
    assert_string_equal(q.query[0].second.c_str(), "http://h:1");
    assert_string_equal(q.query[1].second.c_str(), "a+b/c");  // '+' is literal, as secrets need
}

static void test_bad_urls(void **) {
    struct Case {
        const char *text, *mention;
    } cases[] = {
        {"", "scheme"},
        {"nocolon", "scheme"},
        {":x", "scheme"},
        {"1abc://x", "letter"},
        {"a_b://x", "scheme"},
        {"memory:x", "//"},
        {"memory://x#frag", "fragment"},
        {"memory://x%", "percent"},
        {"memory://x/%g1", "%g1"},
        {"memory://x:abc", "port"},
        {"memory://x:", "port"},
        {"memory://x:70000", "port"},
        {"memory://[::1", "IPv6"},
        {"memory://x?=v", "name"},
        {"memory://x\n", "control"},
    };
    for (const Case &c : cases) {
        std::string message;
        kvps_status st = status_of([&] { parse_url(c.text); }, &message);
        if (st != KVPS_INVALID_URL) fail_msg("\"%s\" gave %s", c.text, kvps_status_name(st));
        if (message.find(c.mention) == std::string::npos)
            fail_msg("\"%s\": message lacks \"%s\": %s", c.text, c.mention, message.c_str());
    }
    // A bad escape in a password or option value never echoes the secret text.
    std::string message;
    status_of([&] { parse_url("s3://u:topsecret%zz@h/"); }, &message);
    assert_null(std::strstr(message.c_str(), "topsecret"));
    status_of([&] { parse_url("s3://h/?secret_access_key=hunter2%zz"); }, &message);
    assert_null(std::strstr(message.c_str(), "hunter2"));
    assert_non_null(std::strstr(message.c_str(), "secret_access_key"));
}

static void test_option_types(void **) {
    assert_true(*parse_bool("TRUE"));
    assert_true(*parse_bool("yes"));
    assert_true(*parse_bool("On"));
    assert_true(*parse_bool("1"));
    assert_false(*parse_bool("off"));
    assert_false(*parse_bool("No"));
    assert_false(parse_bool("maybe").has_value());
    assert_int_equal(*parse_integer("-42"), -42);
    assert_false(parse_integer("4x").has_value());
    assert_false(parse_integer("99999999999999999999").has_value());
    assert_int_equal(*parse_size("8MiB"), 8u << 20);
    assert_int_equal(*parse_size("512k"), 512u << 10);
    assert_int_equal(*parse_size("1G"), 1ull << 30);
    assert_int_equal(*parse_size("1048576"), 1048576u);
    assert_false(parse_size("8 parsecs").has_value());
    assert_false(parse_size("-1").has_value());
    assert_false(parse_size("99999999999T").has_value());
    assert_int_equal(parse_duration("250ms")->count(), 250);
    assert_int_equal(parse_duration("30s")->count(), 30000);
    assert_int_equal(parse_duration("5m")->count(), 300000);
    assert_int_equal(parse_duration("2")->count(), 2000);
    assert_false(parse_duration("soon").has_value());
}

static void test_option_checks(void **) {
    std::vector<OptionSpec> specs = {
        {"pathmapped", KVPS_OPTION_BOOL, "false", false, "map keys to paths"},
        {"part_size", KVPS_OPTION_SIZE, "8MiB", false, "part size"},
        {"secret_access_key", KVPS_OPTION_SECRET, std::nullopt, false, "secret"},
        {"region", KVPS_OPTION_STRING, std::nullopt, true, "the region"},
    };
    using Pairs = std::vector<std::pair<std::string, std::string>>;
    std::string message;
    // Unknown option: named, nearest suggested, valid ones listed.
    assert_int_equal(status_of(
                         [&] {
                             check_options("x", specs, Pairs{{"pathmaped", "1"}}, {});
                         },
                         &message),
                     KVPS_INVALID_OPTION);
    assert_non_null(std::strstr(message.c_str(), "\"pathmaped\""));
    assert_non_null(std::strstr(message.c_str(), "did you mean \"pathmapped\""));
    assert_non_null(std::strstr(message.c_str(), "part_size"));
    // Wrong type: option, value and type named.
    assert_int_equal(
        status_of(
            [&] {
                check_options("x", specs, Pairs{{"pathmapped", "maybe"}, {"region", "r"}}, {});
            },
            &message),
        KVPS_INVALID_OPTION);
    assert_non_null(std::strstr(message.c_str(), "pathmapped"));
    assert_non_null(std::strstr(message.c_str(), "maybe"));
    assert_non_null(std::strstr(message.c_str(), "bool"));
    // Missing required option.
    assert_int_equal(status_of([&] { check_options("x", specs, Pairs{}, {}); }, &message),
                     KVPS_INVALID_OPTION);
    assert_non_null(std::strstr(message.c_str(), "region"));
    // Duplicate in the URL.
    assert_int_equal(status_of([&] {
                         check_options("x", specs, Pairs{{"region", "a"}, {"REGION", "b"}}, {});
                     }),
                     KVPS_INVALID_OPTION);
    // Names are case-insensitive; options outside the URL win.
    auto values = check_options("x", specs, Pairs{{"Region", "a"}, {"PATHMAPPED", "yes"}},
                                Pairs{{"region", "b"}});
    assert_string_equal(values["region"].c_str(), "b");
    Config config(parse_url("x://h"), values, &specs);
    assert_true(config.boolean("pathmapped"));
    assert_int_equal(config.size("part_size"), 8u << 20);  // the default
    assert_false(config.given("part_size"));
    assert_false(config.optional_string("secret_access_key").has_value());
    assert_int_equal(status_of([&] { config.string("undeclared"); }), KVPS_INTERNAL);
}

// Ranges: bounds written in the option's type, checked once by the core for every backend.
static void test_option_ranges(void **) {
    std::vector<OptionSpec> specs = {
        {"workers", KVPS_OPTION_INTEGER, "4", false, "workers", "1", "64"},
        {"part_size", KVPS_OPTION_SIZE, "8MiB", false, "part size", "5MiB", "5GiB"},
        {"timeout", KVPS_OPTION_DURATION, "30s", false, "timeout", std::nullopt, "24h"},
        {"retries", KVPS_OPTION_INTEGER, "0", false, "retries", "-1"},
    };
    using Pairs = std::vector<std::pair<std::string, std::string>>;
    std::string message;
    auto check = [&](const char *name, const char *value) {
        return status_of([&] { check_options("x", specs, Pairs{{name, value}}, {}); }, &message);
    };
    assert_int_equal(check("workers", "1"), KVPS_OK);
    assert_int_equal(check("workers", "64"), KVPS_OK);
    assert_int_equal(check("workers", "0"), KVPS_INVALID_OPTION);
    assert_non_null(std::strstr(
        message.c_str(), "\"workers\" has value \"0\", expected an integer between 1 and 64"));
    assert_int_equal(check("workers", "65"), KVPS_INVALID_OPTION);
    assert_int_equal(check("part_size", "5MiB"), KVPS_OK);
    assert_int_equal(check("part_size", "5242879"), KVPS_INVALID_OPTION);
    assert_non_null(std::strstr(message.c_str(), "between 5MiB and 5GiB"));
    assert_int_equal(check("part_size", "6G"), KVPS_INVALID_OPTION);
    assert_int_equal(check("timeout", "24h"), KVPS_OK);
    assert_int_equal(check("timeout", "86400001ms"), KVPS_INVALID_OPTION);
    assert_non_null(std::strstr(message.c_str(), "at most 24h"));
    assert_int_equal(check("retries", "-1"), KVPS_OK);
    assert_int_equal(check("retries", "-2"), KVPS_INVALID_OPTION);
    assert_non_null(std::strstr(message.c_str(), "at least -1"));
    // Given outside the URL too.
    assert_int_equal(status_of([&] {
                         check_options("x", specs, {}, Pairs{{"workers", "100"}});
                     }),
                     KVPS_INVALID_OPTION);
}

// The one copy of each text helper.
static void test_text_helpers(void **) {
    assert_string_equal(percent_encode("a b/c~%").c_str(), "a%20b%2Fc~%25");
    assert_string_equal(percent_encode("a b/c", "/").c_str(), "a%20b/c");
    assert_string_equal(to_hex(std::string("\x00\xff\x10", 3)).c_str(), "00ff10");
    assert_int_equal(hex_digit_value('F'), 15);
    assert_int_equal(hex_digit_value('g'), -1);
    assert_string_equal(base64_encode("hello").c_str(), "aGVsbG8=");
    assert_string_equal(base64_encode("\xfb\xff", true).c_str(), "-_8");
    for (bool url : {false, true})
        for (const std::string &text : std::vector<std::string>{"", "a", "ab", "abc", "abcd",
                                                                std::string("\0\xfe\xff\x80", 4)})
            assert_true(base64_decode(base64_encode(text, url), url) == text);
    assert_false(base64_decode("a*b").has_value());
    assert_string_equal(lower("MiXeD-\xc3\x84").c_str(), "mixed-\xc3\x84");
    assert_true(strip_quotes("\"etag\"") == "etag");
    assert_true(strip_quotes("\"") == "\"");
}

static void test_cursors(void **) {
    std::string c = make_cursor("store-a", "pre/", std::string("last\0key", 8));
    assert_true(read_cursor(c, "store-a", "pre/") == std::string("last\0key", 8));
    assert_int_equal(status_of([&] { read_cursor(c, "store-b", "pre/"); }), KVPS_INVALID_ARGUMENT);
    assert_int_equal(status_of([&] { read_cursor(c, "store-a", "other/"); }),
                     KVPS_INVALID_ARGUMENT);
    assert_int_equal(status_of([&] { read_cursor("", "store-a", "pre/"); }), KVPS_INVALID_ARGUMENT);
    assert_int_equal(status_of([&] { read_cursor("kv1.!!!!", "store-a", "pre/"); }),
                     KVPS_INVALID_ARGUMENT);
    for (size_t i = 4; i < c.size(); ++i) {  // every single-character corruption is caught
        std::string bad = c;
        bad[i] = bad[i] == 'x' ? 'y' : 'x';
        assert_int_equal(status_of([&] { read_cursor(bad, "store-a", "pre/"); }),
                         KVPS_INVALID_ARGUMENT);
    }
}

static void test_keys_and_quote(void **) {
    assert_true(is_utf8("plain"));
    assert_true(is_utf8("\xf0\x9f\x8e\x89"));
    assert_false(is_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
    assert_false(is_utf8("\xe0\x80\xaf"));      // overlong
    std::string message;
    assert_int_equal(status_of([&] { check_key(nullptr); }), KVPS_INVALID_ARGUMENT);
    std::string long_key(2000, 'k');
    status_of([&] { check_key(long_key.c_str()); }, &message);
    assert_true(message.size() < 400);  // long keys are shortened in messages
    assert_non_null(std::strstr(message.c_str(), "2000 bytes"));
    assert_string_equal(quote("a\nb\"").c_str(), "\"a\\x0ab\\\"\"");
    assert_string_equal(quote("\xff").c_str(), "\"\\xff\"");  // messages stay valid UTF-8
    assert_int_equal(status_from_errno(ENOSPC), KVPS_NO_SPACE);
    assert_int_equal(status_from_errno(EACCES), KVPS_PERMISSION_DENIED);
    assert_int_equal(status_from_errno(ENOENT), KVPS_NOT_FOUND);
    assert_int_equal(status_from_errno(EIO), KVPS_IO);
}

static std::vector<std::string> g_lines;
static void collect(void *, kvps_log_level, const char *line) { g_lines.emplace_back(line); }

static void test_logging(void **) {
    kvps_store *s = nullptr;
    assert_int_equal(kvps_open("memory://", &s), KVPS_OK);
    kvps_set_logger(collect, nullptr, KVPS_LOG_INFO);
    assert_int_equal(kvps_put(s, "logged-key", "abc", 3), KVPS_OK);
    void *d = nullptr;
    size_t n = 0;
    assert_int_equal(kvps_get(s, "missing-key", &d, &n), KVPS_NOT_FOUND);
    kvps_set_logger(nullptr, nullptr, KVPS_LOG_DEBUG);
    assert_int_equal(kvps_put(s, "not-logged", "abc", 3), KVPS_OK);
    assert_int_equal(g_lines.size(), 2);
    assert_non_null(std::strstr(g_lines[0].c_str(), "put \"logged-key\" -> KVPS_OK, 3 bytes"));
    assert_non_null(std::strstr(g_lines[1].c_str(), "KVPS_NOT_FOUND"));
    kvps_close(s);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_urls),     cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_option_types),  cmocka_unit_test(test_option_checks),
        cmocka_unit_test(test_option_ranges), cmocka_unit_test(test_text_helpers),
        cmocka_unit_test(test_cursors),       cmocka_unit_test(test_keys_and_quote),
        cmocka_unit_test(test_logging),
    };
    return cmocka_run_group_tests_name("core", tests, nullptr, nullptr);
}
