/*
 * The conformance suite: what every backend must do, through the public API only.
 *
 *   kvps_conformance URL          run against the store URL names
 *   kvps_conformance '$NAME'      read the URL from environment variable NAME; when it is
 *                                 unset, fail if CI=true, else skip (exit 77)
 *
 * Every key lives under a prefix unique to the run, so the suite can share a store (a bucket)
 * with other runs and leaves it as it found it.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include <cmocka.h>

#include "kvps.h"

static const char *g_url;
static kvps_store *g_store;
static char g_prefix[64];

#include "../kvps_test.h"

/* The run's key for name. Returns a static buffer per slot (8 slots rotate). */
static const char *key(const char *name) {
    static char buffers[8][KVPS_KEY_MAX + 64];
    static int slot;
    char *b = buffers[slot++ & 7];
    snprintf(b, sizeof buffers[0], "%s%s", g_prefix, name);
    return b;
}

/* Deterministic bytes for value checks. */
static void fill_pattern(unsigned char *p, size_t n, uint64_t seed, uint64_t offset) {
    for (size_t i = 0; i < n; ++i) {
        uint64_t x = (offset + i) * 0x9E3779B97F4A7C15ull + seed;
        p[i] = (unsigned char)(x >> 29);
    }
}

static void put_and_check(const char *k, const void *data, size_t size) {
    ASSERT_OK(kvps_put(g_store, k, data, size));
    void *got = NULL;
    size_t got_size = 99;
    ASSERT_OK(kvps_get(g_store, k, &got, &got_size));
    assert_non_null(got);
    assert_int_equal(got_size, size);
    if (size) assert_memory_equal(got, data, size);
    assert_int_equal(((char *)got)[got_size], '\0');
    kvps_free(got);
}

/* Listing is optional: a store without KVPS_CAP_LIST (such as the test-only fallback-test://,
 * which has only put/get/stat/remove) must refuse kvps_list with KVPS_UNSUPPORTED, and the checks
 * that need a listing are left out. */
static bool can_list(void) { return (kvps_capabilities(g_store) & KVPS_CAP_LIST) != 0; }

static void delete_prefix(const char *prefix) {
    char *cursor = NULL;
    for (;;) {
        kvps_list_page *page = NULL;
        ASSERT_OK(kvps_list(g_store, prefix, cursor, 1000, &page));
        size_t n = kvps_list_page_count(page);
        const char **keys = calloc(n ? n : 1, sizeof *keys);
        kvps_status *st = calloc(n ? n : 1, sizeof *st);
        for (size_t i = 0; i < n; ++i) keys[i] = kvps_list_page_entry(page, i)->key;
        if (n) ASSERT_OK(kvps_delete_many(g_store, n, keys, st));
        free(keys);
        free(st);
        free(cursor);
        const char *next = kvps_list_page_cursor(page);
        cursor = next ? strdup(next) : NULL;
        kvps_list_page_free(page);
        if (!cursor) break;
    }
}

#include "reads_tests.h"
#include "blob_tests.h"

/* ------------------------------------------------------------------ round trips */

static void test_round_trip_small(void **state) {
    (void)state;
    put_and_check(key("empty"), NULL, 0);
    put_and_check(key("empty"), "", 0);
    put_and_check(key("one"), "x", 1);
    const char binary[] = {'\0', '\xff', '\n', '\0', 'z'};
    put_and_check(key("binary"), binary, sizeof binary);
    put_and_check(key("one"), "replaced", 8); /* overwrite */
}

static void test_round_trip_1mib(void **state) {
    (void)state;
    size_t n = 1 << 20;
    unsigned char *data = malloc(n);
    fill_pattern(data, n, 1, 0);
    put_and_check(key("big/1mib"), data, n);
    free(data);
}

static void test_stream_64mib(void **state) {
    (void)state;
    const uint64_t total = 64ull << 20;
    const size_t chunk = 1 << 20;
    unsigned char *buf = malloc(chunk);
    unsigned char *expect = malloc(chunk);
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(g_store, key("big/64mib"), &w));
    /* Uneven chunk sizes exercise buffering inside the writer. */
    uint64_t done = 0;
    size_t step = 1000003;
    while (done < total) {
        size_t n = (size_t)(total - done < step ? total - done : step);
        fill_pattern(buf, n, 7, done);
        ASSERT_OK(kvps_writer_write(w, buf, n));
        done += n;
        step = step == 1000003 ? 65536 + 17 : 1000003;
    }
    ASSERT_OK(kvps_writer_commit(w));

    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, key("big/64mib"), &st));
    assert_int_equal(st.size, total);

    kvps_reader *r = NULL;
    ASSERT_OK(kvps_reader_open(g_store, key("big/64mib"), 0, KVPS_TO_END, &r));
    assert_int_equal(kvps_reader_value_size(r), total);
    uint64_t pos = 0;
    for (;;) {
        size_t n = 0;
        ASSERT_OK(kvps_reader_read(r, buf, chunk, &n));
        if (n == 0) break;
        fill_pattern(expect, n, 7, pos);
        if (memcmp(buf, expect, n) != 0)
            fail_msg("64 MiB stream differs near offset %llu", (unsigned long long)pos);
        pos += n;
    }
    assert_int_equal(pos, total);
    /* Seek back into the middle and read across what would be part boundaries. */
    uint64_t mid = (8ull << 20) - 5;
    ASSERT_OK(kvps_reader_seek(r, mid));
    size_t n = 0, got = 0;
    while (got < 100) {
        ASSERT_OK(kvps_reader_read(r, buf + got, 100 - got, &n));
        assert_true(n > 0);
        got += n;
    }
    fill_pattern(expect, 100, 7, mid);
    assert_memory_equal(buf, expect, 100);
    kvps_reader_close(r);
    ASSERT_OK(kvps_delete(g_store, key("big/64mib")));
    free(buf);
    free(expect);
}

static void test_writer_abort_and_atomic_commit(void **state) {
    (void)state;
    const char *k = key("writer/atomic");
    ASSERT_OK(kvps_put(g_store, k, "old", 3));
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(g_store, k, &w));
    ASSERT_OK(kvps_writer_write(w, "new value", 9));
    /* Before commit the old value is still what readers see. */
    void *d = NULL;
    size_t n = 0;
    ASSERT_OK(kvps_get(g_store, k, &d, &n));
    assert_int_equal(n, 3);
    assert_memory_equal(d, "old", 3);
    kvps_free(d);
    kvps_writer_abort(w);
    ASSERT_OK(kvps_get(g_store, k, &d, &n));
    assert_int_equal(n, 3);
    kvps_free(d);

    ASSERT_OK(kvps_writer_open(g_store, k, &w));
    ASSERT_OK(kvps_writer_write(w, "new ", 4));
    ASSERT_OK(kvps_writer_write(w, "value", 5));
    ASSERT_OK(kvps_writer_commit(w));
    ASSERT_OK(kvps_get(g_store, k, &d, &n));
    assert_int_equal(n, 9);
    assert_memory_equal(d, "new value", 9);
    kvps_free(d);

    /* An empty streamed value, and a writer for a new key aborted: no key appears. */
    ASSERT_OK(kvps_writer_open(g_store, key("writer/empty"), &w));
    ASSERT_OK(kvps_writer_commit(w));
    ASSERT_OK(kvps_get(g_store, key("writer/empty"), &d, &n));
    assert_int_equal(n, 0);
    kvps_free(d);
    ASSERT_OK(kvps_writer_open(g_store, key("writer/never"), &w));
    ASSERT_OK(kvps_writer_write(w, "x", 1));
    kvps_writer_abort(w);
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(g_store, key("writer/never"), &d, &n));
    kvps_writer_abort(NULL);
}

/* A reader never mixes two versions: after the value is replaced, reading and seeking either go
 * on with the old version or fail with KVPS_PRECONDITION_FAILED. */
static void test_reader_keeps_its_version(void **state) {
    (void)state;
    const char *k = key("reader/version");
    ASSERT_OK(kvps_put(g_store, k, "AAAAAAAAAAAAAAAAAAAA", 20));
    kvps_reader *r = NULL;
    char buf[32];
    size_t n = 0;
    ASSERT_OK(kvps_reader_open(g_store, k, 0, KVPS_TO_END, &r));
    ASSERT_OK(kvps_reader_read(r, buf, 4, &n));
    assert_memory_equal(buf, "AAAA", n);
    ASSERT_OK(kvps_put(g_store, k, "BBBBBBBBBBBBBBBBBBBB", 20));
    /* Seeking only moves; the reads after it give the opened version's bytes or refuse with
     * KVPS_PRECONDITION_FAILED, on every backend, never the new bytes. */
    ASSERT_OK(kvps_reader_seek(r, 10));
    size_t got = 0;
    kvps_status st = KVPS_OK;
    while (got < 10) {
        n = 777;
        st = kvps_reader_read(r, buf + got, 10 - got, &n);
        if (st != KVPS_OK) {
            assert_int_equal(n, 777); /* out-parameters only on success */
            break;
        }
        if (n == 0) break;
        got += n;
    }
    if (st == KVPS_OK) {
        assert_int_equal(got, 10);
        assert_memory_equal(buf, "AAAAAAAAAA", 10);
    } else {
        ASSERT_STATUS(KVPS_PRECONDITION_FAILED, st);
        assert_non_null(strstr(kvps_last_error(), "chang"));
    }
    kvps_reader_close(r);
    ASSERT_OK(kvps_delete(g_store, k));
}

/* ------------------------------------------------------------------ keys */

/* A pathmapped file store (file://...?pathmapped=true) maps keys to paths, so it must refuse
 * keys with an empty, '.' or '..' segment or a segment over 255 bytes, naming the key. Returns
 * true (after checking the refusal) for such a key on such a store. */
static bool refuses_path_key(const char *name) {
    /* S3 servers may refuse such keys too (MinIO: '.', '..' and empty segments; versitygw's
     * posix storage: a trailing '/'): there a refusal is allowed, a round trip still checked. */
    bool s3 = strncmp(g_url, "s3://", 5) == 0 || strncmp(g_url, "aws://", 6) == 0;
    if (!s3 && !strstr(g_url, "pathmapped=true")) return false;
    bool bad = false;
    for (const char *seg = name;;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 || len > 255 || (len == 1 && seg[0] == '.') ||
            (len == 2 && !strncmp(seg, "..", 2)))
            bad = true;
        if (!end) break;
        seg = end + 1;
    }
    if (!bad) return false;
    const char *k = strncmp(name, g_prefix, strlen(g_prefix)) == 0 ? name : key(name);
    if (s3 && kvps_put(g_store, k, "v", 1) == KVPS_OK) return false;
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put(g_store, k, "v", 1));
    assert_non_null(strstr(kvps_last_error(), "key"));
    return true;
}

static void test_keys_at_the_limits(void **state) {
    (void)state;
    const char *names[] = {
        "slash/in/key",
        "trailing/",
        "space in key",
        "percent%20and%",
        "plus+plus",
        "tilde~star*quote'",
        "utf8-\xc3\xa9\xe6\x97\xa5\xe6\x9c\xac\xf0\x9f\x8e\x89",
        "dots/../not/./special",
        "colon:semicolon;comma,",
        "a//double",
        "hash#question?amp&eq=",
        "back\\slash",
        "\"dq\"<lt>|pipe",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; ++i) {
        char value[64];
        int len = snprintf(value, sizeof value, "value %zu", i);
        if (refuses_path_key(names[i])) continue;
        put_and_check(key(names[i]), value, (size_t)len);
        kvps_stat_info st = KVPS_STAT_INIT;
        ASSERT_OK(kvps_stat(g_store, key(names[i]), &st));
        assert_int_equal(st.size, (uint64_t)len);
    }
    /* Exactly KVPS_KEY_MAX bytes, ending in a multi-byte character. */
    char longest[KVPS_KEY_MAX + 2];
    size_t plen = strlen(g_prefix);
    memcpy(longest, g_prefix, plen);
    memset(longest + plen, 'k', KVPS_KEY_MAX - plen - 2);
    /* Segments of at most 200 bytes: S3 servers such as MinIO refuse a path segment over 255
     * bytes, while the full key length is still the limit. */
    for (size_t i = plen + 200; i < KVPS_KEY_MAX - 2; i += 200) longest[i] = '/';
    memcpy(longest + KVPS_KEY_MAX - 2, "\xc3\xa9", 2);
    longest[KVPS_KEY_MAX] = '\0';
    if (refuses_path_key(longest)) return;
    /* A store prefix (the s3 and az option "&prefix=p/") counts towards the server's 1024
     * bytes: the key is refused, and the message names it as the caller wrote it and the
     * prefix. */
    if (strstr(g_url, "prefix=")) {
        assert_int_equal(kvps_put(g_store, longest, "max", 3), KVPS_INVALID_KEY);
        char shown[sizeof g_prefix + 1];
        snprintf(shown, sizeof shown, "\"%s", g_prefix);
        assert_non_null(strstr(kvps_last_error(), shown));
        assert_non_null(strstr(kvps_last_error(), "store's prefix"));
        return;
    }
    put_and_check(longest, "max", 3);
    /* Listing returns each of them exactly as written. */
    kvps_list_page *page = NULL;
    if (can_list()) {
        ASSERT_OK(kvps_list(g_store, longest, NULL, 10, &page));
        assert_int_equal(kvps_list_page_count(page), 1);
        assert_string_equal(kvps_list_page_entry(page, 0)->key, longest);
        kvps_list_page_free(page);
    }
    ASSERT_OK(kvps_delete(g_store, longest));
}

static void test_bad_keys(void **state) {
    (void)state;
    char too_long[KVPS_KEY_MAX + 2];
    memset(too_long, 'x', KVPS_KEY_MAX + 1);
    too_long[KVPS_KEY_MAX + 1] = '\0';
    struct {
        const char *key;
        const char *must_mention;
    } bad[] = {
        {"", "empty"},
        {too_long, "longer than"},
        {"new\nline", "control"},
        {"tab\there", "control"},
        {"del\x7f", "control"},
        {"bad-utf8-\xff\xfe", "UTF-8"},
        {"overlong-\xc0\xaf", "UTF-8"},
        {"surrogate-\xed\xa0\x80", "UTF-8"},
        {"truncated-\xe6\x97", "UTF-8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; ++i) {
        void *d = NULL;
        size_t n = 0;
        kvps_stat_info st = KVPS_STAT_INIT;
        kvps_writer *w = NULL;
        kvps_reader *r = NULL;
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put(g_store, bad[i].key, "v", 1));
        if (!strstr(kvps_last_error(), bad[i].must_mention))
            fail_msg("message for bad key %zu does not say \"%s\": %s", i, bad[i].must_mention,
                     kvps_last_error());
        if (!strstr(kvps_last_error(), "key"))
            fail_msg("message does not name the key: %s", kvps_last_error());
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_get(g_store, bad[i].key, &d, &n));
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_get_range(g_store, bad[i].key, 0, 1, &d, &n));
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_stat(g_store, bad[i].key, &st));
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_delete(g_store, bad[i].key));
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_writer_open(g_store, bad[i].key, &w));
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_reader_open(g_store, bad[i].key, 0, KVPS_TO_END, &r));
        assert_null(w);
        assert_null(r);
    }
    /* The message names the key it refused. */
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put(g_store, "name-me\x01", "v", 1));
    assert_non_null(strstr(kvps_last_error(), "name-me"));
    /* NULL arguments. */
    void *d;
    size_t n;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put(g_store, NULL, "v", 1));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put(NULL, key("x"), "v", 1));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put(g_store, key("x"), NULL, 5));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get(g_store, key("x"), NULL, &n));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get(g_store, key("x"), &d, NULL));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_stat(g_store, key("x"), NULL));
    kvps_stat_info old_version = KVPS_STAT_INIT;
    old_version.version = 999;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_stat(g_store, key("x"), &old_version));
    /* Nothing was half-written by any of the refusals above. */
    kvps_stat_info none = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, key("x"), &none));
    if (!can_list()) return;
    kvps_list_page *page = NULL;
    ASSERT_OK(kvps_list(g_store, key("x"), NULL, 10, &page));
    assert_int_equal(kvps_list_page_count(page), 0);
    kvps_list_page_free(page);
}

static void test_bad_urls_and_options(void **state) {
    (void)state;
    kvps_store *s = (kvps_store *)0x1;
    struct {
        const char *url;
        kvps_status status;
        const char *must_mention;
    } cases[] = {
        {"", KVPS_INVALID_URL, "URL"},
        {"no-scheme-here", KVPS_INVALID_URL, "scheme"},
        {"://nothing", KVPS_INVALID_URL, "URL"},
        {"memory:/one-slash", KVPS_INVALID_URL, "//"},
        {"nosuchscheme://x", KVPS_UNKNOWN_SCHEME, "nosuchscheme"},
        {"memory://x?nosuchoption=1", KVPS_INVALID_OPTION, "nosuchoption"},
        {"memory://x#fragment", KVPS_INVALID_URL, "fragment"},
        {"memory://x%zz", KVPS_INVALID_URL, "%zz"},
        {"memory://x:99999", KVPS_INVALID_URL, "port"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
        ASSERT_STATUS(cases[i].status, kvps_open(cases[i].url, &s));
        if (!strstr(kvps_last_error(), cases[i].must_mention))
            fail_msg("opening \"%s\": message does not mention \"%s\": %s", cases[i].url,
                     cases[i].must_mention, kvps_last_error());
        assert_ptr_equal(s, (kvps_store *)0x1); /* untouched on failure */
    }
    /* The unknown scheme message lists the known ones. */
    ASSERT_STATUS(KVPS_UNKNOWN_SCHEME, kvps_open("nosuch://", &s));
    assert_non_null(strstr(kvps_last_error(), "memory://"));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_open(NULL, &s));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_open("memory://", NULL));

    /* This store's own scheme refuses an unknown option and names it. */
    const kvps_backend_info *info = NULL;
    char scheme[32] = {0};
    sscanf(g_url, "%31[^:]", scheme);
    info = kvps_backend_find(scheme);
    assert_non_null(info);
    kvps_option bogus = {"definitely_not_an_option", "1"};
    ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open_with(g_url, &bogus, 1, &s));
    assert_non_null(strstr(kvps_last_error(), "definitely_not_an_option"));
    /* A mistyped value of each typed option is refused, naming option, value and type. */
    for (size_t i = 0; i < info->option_count; ++i) {
        const kvps_option_info *o = kvps_backend_option(info, i);
        if (o->type == KVPS_OPTION_STRING || o->type == KVPS_OPTION_SECRET) continue;
        kvps_option wrong = {o->name, "maybe-not"};
        ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open_with(g_url, &wrong, 1, &s));
        if (!strstr(kvps_last_error(), o->name) || !strstr(kvps_last_error(), "maybe-not"))
            fail_msg("mistyped %s: message names neither option nor value: %s", o->name,
                     kvps_last_error());
    }
}

/* ------------------------------------------------------------------ ranges, stat, delete */

static void test_ranges(void **state) {
    (void)state;
    const char *k = key("range/ten");
    ASSERT_OK(kvps_put(g_store, k, "0123456789", 10));
    struct {
        uint64_t offset, length;
        const char *expect;
    } cases[] = {
        {0, 10, "0123456789"},
        {0, 3, "012"},
        {4, 2, "45"},
        {7, KVPS_TO_END, "789"},
        {8, 100, "89"},
        {9, 1, "9"},
        {10, 5, ""},
        {1000, 1, ""},
        {0, 0, ""},
        {3, KVPS_TO_END - 1, "3456789"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
        void *d = NULL;
        size_t n = 99;
        ASSERT_OK(kvps_get_range(g_store, k, cases[i].offset, cases[i].length, &d, &n));
        assert_non_null(d);
        assert_int_equal(n, strlen(cases[i].expect));
        assert_memory_equal(d, cases[i].expect, n);
        kvps_free(d);

        kvps_reader *r = NULL;
        char buf[32];
        size_t got = 0, m = 0;
        ASSERT_OK(kvps_reader_open(g_store, k, cases[i].offset, cases[i].length, &r));
        assert_int_equal(kvps_reader_value_size(r), 10);
        do {
            ASSERT_OK(kvps_reader_read(r, buf + got, 3, &m));
            got += m;
        } while (m > 0);
        assert_int_equal(got, strlen(cases[i].expect));
        assert_memory_equal(buf, cases[i].expect, got);
        kvps_reader_close(r);
    }
    /* Seek inside a range reader: positions are offsets in the value. */
    kvps_reader *r = NULL;
    char buf[16];
    size_t n = 0;
    ASSERT_OK(kvps_reader_open(g_store, k, 2, 6, &r)); /* "234567" */
    ASSERT_OK(kvps_reader_seek(r, 5));
    ASSERT_OK(kvps_reader_read(r, buf, sizeof buf, &n));
    assert_true(n >= 1 && n <= 3);
    assert_memory_equal(buf, "567", n);
    ASSERT_OK(kvps_reader_seek(r, 100));
    ASSERT_OK(kvps_reader_read(r, buf, sizeof buf, &n));
    assert_int_equal(n, 0);
    kvps_reader_close(r);
    kvps_reader_close(NULL);

    void *d = NULL;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get_range(g_store, key("range/missing"), 0, 1, &d, &n));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_reader_open(g_store, key("range/missing"), 0, 1, &r));
}

static void test_stat_and_etag(void **state) {
    (void)state;
    const char *k = key("stat/value");
    ASSERT_OK(kvps_put(g_store, k, "first", 5));
    kvps_stat_info a = KVPS_STAT_INIT, b = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, k, &a));
    assert_int_equal(a.size, 5);
    assert_true(strlen(a.etag) > 0);
    int64_t now = (int64_t)time(NULL) * 1000000000ll;
    int64_t day = 86400ll * 1000000000ll;
    if (a.mtime_ns < now - day || a.mtime_ns > now + day)
        fail_msg("mtime %lld is not near now %lld", (long long)a.mtime_ns, (long long)now);
    /* Overwritten at once with a value of the same size: the etag still changes. */
    ASSERT_OK(kvps_put(g_store, k, "secnd", 5));
    ASSERT_OK(kvps_stat(g_store, k, &b));
    assert_int_equal(b.size, 5);
    if (strcmp(a.etag, b.etag) == 0) fail_msg("etag %s did not change on overwrite", a.etag);
    kvps_stat_info c = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, key("stat/missing"), &c));
    void *d = NULL;
    size_t n = 0;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(g_store, key("stat/missing"), &d, &n));
}

static void test_delete_is_idempotent(void **state) {
    (void)state;
    const char *k = key("delete/me");
    ASSERT_OK(kvps_put(g_store, k, "x", 1));
    ASSERT_OK(kvps_delete(g_store, k));
    void *d = NULL;
    size_t n = 0;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(g_store, k, &d, &n));
    ASSERT_OK(kvps_delete(g_store, k));
    ASSERT_OK(kvps_delete(g_store, key("delete/never-existed")));
}

/* ------------------------------------------------------------------ listing */

/* Keys in the paging test: 2,500 (25 pages of 100), or KVPS_CONFORMANCE_LIST_KEYS (at least 300,
 * so a listing still spans several pages) for a server too slow for 5,000 round trips in a test
 * run (Azurite, a single-threaded Node process). */
static size_t list_keys(void) {
    const char *text = getenv("KVPS_CONFORMANCE_LIST_KEYS");
    int n = text ? atoi(text) : 0;
    return n >= 300 ? (size_t)n : 2500;
}
#define LIST_KEYS (list_keys())

static int compare_bytes(const void *a, const void *b) {
    return strcmp(*(const char *const *)a,
                  *(const char *const *)b); /* strcmp compares as unsigned char */
}

static void test_list_paging(void **state) {
    (void)state;
    /* Keys whose byte order differs from naive orders: case, digits, UTF-8, '/', '-'. */
    static const char *shapes[] = {"a", "B", "a/b", "a-b", "\xc3\xa9", "~", "0", "a b"};
    char **keys = calloc(LIST_KEYS, sizeof *keys);
    const void **data = calloc(LIST_KEYS, sizeof *data);
    size_t *sizes = calloc(LIST_KEYS, sizeof *sizes);
    kvps_status *st = calloc(LIST_KEYS, sizeof *st);
    for (size_t i = 0; i < LIST_KEYS; ++i) {
        char name[64];
        snprintf(name, sizeof name, "list/%s%zu", shapes[i % 8], i);
        keys[i] = strdup(key(name));
        data[i] = keys[i];
        sizes[i] = strlen(keys[i]);
    }
    ASSERT_OK(kvps_put_many(g_store, LIST_KEYS, (const char *const *)keys, data, sizes, st));
    ASSERT_OK(kvps_put(g_store, key("lisu-outside-prefix"), "x", 1));
    qsort(keys, LIST_KEYS, sizeof *keys, compare_bytes);
    if (!can_list()) {
        kvps_list_page *refused = NULL;
        ASSERT_STATUS(KVPS_UNSUPPORTED, kvps_list(g_store, g_prefix, NULL, 10, &refused));
        assert_null(refused);
        ASSERT_MESSAGE_HAS("list");
        goto delete_keys;
    }

    char prefix[128];
    snprintf(prefix, sizeof prefix, "%slist/", g_prefix);
    size_t seen = 0, pages = 0;
    char *cursor = NULL;
    char *first_cursor = NULL;
    for (;;) {
        kvps_list_page *page = NULL;
        ASSERT_OK(kvps_list(g_store, prefix, cursor, 100, &page));
        size_t n = kvps_list_page_count(page);
        assert_true(n <= 100);
        for (size_t i = 0; i < n; ++i) {
            const kvps_entry *e = kvps_list_page_entry(page, i);
            if (seen >= LIST_KEYS) fail_msg("more keys listed than put: %s", e->key);
            if (strcmp(e->key, keys[seen]) != 0)
                fail_msg("entry %zu is \"%s\", expected \"%s\"", seen, e->key, keys[seen]);
            assert_int_equal(e->size, strlen(keys[seen]));
            ++seen;
        }
        assert_null(kvps_list_page_entry(page, n));
        ++pages;
        const char *next = kvps_list_page_cursor(page);
        if (next && !first_cursor) first_cursor = strdup(next);
        free(cursor);
        cursor = next ? strdup(next) : NULL;
        kvps_list_page_free(page);
        if (!cursor) break;
        if (pages > LIST_KEYS) fail_msg("listing does not end");
    }
    assert_int_equal(seen, LIST_KEYS);
    assert_true(pages >= LIST_KEYS / 100);

    /* A cursor is reusable: the same cursor gives the same page again. */
    kvps_list_page *p1 = NULL, *p2 = NULL;
    ASSERT_OK(kvps_list(g_store, prefix, first_cursor, 5, &p1));
    ASSERT_OK(kvps_list(g_store, prefix, first_cursor, 5, &p2));
    assert_int_equal(kvps_list_page_count(p1), 5);
    assert_string_equal(kvps_list_page_entry(p1, 0)->key, kvps_list_page_entry(p2, 0)->key);
    assert_string_equal(kvps_list_page_entry(p1, 0)->key, keys[100]);
    kvps_list_page_free(p1);
    kvps_list_page_free(p2);

    /* Garbled and foreign cursors. */
    kvps_list_page *bad = NULL;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list(g_store, prefix, "garbage", 10, &bad));
    assert_non_null(strstr(kvps_last_error(), "cursor"));
    char *flipped = strdup(first_cursor);
    size_t len = strlen(flipped);
    flipped[len / 2] = flipped[len / 2] == 'A' ? 'B' : 'A';
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list(g_store, prefix, flipped, 10, &bad));
    flipped[len - 3] = '\0';
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list(g_store, prefix, flipped, 10, &bad));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list(g_store, g_prefix, first_cursor, 10, &bad));
    assert_null(bad);
    kvps_store *other = NULL;
    ASSERT_OK(kvps_open("memory://conformance-foreign-store", &other));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list(other, prefix, first_cursor, 10, &bad));
    kvps_close(other);
    free(flipped);
    free(first_cursor);

    /* A prefix that matches nothing; the whole run prefix sees the outside key too. */
    kvps_list_page *empty = NULL;
    ASSERT_OK(kvps_list(g_store, key("list/zzz-nothing"), NULL, 0, &empty));
    assert_int_equal(kvps_list_page_count(empty), 0);
    assert_null(kvps_list_page_cursor(empty));
    kvps_list_page_free(empty);

delete_keys:
    ASSERT_OK(kvps_delete_many(g_store, LIST_KEYS, (const char *const *)keys, st));
    for (size_t i = 0; i < LIST_KEYS; ++i) free(keys[i]);
    free(keys);
    free(data);
    free(sizes);
    free(st);
}

/* ------------------------------------------------------------------ batch */

static void test_batch_mixed(void **state) {
    (void)state;
    char k0[128], k1[128], k2[128];
    snprintf(k0, sizeof k0, "%s", key("batch/0"));
    snprintf(k1, sizeof k1, "%s", key("batch/1"));
    snprintf(k2, sizeof k2, "%s", key("batch/missing"));
    const char *put_keys[] = {k0, "", k1};
    const void *put_data[] = {"zero", "bad", "one"};
    size_t put_sizes[] = {4, 3, 3};
    kvps_status st[3];
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put_many(g_store, 3, put_keys, put_data, put_sizes, st));
    assert_int_equal(st[0], KVPS_OK);
    assert_int_equal(st[1], KVPS_INVALID_KEY);
    assert_int_equal(st[2], KVPS_OK);
    assert_non_null(strstr(kvps_last_error(), "item 1"));

    const char *get_keys[] = {k0, k2, "bad\n", k1};
    void *data[4];
    size_t sizes[4];
    kvps_status gst[4];
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_get_many(g_store, 4, get_keys, data, sizes, gst));
    assert_int_equal(gst[0], KVPS_OK);
    assert_int_equal(gst[1], KVPS_NOT_FOUND);
    assert_int_equal(gst[2], KVPS_INVALID_KEY);
    assert_int_equal(gst[3], KVPS_OK);
    assert_int_equal(sizes[0], 4);
    assert_memory_equal(data[0], "zero", 4);
    assert_null(data[1]);
    assert_null(data[2]);
    assert_memory_equal(data[3], "one", 3);
    for (int i = 0; i < 4; ++i) kvps_free(data[i]);

    const char *ok_keys[] = {k0, k2};
    ASSERT_OK(kvps_get_many(g_store, 2, ok_keys, data, sizes, gst)); /* NOT_FOUND is a result */
    assert_int_equal(gst[1], KVPS_NOT_FOUND);
    kvps_free(data[0]);

    const char *del_keys[] = {k0, k1, k2};
    ASSERT_OK(kvps_delete_many(g_store, 3, del_keys, st));
    for (int i = 0; i < 3; ++i) assert_int_equal(st[i], KVPS_OK);
    for (int i = 0; i < 2; ++i) {
        void *gone = NULL;
        size_t gone_size = 0;
        ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(g_store, del_keys[i], &gone, &gone_size));
    }

    /* Keys in several folders (a file store groups a batch's removals by folder), one of them
     * twice, and a missing one: each deleted, each OK, the others kept. */
    char many[6][128];
    const char *names[] = {"batch/a/1",      "batch/b/1",  "batch/a/2",
                           "batch/a/deep/1", "batch/keep", "batch/a/1"};
    for (int i = 0; i < 6; ++i) snprintf(many[i], sizeof many[i], "%s", key(names[i]));
    for (int i = 0; i < 5; ++i) ASSERT_OK(kvps_put(g_store, many[i], "v", 1));
    const char *del_many[] = {many[0], many[1], many[2], many[3], many[5], k2};
    kvps_status mst[6];
    ASSERT_OK(kvps_delete_many(g_store, 6, del_many, mst));
    for (int i = 0; i < 6; ++i) {
        assert_int_equal(mst[i], KVPS_OK);
        kvps_stat_info info = {.version = KVPS_STAT_VERSION};
        ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, del_many[i], &info));
    }
    kvps_stat_info kept = {.version = KVPS_STAT_VERSION};
    ASSERT_OK(kvps_stat(g_store, many[4], &kept));
    assert_int_equal(kept.size, 1);
    ASSERT_OK(kvps_delete(g_store, many[4]));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_delete_many(g_store, 3, NULL, st));
    ASSERT_OK(kvps_delete_many(g_store, 0, NULL, NULL));
}

/* ------------------------------------------------------------------ threads */

#define THREADS 8
#define ROUNDS 40

/* A self-checking value: length and seed in the first 16 bytes, then the pattern. */
static size_t make_value(unsigned char *buf, uint32_t seed) {
    size_t n = 16 + (seed * 7919u) % 8192u;
    memcpy(buf, &n, sizeof n);
    memcpy(buf + 8, &seed, sizeof seed);
    fill_pattern(buf + 16, n - 16, seed, 0);
    return n;
}

static int value_ok(const unsigned char *buf, size_t n) {
    if (n < 16) return 0;
    size_t stored;
    uint32_t seed;
    memcpy(&stored, buf, sizeof stored);
    memcpy(&seed, buf + 8, sizeof seed);
    if (stored != n) return 0;
    unsigned char *expect = malloc(n);
    fill_pattern(expect, n - 16, seed, 0);
    int ok = memcmp(buf + 16, expect, n - 16) == 0;
    free(expect);
    return ok;
}

static void *thread_main(void *arg) {
    intptr_t id = (intptr_t)arg;
    unsigned char *buf = malloc(16 + 8192);
    char own[256], shared[256];
    snprintf(own, sizeof own, "%sthreads/own-%d", g_prefix, (int)id);
    snprintf(shared, sizeof shared, "%sthreads/shared", g_prefix);
    intptr_t failures = 0;
    for (int round = 0; round < ROUNDS; ++round) {
        uint32_t seed = (uint32_t)(id * 1000 + round);
        size_t n = make_value(buf, seed);
        if (kvps_put(g_store, own, buf, n) != KVPS_OK) ++failures;
        if (kvps_put(g_store, shared, buf, n) != KVPS_OK) ++failures;
        void *d = NULL;
        size_t m = 0;
        if (kvps_get(g_store, own, &d, &m) != KVPS_OK || m != n || memcmp(d, buf, n) != 0)
            ++failures;
        kvps_free(d);
        if (kvps_get(g_store, shared, &d, &m) != KVPS_OK || !value_ok(d, m)) ++failures;
        kvps_free(d);
        kvps_stat_info st = KVPS_STAT_INIT;
        if (kvps_stat(g_store, shared, &st) != KVPS_OK) ++failures;
        kvps_list_page *page = NULL;
        if (can_list() && kvps_list(g_store, shared, NULL, 10, &page) != KVPS_OK) ++failures;
        kvps_list_page_free(page);
    }
    if (kvps_delete(g_store, own) != KVPS_OK) ++failures;
    free(buf);
    return (void *)failures;
}

static void test_threads_share_one_handle(void **state) {
    (void)state;
    pthread_t threads[THREADS];
    for (intptr_t i = 0; i < THREADS; ++i)
        assert_int_equal(pthread_create(&threads[i], NULL, thread_main, (void *)i), 0);
    intptr_t failures = 0;
    for (int i = 0; i < THREADS; ++i) {
        void *ret = NULL;
        pthread_join(threads[i], &ret);
        failures += (intptr_t)ret;
    }
    assert_int_equal(failures, 0);
    ASSERT_OK(kvps_delete(g_store, key("threads/shared")));
}

/* ------------------------------------------------------------------ introspection */

static void test_introspection(void **state) {
    (void)state;
    const char *url = kvps_store_url(g_store);
    assert_non_null(url);
    assert_true(strlen(url) > 3);
    /* Secrets given in the URL never appear in the store's URL. */
    const char *secret = strstr(g_url, "secret_access_key=");
    if (secret) {
        char value[128] = {0};
        sscanf(secret + strlen("secret_access_key="), "%127[^&]", value);
        if (value[0]) assert_null(strstr(url, value));
    }
    const char *password = strstr(g_url, "password=");
    if (password) assert_null(strstr(url, password));

    assert_true(kvps_backend_count() >= 1);
    int found_self = 0;
    char scheme[32] = {0};
    sscanf(g_url, "%31[^:]", scheme);
    for (size_t i = 0; i < kvps_backend_count(); ++i) {
        const kvps_backend_info *b = kvps_backend_at(i);
        assert_non_null(b->name);
        assert_non_null(b->description);
        assert_true(b->scheme_count >= 1);
        for (size_t j = 0; j < b->scheme_count; ++j) {
            assert_ptr_equal(kvps_backend_find(b->schemes[j]), b);
            if (strcmp(b->schemes[j], scheme) == 0) found_self = 1;
        }
        for (size_t j = 0; j < b->option_count; ++j) {
            const kvps_option_info *o = kvps_backend_option(b, j);
            assert_non_null(o);
            assert_non_null(o->name);
            assert_non_null(o->description);
            assert_string_not_equal(kvps_option_type_name(o->type), "unknown");
            if (o->type == KVPS_OPTION_SECRET) assert_null(o->default_value);
        }
        assert_null(kvps_backend_option(b, b->option_count));
        if (i > 0) assert_true(strcmp(kvps_backend_at(i - 1)->name, b->name) < 0);
    }
    assert_true(found_self);
    assert_null(kvps_backend_at(kvps_backend_count()));
    assert_null(kvps_backend_find("no-such-scheme"));
    assert_int_equal(kvps_capabilities(g_store), kvps_backend_find(scheme)->capabilities);
    assert_string_equal(kvps_version(), KVPS_VERSION_STRING);
    assert_int_equal(kvps_version_number(), KVPS_VERSION_NUMBER);
    assert_string_equal(kvps_status_name(KVPS_NOT_FOUND), "KVPS_NOT_FOUND");
    assert_string_equal(kvps_status_name((kvps_status)999), "KVPS_UNKNOWN_STATUS");
    assert_non_null(kvps_last_error());
    kvps_close(NULL);
}

/* ------------------------------------------------------------------ conditional writes, copy,
 * rename */

#include "writes.c"

/* ------------------------------------------------------------------ setup */

static int setup(void **state) {
    (void)state;
    if (kvps_open(g_url, &g_store) != KVPS_OK) {
        fprintf(stderr, "cannot open %s: %s\n", g_url, kvps_last_error());
        return -1;
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    if (!can_list()) { /* a private store: nothing outlives the handle */
        kvps_close(g_store);
        return 0;
    }
    delete_prefix(g_prefix);
    kvps_list_page *page = NULL;
    kvps_status st = kvps_list(g_store, g_prefix, NULL, 10, &page);
    size_t left = st == KVPS_OK ? kvps_list_page_count(page) : 1;
    kvps_list_page_free(page);
    kvps_close(g_store);
    if (left) fprintf(stderr, "conformance: %zu keys left under %s\n", left, g_prefix);
    return left ? -1 : 0;
}

int main(int argc, char **argv) {
    const char *arg = argc > 1 ? argv[1] : getenv("KVPS_TEST_URL");
    if (!arg) arg = "memory://";
    if (arg[0] == '$') {
        g_url = getenv(arg + 1);
        if (!g_url || !*g_url) {
            const char *ci = getenv("CI");
            if (ci && strcmp(ci, "true") == 0) {
                fprintf(stderr, "conformance: %s is not set and CI=true: failing, not skipping\n",
                        arg + 1);
                return 1;
            }
            fprintf(stderr, "conformance: %s is not set; skipping\n", arg + 1);
            return 77;
        }
    } else {
        g_url = arg;
    }
    /* KVPS_CONFORMANCE_URL_SUFFIX is appended to the URL (e.g. "&copy_threshold=0"). */
    const char *suffix = getenv("KVPS_CONFORMANCE_URL_SUFFIX");
    if (suffix && *suffix) {
        static char with_suffix[4096];
        snprintf(with_suffix, sizeof with_suffix, "%s%s", g_url, suffix);
        g_url = with_suffix;
    }
    snprintf(g_prefix, sizeof g_prefix, "conformance-%ld-%ld/", (long)getpid(), (long)time(NULL));

    const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trip_small),
                                       cmocka_unit_test(test_round_trip_1mib),
                                       cmocka_unit_test(test_stream_64mib),
                                       cmocka_unit_test(test_writer_abort_and_atomic_commit),
                                       cmocka_unit_test(test_reader_keeps_its_version),
                                       cmocka_unit_test(test_keys_at_the_limits),
                                       cmocka_unit_test(test_bad_keys),
                                       cmocka_unit_test(test_bad_urls_and_options),
                                       cmocka_unit_test(test_ranges),
                                       cmocka_unit_test(test_stat_and_etag),
                                       cmocka_unit_test(test_delete_is_idempotent),
                                       cmocka_unit_test(test_list_paging),
                                       cmocka_unit_test(test_batch_mixed),
                                       cmocka_unit_test(test_threads_share_one_handle),
                                       cmocka_unit_test(test_introspection),
                                       READS_TESTS BLOB_TESTS};
    /* KVPS_CONFORMANCE_GROUP=writes runs only the second group (for quick runs by hand). */
    const char *only = getenv("KVPS_CONFORMANCE_GROUP");
    int failed = only && strcmp(only, "writes") == 0
                     ? 0
                     : cmocka_run_group_tests_name("conformance", tests, setup, teardown);
    const struct CMUnitTest writes_tests[] = {
        cmocka_unit_test(test_properties_round_trip),
        cmocka_unit_test(test_bad_put_options),
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_streamed_condition_20mib),
        cmocka_unit_test(test_cas_counter),
        cmocka_unit_test(test_create_only_race),
        cmocka_unit_test(test_copy_and_rename),
    };
    failed += cmocka_run_group_tests_name("conformance-writes", writes_tests, setup, teardown);
    return failed;
}
