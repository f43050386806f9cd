/*
 * A 4 GiB value round-trips through a writer and a reader with peak RSS under 64 MiB, and
 * ranges past 4 GiB read right. KVPS_FILE_BIG_SIZE (bytes) overrides the size for quick runs.
 * The RSS bound is not checked under AddressSanitizer, whose shadow memory alone exceeds it.
 */
#include "file_test_util.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <cmocka.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

enum { CHUNK = 1 << 20 };

/* The 8-byte word at offset off (a multiple of 8). */
static uint64_t word_at(uint64_t off) { return (off >> 3) * 0x9E3779B97F4A7C15ull ^ 0x6b767073ull; }

static void fill(unsigned char *buf, uint64_t off, size_t n) {
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = word_at(off + i);
        memcpy(buf + i, &w, 8);
    }
}

static void check_bytes(const unsigned char *buf, uint64_t off, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        uint64_t at = off + i;
        uint64_t w = word_at(at & ~7ull);
        unsigned char expected = ((const unsigned char *)&w)[at & 7];
        if (buf[i] != expected)
            fail_msg("byte %llu is %u, expected %u", (unsigned long long)at, buf[i], expected);
    }
}

static void test_big_value_streams_in_constant_memory(void **state) {
    (void)state;
    const char *env = getenv("KVPS_FILE_BIG_SIZE");
    uint64_t size = env ? strtoull(env, NULL, 10) : (4ull << 30);
    size = size / 8 * 8;
    char *tmp = make_temp_dir();
    char *url = str("file://%s/store", tmp);
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(url, &s));
    unsigned char *buf = malloc(CHUNK);

    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(s, "big", &w));
    for (uint64_t off = 0; off < size; off += CHUNK) {
        size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
        fill(buf, off, n);
        ASSERT_OK(kvps_writer_write(w, buf, n));
    }
    ASSERT_OK(kvps_writer_commit(w));

    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(s, "big", &st));
    assert_int_equal(st.size, size);

    kvps_reader *r = NULL;
    ASSERT_OK(kvps_reader_open(s, "big", 0, KVPS_TO_END, &r));
    assert_int_equal(kvps_reader_value_size(r), size);
    uint64_t total = 0;
    for (;;) {
        size_t n = 0;
        ASSERT_OK(kvps_reader_read(r, buf, CHUNK, &n));
        if (n == 0) break;
        /* Whole words are compared fast; the reader may return any length. */
        if (total % 8 == 0 && n % 8 == 0) {
            for (size_t i = 0; i < n; i += 8) {
                uint64_t got, expected = word_at(total + i);
                memcpy(&got, buf + i, 8);
                if (got != expected) check_bytes(buf + i, total + i, 8);
            }
        } else {
            check_bytes(buf, total, n);
        }
        total += n;
    }
    assert_int_equal(total, size);
    kvps_reader_close(r);

    /* Ranges near the end (past 4 GiB at full size), by reader and by get_range. */
    uint64_t start = size > 4096 ? size - 4093 : 0;
    ASSERT_OK(kvps_reader_open(s, "big", start, 1000, &r));
    size_t n = 0, got = 0;
    do {
        ASSERT_OK(kvps_reader_read(r, buf + got, CHUNK - got, &n));
        got += n;
    } while (n);
    assert_int_equal(got, 1000);
    check_bytes(buf, start, got);
    kvps_reader_close(r);
    void *data = NULL;
    size_t data_size = 0;
    ASSERT_OK(kvps_get_range(s, "big", start, KVPS_TO_END, &data, &data_size));
    assert_int_equal(data_size, size - start);
    check_bytes(data, start, data_size);
    kvps_free(data);

    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    printf("value %llu bytes, peak RSS %ld KiB\n", (unsigned long long)size, ru.ru_maxrss);
#ifndef UNDER_ASAN
    assert_true(ru.ru_maxrss < 64 * 1024);
#endif
    ASSERT_OK(kvps_delete(s, "big"));
    kvps_close(s);
    free(buf);
    remove_tree(tmp);
    free(url);
    free(tmp);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_big_value_streams_in_constant_memory)};
    return cmocka_run_group_tests_name("file-big-value", tests, NULL, NULL);
}
