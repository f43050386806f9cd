/* End-to-end checksums on file://: a byte flipped in a stored value's file (bit rot, a bad
 * disk) is KVPS_CORRUPT on every read path that verifies, never wrong bytes handed over as the
 * value; files written by other tools (no checksum attribute) still read. */
#include "file_test_util.h"
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/xattr.h>
#include <cmocka.h>

enum { N = 100000 };

static char *g_dir;
static char g_url[4096];
static kvps_store *g_store;
static unsigned char g_value[N];

static int setup(void **state) {
    (void)state;
    g_dir = make_temp_dir();
    snprintf(g_url, sizeof g_url, "file://%s/store?pathmapped=true", g_dir);
    for (size_t i = 0; i < N; ++i) g_value[i] = (unsigned char)(i * 7 + (i >> 9));
    return kvps_open(g_url, &g_store) == KVPS_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    kvps_close(g_store);
    remove_tree(g_dir);
    free(g_dir);
    return 0;
}

static void path_of(const char *key, char *out, size_t size) {
    snprintf(out, size, "%s/store/%s", g_dir, key);
}

/* Flips one byte of the key's file in place, keeping its checksum attribute. */
static void flip(const char *key, off_t at) {
    char path[4200];
    path_of(key, path, sizeof path);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
}

static void test_clean_value_has_a_checksum(void **state) {
    (void)state;
    ASSERT_OK(kvps_put(g_store, "clean", g_value, N));
    char path[4200], attr[16] = "";
    path_of("clean", path, sizeof path);
    ssize_t n = getxattr(path, "user.kvps.crc32c", attr, sizeof attr);
    if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) skip();
    assert_int_equal(n, 8);
    void *data = NULL;
    size_t size = 0;
    ASSERT_OK(kvps_get(g_store, "clean", &data, &size));
    assert_memory_equal(data, g_value, N);
    kvps_free(data);
    /* A known value: CRC32C("123456789") is e3069283. */
    ASSERT_OK(kvps_put(g_store, "check", "123456789", 9));
    path_of("check", path, sizeof path);
    assert_int_equal(getxattr(path, "user.kvps.crc32c", attr, sizeof attr), 8);
    attr[8] = '\0';
    assert_string_equal(attr, "e3069283");
}

static void test_flipped_byte_is_corrupt(void **state) {
    (void)state;
    ASSERT_OK(kvps_put(g_store, "rot/value", g_value, N));
    flip("rot/value", N / 2);

    void *data = (void *)1;
    size_t size = 0;
    ASSERT_STATUS(KVPS_CORRUPT, kvps_get(g_store, "rot/value", &data, &size));
    ASSERT_MESSAGE_HAS("rot/value");
    ASSERT_MESSAGE_HAS("expected CRC32C");
    ASSERT_MESSAGE_HAS("actual");
    assert_ptr_equal(data, (void *)1); /* nothing handed over */

    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_CORRUPT, kvps_get_with(g_store, "rot/value", &data, &size, &info));
    ASSERT_MESSAGE_HAS("rot/value");
    ASSERT_STATUS(KVPS_CORRUPT, kvps_get_with(g_store, "rot/value", &data, &size, NULL));
    assert_ptr_equal(data, (void *)1);

    unsigned char *buf = malloc(N);
    ASSERT_STATUS(KVPS_CORRUPT, kvps_get_into(g_store, "rot/value", 0, buf, N, &size));
    ASSERT_MESSAGE_HAS("rot/value");
    ASSERT_STATUS(KVPS_CORRUPT, kvps_get_range(g_store, "rot/value", 0, KVPS_TO_END, &data, &size));
    const char *keys[1] = {"rot/value"};
    void *many[1];
    size_t sizes[1];
    kvps_status st[1];
    ASSERT_STATUS(KVPS_CORRUPT, kvps_get_many(g_store, 1, keys, many, sizes, st));
    assert_int_equal(st[0], KVPS_CORRUPT);
    assert_null(many[0]);

    /* A reader reading the whole value fails on the read that reaches the end. */
    kvps_reader *r = NULL;
    ASSERT_OK(kvps_reader_open(g_store, "rot/value", 0, KVPS_TO_END, &r));
    size_t total = 0, n = 0;
    kvps_status s = KVPS_OK;
    while (total < N) {
        s = kvps_reader_read(r, buf + total, 4096, &n);
        if (s != KVPS_OK) break;
        total += n;
    }
    assert_int_equal(s, KVPS_CORRUPT);
    assert_true(total < N);
    kvps_reader_close(r);

    /* A part of the value cannot be checked against a whole-value checksum: it reads. */
    ASSERT_OK(kvps_get_range(g_store, "rot/value", 10, 100, &data, &size));
    assert_int_equal(size, 100);
    assert_memory_equal(data, g_value + 10, 100);
    kvps_free(data);

    /* verify_checksums=false hands over what is stored. */
    kvps_store *unchecked = NULL;
    kvps_option off = {"verify_checksums", "false"};
    ASSERT_OK(kvps_open_with(g_url, &off, 1, &unchecked));
    ASSERT_OK(kvps_get(unchecked, "rot/value", &data, &size));
    assert_int_equal(size, N);
    assert_int_equal(((unsigned char *)data)[N / 2], g_value[N / 2] ^ 0x10);
    kvps_free(data);
    kvps_close(unchecked);

    /* Writing the key again heals it. */
    ASSERT_OK(kvps_put(g_store, "rot/value", g_value, N));
    ASSERT_OK(kvps_get_into(g_store, "rot/value", 0, buf, N, &size));
    free(buf);
}

static void test_streamed_value_is_checked(void **state) {
    (void)state;
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(g_store, "rot/streamed", &w));
    for (size_t at = 0; at < N; at += 1000) ASSERT_OK(kvps_writer_write(w, g_value + at, 1000));
    ASSERT_OK(kvps_writer_commit(w));
    void *data = NULL;
    size_t size = 0;
    ASSERT_OK(kvps_get(g_store, "rot/streamed", &data, &size));
    kvps_free(data);
    flip("rot/streamed", 0);
    ASSERT_STATUS(KVPS_CORRUPT, kvps_get(g_store, "rot/streamed", &data, &size));
}

static void test_foreign_file_reads_unverified(void **state) {
    (void)state;
    char path[4200];
    snprintf(path, sizeof path, "%s/store/foreign", g_dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("written by another tool", f);
    fclose(f);
    void *data = NULL;
    size_t size = 0;
    ASSERT_OK(kvps_get(g_store, "foreign", &data, &size));
    assert_string_equal(data, "written by another tool");
    kvps_free(data);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_value_has_a_checksum),
        cmocka_unit_test(test_flipped_byte_is_corrupt),
        cmocka_unit_test(test_streamed_value_is_checked),
        cmocka_unit_test(test_foreign_file_reads_unverified),
    };
    return cmocka_run_group_tests_name("file-checksum", tests, setup, teardown);
}
