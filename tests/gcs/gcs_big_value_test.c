/*
 * gs://: a 1 GiB value written through a writer (a resumable upload, one chunk_size buffer) and
 * read through a reader (chunk_size ranges pinned to the generation) with peak RSS under 64 MiB.
 * KVPS_GCS_BIG_SIZE (bytes) overrides the size for quick runs. Needs KVPS_TEST_GCS_URL (skips
 * with exit 77, fails when CI=true).
 */
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
#include "../kvps_test.h"

enum { CHUNK = 1 << 20 };
static const char *g_url;

/* The 8-byte word at offset off (a multiple of 8). */
static uint64_t word_at(uint64_t off) { return (off >> 3) * 0x9E3779B97F4A7C15ull ^ 0x67637362ull; }

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
    const char *env = getenv("KVPS_GCS_BIG_SIZE");
    uint64_t size = env ? strtoull(env, NULL, 10) : (1ull << 30);
    size = size / 8 * 8;
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(g_url, &s));
    char key[64];
    snprintf(key, sizeof key, "big-%ld", (long)getpid());
    unsigned char *buf = malloc(CHUNK);

    time_t t0 = time(NULL);
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(s, key, &w));
    for (uint64_t off = 0; off < size; off += CHUNK) {
        size_t n = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
        fill(buf, off, n);
        ASSERT_OK(kvps_writer_write(w, buf, n));
    }
    ASSERT_OK(kvps_writer_commit(w));
    time_t t1 = time(NULL);

    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(s, key, &st));
    assert_int_equal(st.size, size);

    kvps_reader *r = NULL;
    ASSERT_OK(kvps_reader_open(s, key, 0, KVPS_TO_END, &r));
    assert_int_equal(kvps_reader_value_size(r), size);
    uint64_t total = 0;
    for (;;) {
        size_t n = 0;
        ASSERT_OK(kvps_reader_read(r, buf, CHUNK, &n));
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
    time_t t2 = time(NULL);

    /* A range near the end, by get_range. */
    uint64_t start = size > 4096 ? size - 4093 : 0;
    void *data = NULL;
    size_t data_size = 0;
    ASSERT_OK(kvps_get_range(s, key, start, KVPS_TO_END, &data, &data_size));
    assert_int_equal(data_size, size - start);
    check_bytes(data, start, data_size);
    kvps_free(data);

    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
    printf("value %llu bytes: written in %lld s, read in %lld s, peak RSS %ld KiB\n",
           (unsigned long long)size, (long long)(t1 - t0), (long long)(t2 - t1), ru.ru_maxrss);
    assert_true(ru.ru_maxrss < 64 * 1024);
    ASSERT_OK(kvps_delete(s, key));
    kvps_close(s);
    free(buf);
}

int main(void) {
    g_url = getenv("KVPS_TEST_GCS_URL");
    if (!g_url || !*g_url) {
        const char *ci = getenv("CI");
        fprintf(stderr, "gcs big value: KVPS_TEST_GCS_URL is not set\n");
        return ci && strcmp(ci, "true") == 0 ? 1 : 77;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_big_value_streams_in_constant_memory)};
    return cmocka_run_group_tests_name("gcs-big-value", tests, NULL, NULL);
}
