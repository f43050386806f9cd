/*
 * Conformance cases of conditional writes, content type and metadata, copy and rename
 * (included by conformance.c, run as the group "conformance-writes").
 */

/* Whether the store does conditional writes / keeps properties. A backend that cannot must say
 * KVPS_UNSUPPORTED and write nothing (never write unconditionally); the cases needing them are
 * then skipped. */
static int supports(int properties) {
    static int known[2] = {-1, -1};
    if (known[properties] >= 0) return known[properties];
    const char *k = key(properties ? "probe/properties" : "probe/conditions");
    kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
    if (properties)
        o.content_type = "text/plain";
    else
        o.create_only = 1;
    kvps_status st = kvps_put_with(g_store, k, "p", 1, &o);
    kvps_stat_info info = KVPS_STAT_INIT;
    if (st == KVPS_UNSUPPORTED) {
        ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, k, &info));
        return known[properties] = 0;
    }
    ASSERT_OK(st);
    ASSERT_OK(kvps_delete(g_store, k));
    return known[properties] = 1;
}
#define REQUIRE_CONDITIONS() \
    do {                     \
        if (!supports(0)) {  \
            skip();          \
            return;          \
        }                    \
    } while (0)
#define REQUIRE_PROPERTIES() \
    do {                     \
        if (!supports(1)) {  \
            skip();          \
            return;          \
        }                    \
    } while (0)

/* The value, content type, metadata and etag of k, checked against what is expected. */
static void expect_stored(const char *k, const void *data, size_t size, const char *content_type) {
    void *got = NULL;
    size_t got_size = 0;
    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_OK(kvps_get_with(g_store, k, &got, &got_size, &info));
    assert_int_equal(got_size, size);
    if (size) assert_memory_equal(got, data, size);
    assert_int_equal(info.size, size);
    kvps_free(got);
    if (content_type) assert_string_equal(info.content_type, content_type);
    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, k, &st));
    assert_string_equal(st.etag, info.etag);
}

static void test_properties_round_trip(void **state) {
    (void)state;
    REQUIRE_PROPERTIES();
    const kvps_option meta[] = {{"Color", "blue"}, {"x-Owner", "team 7"}, {"empty", ""}};
    kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
    char etag[KVPS_ETAG_MAX] = "";
    o.content_type = "text/plain; charset=utf-8";
    o.metadata = meta;
    o.metadata_count = 3;
    o.etag_out = etag;
    ASSERT_OK(kvps_put_with(g_store, key("props/a"), "hello", 5, &o));
    assert_true(etag[0] != '\0');

    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, key("props/a"), &st));
    assert_string_equal(st.etag, etag);
    assert_string_equal(st.content_type, "text/plain; charset=utf-8");
    assert_int_equal(st.metadata_count, 3);
    const char *name = NULL, *value = NULL;
    ASSERT_OK(kvps_stat_metadata_at(&st, 0, &name, &value)); /* lower case, in byte order */
    assert_string_equal(name, "color");
    assert_string_equal(value, "blue");
    ASSERT_OK(kvps_stat_metadata_at(&st, 1, &name, &value));
    assert_string_equal(name, "empty");
    assert_string_equal(value, "");
    ASSERT_OK(kvps_stat_metadata_at(&st, 2, &name, &value));
    assert_string_equal(name, "x-owner");
    assert_string_equal(value, "team 7");
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_stat_metadata_at(&st, 3, &name, &value));
    assert_string_equal(kvps_stat_metadata_get(&st, "X-OWNER"), "team 7");
    assert_null(kvps_stat_metadata_get(&st, "missing"));

    /* get_with: the value and the same version's metadata. */
    void *data = NULL;
    size_t size = 0;
    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_OK(kvps_get_with(g_store, key("props/a"), &data, &size, &info));
    assert_int_equal(size, 5);
    assert_memory_equal(data, "hello", 5);
    kvps_free(data);
    assert_string_equal(info.etag, etag);
    assert_string_equal(info.content_type, "text/plain; charset=utf-8");
    assert_int_equal(info.metadata_count, 3);
    ASSERT_STATUS(KVPS_NOT_FOUND,
                  kvps_get_with(g_store, key("props/missing"), &data, &size, &info));

    /* A plain put replaces the properties with none. */
    ASSERT_OK(kvps_put(g_store, key("props/a"), "x", 1));
    kvps_stat_info plain = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, key("props/a"), &plain));
    assert_string_equal(plain.content_type, "application/octet-stream");
    assert_int_equal(plain.metadata_count, 0);

    /* A version 1 struct still works and only gets the version 1 fields. */
    kvps_stat_info v1 = KVPS_STAT_INIT;
    v1.version = 1;
    memset(v1.content_type, 'z', sizeof v1.content_type);
    ASSERT_OK(kvps_stat(g_store, key("props/a"), &v1));
    assert_int_equal(v1.size, 1);
    assert_int_equal(v1.content_type[0], 'z');

    /* A streamed write with properties. */
    kvps_writer *w = NULL;
    kvps_put_options wo = KVPS_PUT_OPTIONS_INIT;
    char wetag[KVPS_ETAG_MAX] = "";
    wo.content_type = "image/png";
    wo.metadata = meta;
    wo.metadata_count = 1;
    wo.etag_out = wetag;
    ASSERT_OK(kvps_writer_open_with(g_store, key("props/streamed"), &wo, &w));
    ASSERT_OK(kvps_writer_write(w, "png", 3));
    ASSERT_OK(kvps_writer_commit(w));
    ASSERT_OK(kvps_stat(g_store, key("props/streamed"), &st));
    assert_string_equal(st.content_type, "image/png");
    assert_int_equal(st.metadata_count, 1);
    assert_string_equal(kvps_stat_metadata_get(&st, "color"), "blue");
    assert_string_equal(st.etag, wetag);
}

static void test_bad_put_options(void **state) {
    (void)state;
    const char *k = key("bad-options/k");
    kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
    o.create_only = 1;
    o.if_match = "abc";
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put_with(g_store, k, "x", 1, &o));
    ASSERT_MESSAGE_HAS("create_only");

    kvps_put_options bad_type = KVPS_PUT_OPTIONS_INIT;
    bad_type.content_type = "text/plain\r\nX-Evil: 1";
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put_with(g_store, k, "x", 1, &bad_type));
    ASSERT_MESSAGE_HAS("content type");

    const kvps_option bad_name[] = {{"bad name", "v"}};
    kvps_put_options m = KVPS_PUT_OPTIONS_INIT;
    m.metadata = bad_name;
    m.metadata_count = 1;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put_with(g_store, k, "x", 1, &m));
    ASSERT_MESSAGE_HAS("bad name");

    const kvps_option twice[] = {{"Same", "1"}, {"sAME", "2"}};
    m.metadata = twice;
    m.metadata_count = 2;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put_with(g_store, k, "x", 1, &m));
    ASSERT_MESSAGE_HAS("same");

    const kvps_option control[] = {{"name", "line\nbreak"}};
    m.metadata = control;
    m.metadata_count = 1;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put_with(g_store, k, "x", 1, &m));

    static char big[KVPS_METADATA_MAX];
    memset(big, 'v', sizeof big - 1);
    const kvps_option too_big[] = {{"big", big}};
    big[KVPS_METADATA_MAX - 14 + 1] = '\0'; /* "x-amz-meta-big" + 2035 bytes > 2048 */
    m.metadata = too_big;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put_with(g_store, k, "x", 1, &m));
    ASSERT_MESSAGE_HAS("2048");
    big[KVPS_METADATA_MAX - 14] = '\0'; /* 14 + 2034 bytes fit */
    kvps_stat_info st = KVPS_STAT_INIT;
    if (supports(1)) {
        ASSERT_OK(kvps_put_with(g_store, k, "x", 1, &m));
        ASSERT_OK(kvps_stat(g_store, k, &st));
        assert_int_equal(strlen(kvps_stat_metadata_get(&st, "big")), KVPS_METADATA_MAX - 14);
        ASSERT_OK(kvps_delete(g_store, k));
    }

    kvps_put_options version = KVPS_PUT_OPTIONS_INIT;
    version.version = 99;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_put_with(g_store, k, "x", 1, &version));
    kvps_writer *w = NULL;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_writer_open_with(g_store, k, &o, &w));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_copy(g_store, k, key("bad-options/to"), &o));
    /* Nothing was written by any of them. */
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, k, &st));
}

static void test_conditions(void **state) {
    (void)state;
    REQUIRE_CONDITIONS();
    const char *k = key("cond/k");
    char etag1[KVPS_ETAG_MAX] = "", etag2[KVPS_ETAG_MAX] = "";
    kvps_put_options create = KVPS_PUT_OPTIONS_INIT;
    create.create_only = 1;
    create.etag_out = etag1;
    ASSERT_OK(kvps_put_with(g_store, k, "one", 3, &create));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_put_with(g_store, k, "two", 3, &create));
    ASSERT_MESSAGE_HAS("cond/k");
    ASSERT_MESSAGE_HAS("create_only");
    expect_stored(k, "one", 3, NULL);

    kvps_put_options match = KVPS_PUT_OPTIONS_INIT;
    match.if_match = "not-the-etag";
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_put_with(g_store, k, "two", 3, &match));
    ASSERT_MESSAGE_HAS("if_match");
    expect_stored(k, "one", 3, NULL);
    match.if_match = etag1;
    match.etag_out = etag2;
    ASSERT_OK(kvps_put_with(g_store, k, "two", 3, &match));
    assert_string_not_equal(etag1, etag2);
    expect_stored(k, "two", 3, NULL);
    /* The old etag no longer matches. */
    match.etag_out = NULL;
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_put_with(g_store, k, "three", 5, &match));
    expect_stored(k, "two", 3, NULL);
    /* if_match on a missing key fails. */
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED,
                  kvps_put_with(g_store, key("cond/missing"), "x", 1, &match));
    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, key("cond/missing"), &st));

    /* Writers: the condition holds at commit. */
    kvps_writer *w = NULL;
    create.etag_out = NULL;
    ASSERT_OK(kvps_writer_open_with(g_store, k, &create, &w));
    ASSERT_OK(kvps_writer_write(w, "four", 4));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_writer_commit(w));
    expect_stored(k, "two", 3, NULL);
    kvps_put_options good = KVPS_PUT_OPTIONS_INIT;
    char etag3[KVPS_ETAG_MAX] = "";
    good.if_match = etag2;
    good.etag_out = etag3;
    ASSERT_OK(kvps_writer_open_with(g_store, k, &good, &w));
    /* Another write lands between open and commit: the commit must fail. */
    ASSERT_OK(kvps_put(g_store, k, "five", 4));
    ASSERT_OK(kvps_writer_write(w, "six", 3));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_writer_commit(w));
    expect_stored(k, "five", 4, NULL);
    ASSERT_OK(kvps_stat(g_store, k, &st));
    good.if_match = st.etag;
    ASSERT_OK(kvps_writer_open_with(g_store, k, &good, &w));
    ASSERT_OK(kvps_writer_write(w, "seven", 5));
    ASSERT_OK(kvps_writer_commit(w));
    ASSERT_OK(kvps_stat(g_store, k, &st));
    assert_string_equal(st.etag, etag3);
    expect_stored(k, "seven", 5, NULL);
    /* A create_only writer that is aborted leaves nothing. */
    ASSERT_OK(kvps_writer_open_with(g_store, key("cond/aborted"), &create, &w));
    kvps_writer_abort(w);
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, key("cond/aborted"), &st));
}

/* A streamed create_only write bigger than any part size over an existing key fails and
 * changes nothing. */
static void test_streamed_condition_20mib(void **state) {
    (void)state;
    REQUIRE_CONDITIONS();
    const char *k = key("cond/big");
    ASSERT_OK(kvps_put(g_store, k, "small", 5));
    size_t chunk = 1 << 20;
    unsigned char *buf = malloc(chunk);
    kvps_put_options create = KVPS_PUT_OPTIONS_INIT;
    create.create_only = 1;
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open_with(g_store, k, &create, &w));
    for (int i = 0; i < 20; ++i) {
        fill_pattern(buf, chunk, 3, (uint64_t)i * chunk);
        ASSERT_OK(kvps_writer_write(w, buf, chunk));
    }
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_writer_commit(w));
    expect_stored(k, "small", 5, NULL);
    /* With the right etag it goes through. */
    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, k, &st));
    kvps_put_options match = KVPS_PUT_OPTIONS_INIT;
    match.if_match = st.etag;
    ASSERT_OK(kvps_writer_open_with(g_store, k, &match, &w));
    for (int i = 0; i < 20; ++i) {
        fill_pattern(buf, chunk, 3, (uint64_t)i * chunk);
        ASSERT_OK(kvps_writer_write(w, buf, chunk));
    }
    ASSERT_OK(kvps_writer_commit(w));
    ASSERT_OK(kvps_stat(g_store, k, &st));
    assert_int_equal(st.size, 20 * chunk);
    free(buf);
}

/* ---- compare-and-swap counter and create_only race */

#define CAS_THREADS 8
#define CAS_INCREMENTS 250

/* Increments per thread: CAS_INCREMENTS (8 threads x 250: 2,000 contended increments, each thread
 * losing most of its races, enough to show a lost update), or KVPS_CONFORMANCE_CAS_INCREMENTS: more
 * for a long run (scripts/reliability-long.sh), fewer for a server too slow for 2,000 round trips in
 * a test run (Azurite: about 10 a second on a loaded 2-core machine). */
static int cas_increments(void) {
    const char *text = getenv("KVPS_CONFORMANCE_CAS_INCREMENTS");
    int n = text ? atoi(text) : 0;
    return n > 0 ? n : CAS_INCREMENTS;
}

struct cas_args {
    kvps_store *store;
    const char *key;
    int increments;
    long retries;
    int failures;
};

/* One increment: read value and etag, write value + 1 if the etag still holds, else retry. */
static int kvps_test_cas_increment(kvps_store *store, const char *k, long *retries) {
    for (;;) {
        void *data = NULL;
        size_t size = 0;
        kvps_stat_info info = KVPS_STAT_INIT;
        if (kvps_get_with(store, k, &data, &size, &info) != KVPS_OK) {
            fprintf(stderr, "cas: get_with: %s\n", kvps_last_error());
            return -1;
        }
        long value = strtol((const char *)data, NULL, 10);
        kvps_free(data);
        char text[32];
        int n = snprintf(text, sizeof text, "%ld", value + 1);
        kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
        o.if_match = info.etag;
        kvps_status st = kvps_put_with(store, k, text, (size_t)n, &o);
        if (st == KVPS_OK) return 0;
        if (st != KVPS_PRECONDITION_FAILED) {
            fprintf(stderr, "cas: put_with: %s: %s\n", kvps_status_name(st), kvps_last_error());
            return -1;
        }
        ++*retries;
    }
}

static void *cas_thread(void *arg) {
    struct cas_args *a = arg;
    for (int i = 0; i < a->increments; ++i)
        if (kvps_test_cas_increment(a->store, a->key, &a->retries) != 0) {
            a->failures++;
            break;
        }
    return NULL;
}

static long read_counter(const char *k) {
    void *data = NULL;
    size_t size = 0;
    ASSERT_OK(kvps_get(g_store, k, &data, &size));
    long value = strtol((const char *)data, NULL, 10);
    kvps_free(data);
    return value;
}

static void test_cas_counter(void **state) {
    (void)state;
    REQUIRE_CONDITIONS();
    const char *k = key("cas/counter");
    ASSERT_OK(kvps_put(g_store, k, "0", 1));
    const int increments = cas_increments();
    struct cas_args args[CAS_THREADS];
    pthread_t threads[CAS_THREADS];
    for (int i = 0; i < CAS_THREADS; ++i) {
        args[i] = (struct cas_args){g_store, k, increments, 0, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, cas_thread, &args[i]), 0);
    }
    long retries = 0;
    int failures = 0;
    for (int i = 0; i < CAS_THREADS; ++i) {
        pthread_join(threads[i], NULL);
        retries += args[i].retries;
        failures += args[i].failures;
    }
    assert_int_equal(failures, 0);
    fprintf(stderr, "cas counter: %d increments, %ld retries\n", CAS_THREADS * increments, retries);
    assert_int_equal(read_counter(k), CAS_THREADS * increments);
}

#define RACE_THREADS 16

struct race_args {
    const char *key;
    int id;
    kvps_status status;
};

static pthread_barrier_t g_race_barrier;

static void *race_thread(void *arg) {
    struct race_args *a = arg;
    char text[16];
    int n = snprintf(text, sizeof text, "thread-%d", a->id);
    kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
    o.create_only = 1;
    pthread_barrier_wait(&g_race_barrier);
    a->status = kvps_put_with(g_store, a->key, text, (size_t)n, &o);
    return NULL;
}

static void test_create_only_race(void **state) {
    (void)state;
    REQUIRE_CONDITIONS();
    const char *k = key("race/k");
    struct race_args args[RACE_THREADS];
    pthread_t threads[RACE_THREADS];
    pthread_barrier_init(&g_race_barrier, NULL, RACE_THREADS);
    for (int i = 0; i < RACE_THREADS; ++i) {
        args[i] = (struct race_args){k, i, KVPS_INTERNAL};
        assert_int_equal(pthread_create(&threads[i], NULL, race_thread, &args[i]), 0);
    }
    int winners = 0, winner = -1;
    for (int i = 0; i < RACE_THREADS; ++i) {
        pthread_join(threads[i], NULL);
        if (args[i].status == KVPS_OK)
            ++winners, winner = i;
        else
            assert_int_equal(args[i].status, KVPS_PRECONDITION_FAILED);
    }
    pthread_barrier_destroy(&g_race_barrier);
    assert_int_equal(winners, 1);
    char text[16];
    int n = snprintf(text, sizeof text, "thread-%d", winner);
    expect_stored(k, text, (size_t)n, NULL);
}

/* ---- copy and rename */

static void check_copy(const char *from, const char *to, const void *data, size_t size) {
    const kvps_option meta[] = {{"Origin", "conformance"}};
    kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
    o.content_type = "application/x-kvps-test";
    o.metadata = meta;
    o.metadata_count = 1;
    int props = supports(1);
    const char *type = props ? "application/x-kvps-test" : NULL;
    ASSERT_OK(kvps_put_with(g_store, from, data, size, props ? &o : NULL));
    ASSERT_OK(kvps_copy(g_store, from, to, NULL));
    expect_stored(to, data, size, type);
    expect_stored(from, data, size, type);
    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, to, &st));
    if (props) assert_string_equal(kvps_stat_metadata_get(&st, "origin"), "conformance");
    ASSERT_OK(kvps_delete(g_store, to));
    char moved[KVPS_KEY_MAX];
    snprintf(moved, sizeof moved, "%s.moved", to);
    char etag[KVPS_ETAG_MAX] = "";
    kvps_put_options r = KVPS_PUT_OPTIONS_INIT;
    r.etag_out = etag;
    ASSERT_OK(kvps_rename(g_store, from, moved, &r));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, from, &st));
    expect_stored(moved, data, size, type);
    ASSERT_OK(kvps_stat(g_store, moved, &st));
    assert_string_equal(st.etag, etag);
    if (props) assert_string_equal(kvps_stat_metadata_get(&st, "origin"), "conformance");
    ASSERT_OK(kvps_delete(g_store, moved));
}

static void test_copy_and_rename(void **state) {
    (void)state;
    check_copy(key("copy/a/empty"), key("copy/b/empty"), "", 0);
    check_copy(key("copy/a/one"), key("other/one"), "1", 1);
    size_t n = 9 << 20; /* above the default part size */
    unsigned char *big = malloc(n);
    fill_pattern(big, n, 11, 0);
    check_copy(key("copy/a/big"), key("copy/deep/er/big"), big, n);
    free(big);

    /* A missing source. */
    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_copy(g_store, key("copy/missing"), key("copy/x"), NULL));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_rename(g_store, key("copy/missing"), key("copy/x"), NULL));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, key("copy/x"), &st));
    REQUIRE_CONDITIONS();
    REQUIRE_PROPERTIES();

    /* Onto itself: nothing changes; a new content type is applied. */
    const char *k = key("copy/self");
    ASSERT_OK(kvps_put(g_store, k, "self", 4));
    ASSERT_OK(kvps_copy(g_store, k, k, NULL));
    ASSERT_OK(kvps_rename(g_store, k, k, NULL));
    expect_stored(k, "self", 4, "application/octet-stream");
    kvps_put_options ct = KVPS_PUT_OPTIONS_INIT;
    ct.content_type = "text/x-self";
    ASSERT_OK(kvps_copy(g_store, k, k, &ct));
    expect_stored(k, "self", 4, "text/x-self");
    kvps_put_options create = KVPS_PUT_OPTIONS_INIT;
    create.create_only = 1;
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_rename(g_store, k, k, &create));

    /* Conditions apply to the target; a failed one moves nothing. */
    const char *t = key("copy/target");
    ASSERT_OK(kvps_put(g_store, t, "target", 6));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_copy(g_store, k, t, &create));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_rename(g_store, k, t, &create));
    expect_stored(t, "target", 6, NULL);
    expect_stored(k, "self", 4, "text/x-self");
    ASSERT_OK(kvps_stat(g_store, t, &st));
    kvps_put_options match = KVPS_PUT_OPTIONS_INIT;
    match.if_match = st.etag;
    /* New metadata replaces the source's; the content type is kept. */
    const kvps_option meta[] = {{"new", "yes"}};
    match.metadata = meta;
    match.metadata_count = 1;
    ASSERT_OK(kvps_rename(g_store, k, t, &match));
    expect_stored(t, "self", 4, "text/x-self");
    ASSERT_OK(kvps_stat(g_store, t, &st));
    assert_int_equal(st.metadata_count, 1);
    assert_string_equal(kvps_stat_metadata_get(&st, "new"), "yes");
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, k, &st));
    ASSERT_OK(kvps_copy(g_store, t, k, &create)); /* create_only onto a missing key */
    expect_stored(k, "self", 4, "text/x-self");
}
