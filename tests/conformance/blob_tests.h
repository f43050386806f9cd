/* Conformance tests of blobs, values without a copy (included by conformance.c): every store
 * takes and returns them with the bytes intact and the caller's release called exactly once;
 * a store with KVPS_CAP_ZERO_COPY keeps the caller's block and hands it back itself. */

/* ------------------------------------------------------------------ blobs */

static int g_released[4];

static void count_release(void *user) { ++*(int *)user; }

static bool zero_copy(void) { return (kvps_capabilities(g_store) & KVPS_CAP_ZERO_COPY) != 0; }

/* A blob over a heap copy of n pattern bytes, counted into g_released[slot] when released. */
static kvps_blob *pattern_blob(size_t n, uint64_t seed, int slot, unsigned char **bytes) {
    *bytes = malloc(n ? n : 1);
    fill_pattern(*bytes, n, seed, 0);
    kvps_blob *blob = NULL;
    ASSERT_OK(kvps_blob_wrap(n ? *bytes : NULL, n, count_release, &g_released[slot], &blob));
    assert_non_null(blob);
    assert_int_equal(kvps_blob_size(blob), n);
    return blob;
}

static void test_blob_put_get(void **state) {
    (void)state;
    memset(g_released, 0, sizeof g_released);
    const size_t n = 300000;
    unsigned char *bytes;
    kvps_blob *blob = pattern_blob(n, 7, 0, &bytes);
    const char *k = key("blob/one");
    ASSERT_OK(kvps_put_blob(g_store, k, blob));
    kvps_blob_free(blob);
    /* A copying store is done with the caller's block once the put returns. */
    assert_int_equal(g_released[0], zero_copy() ? 0 : 1);

    kvps_blob *got = NULL;
    ASSERT_OK(kvps_get_blob(g_store, k, &got));
    assert_int_equal(kvps_blob_size(got), n);
    unsigned char *expect = malloc(n);
    fill_pattern(expect, n, 7, 0);
    assert_memory_equal(kvps_blob_data(got), expect, n);
    if (zero_copy()) { /* the very block that was put, and its user */
        assert_ptr_equal(kvps_blob_data(got), bytes);
        assert_ptr_equal(kvps_blob_user(got, count_release), &g_released[0]);
    } else {
        assert_null(kvps_blob_user(got, count_release));
    }
    assert_null(kvps_blob_user(got, free)); /* another release function: not its block */

    /* Another handle outlives the first; the bytes stay until the last reference goes. */
    kvps_blob *second = kvps_blob_share(got);
    assert_non_null(second);
    kvps_blob_free(got);
    assert_memory_equal(kvps_blob_data(second), expect, n);

    /* kvps_get sees the same value. */
    void *plain = NULL;
    size_t plain_size = 0;
    ASSERT_OK(kvps_get(g_store, k, &plain, &plain_size));
    assert_int_equal(plain_size, n);
    assert_memory_equal(plain, expect, n);
    kvps_free(plain);

    /* Replacing and deleting the value: the block is released exactly once, and only after
     * the last handle on it is freed. */
    ASSERT_OK(kvps_put(g_store, k, "new", 3));
    ASSERT_OK(kvps_delete(g_store, k));
    assert_int_equal(g_released[0], zero_copy() ? 0 : 1);
    kvps_blob_free(second);
    assert_int_equal(g_released[0], 1);
    free(bytes); /* released: no one holds it */
    free(expect);

    /* Empty values, and a wrap of static memory with no release. */
    kvps_blob *empty = NULL;
    ASSERT_OK(kvps_blob_wrap(NULL, 0, NULL, NULL, &empty));
    ASSERT_OK(kvps_put_blob(g_store, key("blob/empty"), empty));
    kvps_blob_free(empty);
    ASSERT_OK(kvps_get_blob(g_store, key("blob/empty"), &got));
    assert_int_equal(kvps_blob_size(got), 0);
    assert_non_null(kvps_blob_data(got));
    kvps_blob_free(got);
    static const char text[] = "static text";
    ASSERT_OK(kvps_blob_wrap(text, sizeof text - 1, NULL, NULL, &empty));
    ASSERT_OK(kvps_put_blob(g_store, key("blob/static"), empty));
    kvps_blob_free(empty);
    ASSERT_OK(kvps_get_blob(g_store, key("blob/static"), &got));
    assert_int_equal(kvps_blob_size(got), sizeof text - 1);
    assert_memory_equal(kvps_blob_data(got), text, sizeof text - 1);
    kvps_blob_free(got);
    ASSERT_OK(kvps_delete(g_store, key("blob/empty")));
    ASSERT_OK(kvps_delete(g_store, key("blob/static")));
}

static void test_blob_streams(void **state) {
    (void)state;
    memset(g_released, 0, sizeof g_released);
    /* Copied bytes, a large blob (kept by a zero-copy store), a small blob (copied), another
     * large blob, then copied bytes again: the value is all of them in order. */
    const size_t sizes[] = {1000, 200000, 10, 70000, 5};
    size_t total = 0;
    for (size_t i = 0; i < 5; ++i) total += sizes[i];
    unsigned char *expect = malloc(total);
    fill_pattern(expect, total, 11, 0);
    const char *k = key("blob/streamed");
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(g_store, k, &w));
    size_t at = 0;
    unsigned char *owned[5] = {0};
    for (size_t i = 0; i < 5; ++i) {
        if (i % 2 == 0 && i != 2) {
            ASSERT_OK(kvps_writer_write(w, expect + at, sizes[i]));
        } else {
            owned[i] = malloc(sizes[i]);
            memcpy(owned[i], expect + at, sizes[i]);
            kvps_blob *part = NULL;
            ASSERT_OK(kvps_blob_wrap(owned[i], sizes[i], count_release, &g_released[i % 4], &part));
            ASSERT_OK(kvps_writer_write_blob(w, part));
            kvps_blob_free(part);
        }
        at += sizes[i];
    }
    ASSERT_OK(kvps_writer_commit(w));

    kvps_blob *got = NULL;
    ASSERT_OK(kvps_get_blob(g_store, k, &got));
    assert_int_equal(kvps_blob_size(got), total);
    assert_memory_equal(kvps_blob_data(got), expect, total);
    kvps_blob_free(got);

    /* Read back in blobs of at most 65536 bytes: every byte, in order, none larger. */
    kvps_reader *r = NULL;
    ASSERT_OK(kvps_reader_open(g_store, k, 0, KVPS_TO_END, &r));
    unsigned char *back = malloc(total);
    size_t read = 0;
    for (;;) {
        kvps_blob *piece = (kvps_blob *)1;
        ASSERT_OK(kvps_reader_read_blob(r, 65536, &piece));
        if (!piece) break;
        size_t n = kvps_blob_size(piece);
        assert_true(n >= 1 && n <= 65536 && read + n <= total);
        memcpy(back + read, kvps_blob_data(piece), n);
        read += n;
        kvps_blob_free(piece);
    }
    assert_int_equal(read, total);
    assert_memory_equal(back, expect, total);

    /* After a seek, and for a range: the bytes from there. */
    ASSERT_OK(kvps_reader_seek(r, 150000));
    kvps_blob *piece = NULL;
    ASSERT_OK(kvps_reader_read_blob(r, 1000, &piece));
    assert_non_null(piece);
    assert_true(kvps_blob_size(piece) >= 1 && kvps_blob_size(piece) <= 1000);
    assert_memory_equal(kvps_blob_data(piece), expect + 150000, kvps_blob_size(piece));
    kvps_blob_free(piece);
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_reader_read_blob(r, 0, &piece));
    assert_null(piece);
    ASSERT_MESSAGE_HAS("max");
    kvps_reader_close(r);
    ASSERT_OK(kvps_reader_open(g_store, k, 199990, 30, &r));
    size_t got_range = 0;
    while (kvps_reader_read_blob(r, 7, &piece) == KVPS_OK && piece) {
        assert_memory_equal(kvps_blob_data(piece), expect + 199990 + got_range,
                            kvps_blob_size(piece));
        got_range += kvps_blob_size(piece);
        kvps_blob_free(piece);
    }
    assert_int_equal(got_range, 30);
    kvps_reader_close(r);

    /* Every kept block is released once the value is gone. */
    ASSERT_OK(kvps_delete(g_store, k));
    assert_int_equal(g_released[1] + g_released[2] + g_released[3], 3);
    for (size_t i = 0; i < 5; ++i) free(owned[i]);
    free(back);
    free(expect);
}

/* Writes parts (blob or copied bytes, in order) under k and checks the value read back. */
static void write_parts_and_check(const char *k, size_t n, kvps_blob *const *blobs,
                                  const char *const *texts) {
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(g_store, k, &w));
    size_t total = 0;
    for (size_t i = 0; i < n; ++i) {
        if (blobs[i]) {
            ASSERT_OK(kvps_writer_write_blob(w, blobs[i]));
            total += kvps_blob_size(blobs[i]);
        } else {
            ASSERT_OK(kvps_writer_write(w, texts[i], strlen(texts[i])));
            total += strlen(texts[i]);
        }
    }
    ASSERT_OK(kvps_writer_commit(w));
    void *got = NULL;
    size_t size = 0;
    ASSERT_OK(kvps_get(g_store, k, &got, &size));
    assert_int_equal(size, total);
    size_t at = 0;
    for (size_t i = 0; i < n; ++i) {
        const void *part = blobs[i] ? kvps_blob_data(blobs[i]) : texts[i];
        size_t part_size = blobs[i] ? kvps_blob_size(blobs[i]) : strlen(texts[i]);
        assert_memory_equal((char *)got + at, part, part_size);
        at += part_size;
    }
    kvps_free(got);
    ASSERT_OK(kvps_delete(g_store, k));
}

static void test_blob_parts(void **state) {
    (void)state;
    /* Blocks of 8 MiB, s3://'s default part size (a block of one part goes up as that part,
     * uncopied): alone (one single-request write), two then copied bytes, copied bytes then
     * one. */
    memset(g_released, 0, sizeof g_released);
    const size_t part = (size_t)8 << 20;
    unsigned char *a_bytes, *b_bytes;
    kvps_blob *a = pattern_blob(part, 21, 0, &a_bytes);
    kvps_blob *b = pattern_blob(part, 22, 1, &b_bytes);
    kvps_blob *alone[] = {a};
    write_parts_and_check(key("blob/parts-1"), 1, alone, NULL);
    kvps_blob *two[] = {a, b, NULL};
    const char *tail[] = {NULL, NULL, "tail"};
    write_parts_and_check(key("blob/parts-2"), 3, two, tail);
    kvps_blob *after[] = {NULL, b};
    const char *head[] = {"head", NULL};
    write_parts_and_check(key("blob/parts-3"), 2, after, head);
    kvps_blob_free(a);
    kvps_blob_free(b);
    assert_int_equal(g_released[0], 1); /* every value is deleted: no one holds a block */
    assert_int_equal(g_released[1], 1);
    free(a_bytes);
    free(b_bytes);
}

static void test_blob_bad_input(void **state) {
    (void)state;
    int released = 0;
    kvps_blob *blob = (kvps_blob *)1;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_blob_wrap(NULL, 5, count_release, &released, &blob));
    ASSERT_MESSAGE_HAS("data");
    assert_int_equal(released, 0); /* nothing was taken */
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_blob_wrap("x", 1, count_release, &released, NULL));
    ASSERT_MESSAGE_HAS("out");
    assert_int_equal(released, 0);
    ASSERT_OK(kvps_blob_wrap("abc", 3, count_release, &released, &blob));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put_blob(g_store, key("blob/bad"), NULL));
    ASSERT_MESSAGE_HAS("blob");
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put_blob(g_store, "", blob));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put_blob(NULL, key("blob/bad"), blob));
    kvps_blob *got = NULL;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get_blob(g_store, key("blob/missing"), &got));
    assert_null(got);
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get_blob(g_store, key("blob/missing"), NULL));
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_get_blob(g_store, "", &got));
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(g_store, key("blob/bad"), &w));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_writer_write_blob(w, NULL));
    ASSERT_MESSAGE_HAS("blob");
    kvps_writer_abort(w); /* nothing was written */
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get_blob(g_store, key("blob/bad"), &got));
    assert_int_equal(released, 0);
    kvps_blob_free(blob);
    assert_int_equal(released, 1);
    kvps_blob_free(NULL);
    assert_null(kvps_blob_share(NULL));
    assert_int_equal(kvps_blob_size(NULL), 0);
    assert_non_null(kvps_blob_data(NULL));
    assert_null(kvps_blob_user(NULL, count_release));
}

#define BLOB_TESTS                                                            \
    cmocka_unit_test(test_blob_put_get), cmocka_unit_test(test_blob_streams), \
        cmocka_unit_test(test_blob_parts), cmocka_unit_test(test_blob_bad_input),
