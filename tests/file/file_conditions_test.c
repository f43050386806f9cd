/*
 * file:// conditions across processes, and stores written by the 0.1.0 release.
 *
 *   - compare-and-swap counter: 2 processes x 4 threads x 1000 increments end at exactly 8000
 *     (the folder lock is shared between processes, not only threads);
 *   - a store written by kvps 0.1.0 (tests/file/fixtures/store-0.1.0, made with that release's
 *     `kvps put`) opens, reads, reports no properties, and takes values with properties.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvps.h"
#include "../kvps_test.h"

#define PROCESSES 2
#define THREADS 4
#define INCREMENTS 1000

static char g_dir[256];

static int increment(kvps_store *store, const char *k) {
    for (;;) {
        void *data = NULL;
        size_t size = 0;
        kvps_stat_info info = KVPS_STAT_INIT;
        if (kvps_get_with(store, k, &data, &size, &info) != KVPS_OK) return -1;
        long value = strtol(data, NULL, 10);
        kvps_free(data);
        char text[32];
        int n = snprintf(text, sizeof text, "%ld", value + 1);
        kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
        o.if_match = info.etag;
        kvps_status st = kvps_put_with(store, k, text, (size_t)n, &o);
        if (st == KVPS_OK) return 0;
        if (st != KVPS_PRECONDITION_FAILED) return -1;
    }
}

static void *worker(void *arg) {
    kvps_store *store = arg;
    for (int i = 0; i < INCREMENTS; ++i)
        if (increment(store, "counter") != 0) return (void *)1;
    return NULL;
}

static int child(const char *url) {
    kvps_store *store = NULL;
    if (kvps_open(url, &store) != KVPS_OK) return 2;
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; ++i) pthread_create(&threads[i], NULL, worker, store);
    int failed = 0;
    for (int i = 0; i < THREADS; ++i) {
        void *ret = NULL;
        pthread_join(threads[i], &ret);
        failed |= ret != NULL;
    }
    if (failed) fprintf(stderr, "child %d: %s\n", (int)getpid(), kvps_last_error());
    kvps_close(store);
    return failed;
}

static void test_cas_across_processes(void **state) {
    (void)state;
    char url[512];
    snprintf(url, sizeof url, "file://%s/cas?fsync=false", g_dir);
    kvps_store *store = NULL;
    ASSERT_OK(kvps_open(url, &store));
    ASSERT_OK(kvps_put(store, "counter", "0", 1));
    pid_t pids[PROCESSES];
    for (int p = 0; p < PROCESSES; ++p) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) _exit(child(url));
    }
    for (int p = 0; p < PROCESSES; ++p) {
        int status = 0;
        assert_int_equal(waitpid(pids[p], &status, 0), pids[p]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    void *data = NULL;
    size_t size = 0;
    ASSERT_OK(kvps_get(store, "counter", &data, &size));
    assert_int_equal(strtol(data, NULL, 10), PROCESSES * THREADS * INCREMENTS);
    kvps_free(data);
    kvps_close(store);
}

static void test_release_store_opens(void **state) {
    (void)state;
    const char *fixtures = getenv("KVPS_FILE_FIXTURES");
    assert_non_null(fixtures);
    char command[1024], url[512];
    snprintf(command, sizeof command, "cp -R '%s/store-0.1.0' '%s/old'", fixtures, g_dir);
    assert_int_equal(system(command), 0);
    snprintf(url, sizeof url, "file://%s/old", g_dir);
    kvps_store *store = NULL;
    ASSERT_OK(kvps_open(url, &store));
    void *data = NULL;
    size_t size = 0;
    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_OK(kvps_get_with(store, "greeting", &data, &size, &info));
    assert_int_equal(size, 14);
    assert_memory_equal(data, "hello, world!\n", 14);
    kvps_free(data);
    assert_string_equal(info.content_type, "application/octet-stream");
    assert_int_equal(info.metadata_count, 0);
    ASSERT_OK(kvps_get(store, "photos/cat.jpg", &data, &size));
    assert_int_equal(size, 4);
    kvps_free(data);
    /* The old value takes a condition and properties in place. */
    kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
    const kvps_option meta[] = {{"upgraded", "yes"}};
    o.if_match = info.etag;
    o.content_type = "text/plain";
    o.metadata = meta;
    o.metadata_count = 1;
    ASSERT_OK(kvps_put_with(store, "greeting", "hi", 2, &o));
    ASSERT_OK(kvps_stat(store, "greeting", &info));
    assert_string_equal(info.content_type, "text/plain");
    assert_string_equal(kvps_stat_metadata_get(&info, "upgraded"), "yes");
    kvps_close(store);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "%s/kvps-file-cond-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cas_across_processes),
        cmocka_unit_test(test_release_store_opens),
    };
    int failed = cmocka_run_group_tests_name("file-conditions", tests, NULL, NULL);
    char command[512];
    snprintf(command, sizeof command, "rm -rf '%s'", g_dir);
    if (system(command) != 0) return 1;
    return failed;
}
