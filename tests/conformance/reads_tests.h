/* Conformance tests of issue #15 (included by conformance.c): listing by level and from a
 * position, reads into the caller's buffer, checksums (what every store must do; corruption
 * itself is tested per backend) and presigned URLs (s3 tests fetch them with curl). */

/* ------------------------------------------------------------------ listing by level */

/* The keys under key("dl/"); every layout can hold them (no key is also a folder). */
static const char *const g_dl_keys[] = {"a", "b/1", "b/2", "b/c/3", "c-d", "c/x", "e/f/g", "z"};
#define DL_KEYS (sizeof g_dl_keys / sizeof g_dl_keys[0])

/* A store that cannot list refuses listings by level too. */
static bool refuses_listing(void) {
    if (can_list()) return false;
    kvps_list_page *page = NULL;
    kvps_list_options o = KVPS_LIST_OPTIONS_INIT;
    o.delimiter = "/";
    ASSERT_STATUS(KVPS_UNSUPPORTED, kvps_list_with(g_store, &o, &page));
    assert_null(page);
    return true;
}

static void put_dl_keys(void) {
    for (size_t i = 0; i < DL_KEYS; ++i) {
        char name[64];
        snprintf(name, sizeof name, "dl/%s", g_dl_keys[i]);
        ASSERT_OK(kvps_put(g_store, key(name), g_dl_keys[i], strlen(g_dl_keys[i])));
    }
}

static void delete_dl_keys(void) {
    for (size_t i = 0; i < DL_KEYS; ++i) {
        char name[64];
        snprintf(name, sizeof name, "dl/%s", g_dl_keys[i]);
        ASSERT_OK(kvps_delete(g_store, key(name)));
    }
}

/* Lists everything options select, page by page, into one text: items relative to strip,
 * keys as "k:NAME", prefixes as "p:NAME", joined by spaces. Checks that items come in one byte
 * order across pages and that no page is larger than asked. */
static char *list_all(kvps_list_options options, const char *strip) {
    size_t cap = 4096, len = 0;
    char *out = calloc(cap, 1);
    char last[KVPS_KEY_MAX + 1] = "";
    char *cursor = NULL;
    for (int pages = 0;; ++pages) {
        if (pages > 100) fail_msg("listing does not end");
        kvps_list_page *page = NULL;
        options.cursor = cursor;
        ASSERT_OK(kvps_list_with(g_store, &options, &page));
        size_t nk = kvps_list_page_count(page), np = kvps_list_page_prefix_count(page);
        if (options.page_size) assert_true(nk + np <= options.page_size);
        assert_null(kvps_list_page_prefix(page, np));
        /* Merge the page's keys and prefixes in byte order. */
        size_t i = 0, j = 0;
        while (i < nk || j < np) {
            const char *k = i < nk ? kvps_list_page_entry(page, i)->key : NULL;
            const char *p = j < np ? kvps_list_page_prefix(page, j) : NULL;
            int take_key = k && (!p || strcmp(k, p) < 0);
            const char *item = take_key ? k : p ? p : ""; /* p is set when k is not taken */
            if (*last && strcmp(item, last) <= 0)
                fail_msg("\"%s\" listed after \"%s\"", item, last);
            snprintf(last, sizeof last, "%s", item);
            take_key ? ++i : ++j;
            size_t need = len + strlen(item) + 4;
            if (need > cap) out = realloc(out, cap = need * 2);
            len += (size_t)sprintf(out + len, "%s%s:%s", len ? " " : "", take_key ? "k" : "p",
                                   item + strlen(strip));
        }
        const char *next = kvps_list_page_cursor(page);
        free(cursor);
        cursor = next ? strdup(next) : NULL;
        kvps_list_page_free(page);
        if (!cursor) break;
    }
    return out;
}

static void expect_listing(kvps_list_options options, const char *strip, const char *expected) {
    static const size_t sizes[] = {1, 2, 3, 0};
    for (size_t s = 0; s < 4; ++s) {
        options.page_size = sizes[s];
        char *got = list_all(options, strip);
        if (strcmp(got, expected) != 0)
            fail_msg(
                "prefix \"%s\", delimiter \"%s\", start_after \"%s\", page size %zu:\n got  %s\n "
                "want %s",
                options.prefix ? options.prefix : "", options.delimiter ? options.delimiter : "",
                options.start_after ? options.start_after : "", sizes[s], got, expected);
        free(got);
    }
}

static void test_list_delimiter(void **state) {
    (void)state;
    if (refuses_listing()) return;
    put_dl_keys();
    char base[128], sub[128], partial[128];
    snprintf(base, sizeof base, "%sdl/", g_prefix);
    snprintf(sub, sizeof sub, "%sdl/b/", g_prefix);
    snprintf(partial, sizeof partial, "%sdl/c", g_prefix);
    kvps_list_options o = KVPS_LIST_OPTIONS_INIT;
    o.prefix = base;
    expect_listing(o, base, "k:a k:b/1 k:b/2 k:b/c/3 k:c-d k:c/x k:e/f/g k:z");
    o.delimiter = "/";
    expect_listing(o, base, "k:a p:b/ k:c-d p:c/ p:e/ k:z");
    o.prefix = sub;
    expect_listing(o, sub, "k:1 k:2 p:c/");
    o.prefix = partial;
    expect_listing(o, base, "k:c-d p:c/");
    o.prefix = base;
    o.delimiter = "-";
    expect_listing(o, base, "k:a k:b/1 k:b/2 k:b/c/3 p:c- k:c/x k:e/f/g k:z");
    o.delimiter = "/c";
    expect_listing(o, base, "k:a k:b/1 k:b/2 p:b/c k:c-d k:c/x k:e/f/g k:z");

    /* The run prefix itself folds: one common prefix for all of dl/. */
    o.prefix = g_prefix;
    o.delimiter = "/";
    char *top = list_all(o, g_prefix);
    if (!strstr(top, "p:dl/")) fail_msg("no common prefix dl/ in %s", top);
    free(top);

    /* Bad options. */
    kvps_list_page *page = NULL;
    o.prefix = base;
    o.delimiter = "";
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list_with(g_store, &o, &page));
    ASSERT_MESSAGE_HAS("delimiter");
    o.delimiter = "\n";
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list_with(g_store, &o, &page));
    o.delimiter = "/";
    o.version = 99;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list_with(g_store, &o, &page));
    ASSERT_MESSAGE_HAS("version");
    o.version = KVPS_LIST_OPTIONS_VERSION;
    o.start_after = "\xff";
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_list_with(g_store, &o, &page));
    ASSERT_MESSAGE_HAS("start_after");
    o.start_after = NULL;
    assert_null(page);

    /* A cursor belongs to its prefix and delimiter. */
    o.page_size = 1;
    ASSERT_OK(kvps_list_with(g_store, &o, &page));
    assert_non_null(kvps_list_page_cursor(page));
    char *cursor = strdup(kvps_list_page_cursor(page));
    kvps_list_page_free(page);
    page = NULL;
    kvps_list_options other = o;
    other.cursor = cursor;
    other.delimiter = NULL;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list_with(g_store, &other, &page));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list(g_store, base, cursor, 1, &page));
    other.delimiter = "-";
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list_with(g_store, &other, &page));
    assert_null(page);
    /* With a cursor, start_after is ignored. */
    other.delimiter = "/";
    other.start_after = "zzzz";
    other.page_size = 0;
    ASSERT_OK(kvps_list_with(g_store, &other, &page));
    assert_int_equal(kvps_list_page_count(page) + kvps_list_page_prefix_count(page), 5);
    kvps_list_page_free(page);
    free(cursor);

    /* NULL options: all keys, as kvps_list with defaults. */
    ASSERT_OK(kvps_list_with(g_store, NULL, &page));
    kvps_list_page_free(page);
    delete_dl_keys();
}

static void test_list_start_after(void **state) {
    (void)state;
    if (refuses_listing()) return;
    put_dl_keys();
    char base[128], after[160];
    snprintf(base, sizeof base, "%sdl/", g_prefix);
    kvps_list_options o = KVPS_LIST_OPTIONS_INIT;
    o.prefix = base;
    o.start_after = after;
    snprintf(after, sizeof after, "%sdl/b/2", g_prefix);
    expect_listing(o, base, "k:b/c/3 k:c-d k:c/x k:e/f/g k:z");
    snprintf(after, sizeof after, "%sdl/b", g_prefix); /* not a key: from the next one */
    expect_listing(o, base, "k:b/1 k:b/2 k:b/c/3 k:c-d k:c/x k:e/f/g k:z");
    snprintf(after, sizeof after, "%sdl/", g_prefix); /* before every key */
    expect_listing(o, base, "k:a k:b/1 k:b/2 k:b/c/3 k:c-d k:c/x k:e/f/g k:z");
    snprintf(after, sizeof after, "%sdl/zz", g_prefix); /* after every key */
    expect_listing(o, base, "");
    snprintf(after, sizeof after, "%s", g_prefix); /* before the prefix */
    expect_listing(o, base, "k:a k:b/1 k:b/2 k:b/c/3 k:c-d k:c/x k:e/f/g k:z");
    o.delimiter = "/";
    snprintf(after, sizeof after, "%sdl/a", g_prefix);
    expect_listing(o, base, "p:b/ k:c-d p:c/ p:e/ k:z");
    /* Inside a common prefix, or on it: the prefix is not listed again. */
    snprintf(after, sizeof after, "%sdl/b/1", g_prefix);
    expect_listing(o, base, "k:c-d p:c/ p:e/ k:z");
    snprintf(after, sizeof after, "%sdl/b/", g_prefix);
    expect_listing(o, base, "k:c-d p:c/ p:e/ k:z");
    snprintf(after, sizeof after, "%sdl/c-d", g_prefix);
    expect_listing(o, base, "p:c/ p:e/ k:z");
    delete_dl_keys();
}

/* ------------------------------------------------------------------ reads into a buffer */

static void test_get_into(void **state) {
    (void)state;
    enum { N = 70000 };
    unsigned char *value = malloc(N), *buf = malloc(N + 16);
    fill_pattern(value, N, 15, 0);
    const char *k = key("into/value");
    ASSERT_OK(kvps_put(g_store, k, value, N));

    size_t size = 0;
    memset(buf, 0xAA, N + 16);
    ASSERT_OK(kvps_get_into(g_store, k, 0, buf, N + 16, &size));
    assert_int_equal(size, N);
    assert_memory_equal(buf, value, N);
    assert_int_equal(buf[N], 0xAA); /* nothing past the value */

    ASSERT_OK(kvps_get_into(g_store, k, 0, buf, N, &size)); /* exactly fits */
    assert_int_equal(size, N);
    ASSERT_OK(kvps_get_into(g_store, k, 1000, buf, N, &size));
    assert_int_equal(size, N - 1000);
    assert_memory_equal(buf, value + 1000, N - 1000);
    ASSERT_OK(kvps_get_into(g_store, k, N, buf, 0, &size));
    assert_int_equal(size, 0);
    ASSERT_OK(kvps_get_into(g_store, k, (uint64_t)N + 5000, NULL, 0, &size));
    assert_int_equal(size, 0);

    /* Too small: the size needed, and nothing written. */
    memset(buf, 0xAA, N + 16);
    size = 0;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get_into(g_store, k, 0, buf, N - 1, &size));
    assert_int_equal(size, N);
    ASSERT_MESSAGE_HAS("too small");
    for (size_t i = 0; i < N + 16; ++i)
        if (buf[i] != 0xAA) fail_msg("byte %zu was written by a refused kvps_get_into", i);
    size = 0;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get_into(g_store, k, 10, buf, 100, &size));
    assert_int_equal(size, N - 10);
    size = 0;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get_into(g_store, k, 0, NULL, 0, &size));
    assert_int_equal(size, N);

    /* Missing keys, empty values, bad arguments. */
    size = 7;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get_into(g_store, key("into/missing"), 0, buf, N, &size));
    assert_int_equal(size, 7);
    ASSERT_OK(kvps_put(g_store, key("into/empty"), NULL, 0));
    ASSERT_OK(kvps_get_into(g_store, key("into/empty"), 0, NULL, 0, &size));
    assert_int_equal(size, 0);
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get_into(g_store, k, 0, NULL, 10, &size));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get_into(g_store, k, 0, buf, N, NULL));
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_get_into(g_store, "", 0, buf, N, &size));
    ASSERT_OK(kvps_delete(g_store, k));
    ASSERT_OK(kvps_delete(g_store, key("into/empty")));
    free(value);
    free(buf);
}

/* ------------------------------------------------------------------ checksums */

static void test_checksum_paths(void **state) {
    (void)state;
    /* Every read path of a value written with a checksum verifies and passes. */
    enum { N = 300000 };
    unsigned char *value = malloc(N), *buf = malloc(N);
    fill_pattern(value, N, 16, 0);
    const char *k = key("crc/value");
    put_and_check(k, value, N);
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(g_store, key("crc/streamed"), &w));
    ASSERT_OK(kvps_writer_write(w, value, 1000));
    ASSERT_OK(kvps_writer_write(w, value + 1000, N - 1000));
    ASSERT_OK(kvps_writer_commit(w));
    const char *keys[2] = {k, key("crc/streamed")};
    void *data[2];
    size_t sizes[2];
    kvps_status st[2];
    ASSERT_OK(kvps_get_many(g_store, 2, keys, data, sizes, st));
    for (int i = 0; i < 2; ++i) {
        assert_int_equal(sizes[i], N);
        assert_memory_equal(data[i], value, N);
        kvps_free(data[i]);
    }
    size_t size = 0;
    ASSERT_OK(kvps_get_into(g_store, keys[1], 0, buf, N, &size));
    assert_memory_equal(buf, value, N);
    void *range = NULL;
    ASSERT_OK(kvps_get_range(g_store, keys[1], 0, KVPS_TO_END, &range, &size));
    assert_int_equal(size, N);
    kvps_free(range);
    for (int i = 0; i < 2; ++i) {
        kvps_stat_info info = KVPS_STAT_INIT;
        ASSERT_OK(kvps_get_with(g_store, keys[i], &range, &size, &info));
        assert_int_equal(size, N);
        assert_int_equal(info.size, N);
        assert_memory_equal(range, value, N);
        kvps_free(range);
    }
    kvps_reader *r = NULL;
    ASSERT_OK(kvps_reader_open(g_store, keys[1], 0, KVPS_TO_END, &r));
    size_t total = 0, n = 0;
    do {
        ASSERT_OK(kvps_reader_read(r, buf + total, 7777 < N - total ? 7777 : N - total, &n));
        total += n;
    } while (n > 0 && total < N);
    ASSERT_OK(kvps_reader_read(r, buf, 1, &n));
    assert_int_equal(n, 0);
    assert_int_equal(total, N);
    assert_memory_equal(buf, value, N);
    kvps_reader_close(r);

    /* The option is accepted by every store, and typed. */
    kvps_store *s = NULL;
    kvps_option off = {"verify_checksums", "false"};
    ASSERT_OK(kvps_open_with(g_url, &off, 1, &s));
    ASSERT_OK(kvps_put(s, key("crc/unverified"), value, 1000)); /* bare memory:// is per handle */
    ASSERT_OK(kvps_get_into(s, key("crc/unverified"), 0, buf, N, &size));
    assert_int_equal(size, 1000);
    ASSERT_OK(kvps_delete(s, key("crc/unverified")));
    assert_non_null(strstr(kvps_store_url(s), "verify_checksums=false"));
    kvps_close(s);
    kvps_option bad = {"Verify_Checksums", "maybe"};
    ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open_with(g_url, &bad, 1, &s));
    ASSERT_MESSAGE_HAS("verify_checksums");
    ASSERT_OK(kvps_delete(g_store, keys[0]));
    ASSERT_OK(kvps_delete(g_store, keys[1]));
    free(value);
    free(buf);
}

/* ------------------------------------------------------------------ presigned URLs */

static void test_presign_arguments(void **state) {
    (void)state;
    char *url = NULL;
    kvps_status s = kvps_presign(g_store, key("presign/x"), "GET", 60, &url);
    if (strncmp(g_url, "s3://", 5) == 0 || strncmp(g_url, "aws://", 6) == 0) {
        ASSERT_OK(s);
        assert_true(strncmp(url, "http", 4) == 0);
        assert_non_null(strstr(url, "X-Amz-Signature="));
        assert_null(strstr(url, "secret"));
        kvps_free(url);
        url = NULL;
    } else if (strncmp(g_url, "az://", 5) == 0 || strncmp(g_url, "azure://", 8) == 0) {
        ASSERT_OK(s); /* a service SAS signed with the account key */
        assert_non_null(strstr(url, "&sig="));
        kvps_free(url);
        url = NULL;
    } else {
        ASSERT_STATUS(KVPS_UNSUPPORTED, s);
        assert_null(url);
    }
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT,
                  kvps_presign(g_store, key("presign/x"), "DELETE", 60, &url));
    ASSERT_MESSAGE_HAS("DELETE");
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_presign(g_store, key("presign/x"), "GET", 0, &url));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT,
                  kvps_presign(g_store, key("presign/x"), "GET", 604801, &url));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_presign(g_store, key("presign/x"), NULL, 60, &url));
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_presign(g_store, "", "GET", 60, &url));
    assert_null(url);
}

#define READS_TESTS                                                                 \
    cmocka_unit_test(test_list_delimiter), cmocka_unit_test(test_list_start_after), \
        cmocka_unit_test(test_get_into), cmocka_unit_test(test_checksum_paths),     \
        cmocka_unit_test(test_presign_arguments),
