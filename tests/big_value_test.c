/*
 * Any store: a big value written through a writer and read back through a reader, every byte
 * checked, with peak RSS under 64 MiB (the streams' constant memory). Shared by the backends'
 * big-value tests:
 *
 *   big_value_test URL_VARIABLE [SIZE_VARIABLE]
 *
 * reads the store URL from the environment variable URL_VARIABLE (unset: skip with exit 77,
 * fail when CI=true) and the size in bytes from SIZE_VARIABLE (default 1 GiB).
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvps.h"
#include "kvps_test.h"

enum { CHUNK = 1 << 20 };
static const char *g_url;
static uint64_t g_size = 1ull << 30;

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

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void test_big_value_streams_in_constant_memory(void **state) {
    (void)state;
    uint64_t size = g_size / 8 * 8;
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(g_url, &s));
    char key[64];
    snprintf(key, sizeof key, "big-value-%ld", (long)getpid());
    unsigned char *buf = malloc(CHUNK);
    assert_non_null(buf);

    double t0 = now();
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(s, key, &w));
    for (uint64_t off = 0; off < size; off += CHUNK) {
        size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
        fill(buf, off, n);
        ASSERT_OK(kvps_writer_write(w, buf, n));
    }
    ASSERT_OK(kvps_writer_commit(w));
    double t1 = now();
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    long write_peak = ru.ru_maxrss;

    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(s, key, &st));
    assert_int_equal(st.size, size);

    kvps_reader *r = NULL;
    ASSERT_OK(kvps_reader_open(s, key, 0, KVPS_TO_END, &r));
    assert_int_equal(kvps_reader_value_size(r), size);
    uint64_t total = 0;
    for (;;) {
        size_t n = 0;
        ASSERT_OK(kvps_reader_read(r, buf, CHUNK, &n)); /* the last read verifies the checksum */
        if (n == 0) break;
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
    double t2 = now();

    /* A range near the end, by get_range. */
    uint64_t start = size > 4096 ? size - 4093 : 0;
    void *data = NULL;
    size_t data_size = 0;
    ASSERT_OK(kvps_get_range(s, key, start, KVPS_TO_END, &data, &data_size));
    assert_int_equal(data_size, size - start);
    check_bytes(data, start, data_size);
    kvps_free(data);

    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    printf(
        "value %llu bytes: written in %.1f s (peak RSS %ld KiB), read in %.1f s, peak RSS "
        "%ld KiB\n",
        (unsigned long long)size, t1 - t0, write_peak, t2 - t1, ru.ru_maxrss);
    assert_true(ru.ru_maxrss < 64 * 1024);
    ASSERT_OK(kvps_delete(s, key));
    kvps_close(s);
    free(buf);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL_VARIABLE [SIZE_VARIABLE]\n", argv[0]);
        return 2;
    }
    g_url = getenv(argv[1]);
    if (!g_url || !*g_url) {
        const char *ci = getenv("CI");
        fprintf(stderr, "big value: %s is not set\n", argv[1]);
        return ci && strcmp(ci, "true") == 0 ? 1 : 77;
    }
    const char *size = argc > 2 ? getenv(argv[2]) : NULL;
    if (size && *size) g_size = strtoull(size, NULL, 10);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_big_value_streams_in_constant_memory)};
    return cmocka_run_group_tests_name("big-value", tests, NULL, NULL);
}
