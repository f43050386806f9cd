/*
 * The file backend's own tests, beyond the conformance suite: URL forms, options, error
 * statuses (missing folder, folder that is a file, no permission, full disk), the format
 * marker, stale temporary files, traversal and symbolic links, and listing order in both
 * layouts over keys that exercise the encoded directory segments.
 */
#include "file_test_util.h"

#include <sched.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <cmocka.h>

static char *g_tmp; /* a fresh folder per test */

static int setup(void **state) {
    (void)state;
    g_tmp = make_temp_dir();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    remove_tree(g_tmp);
    free(g_tmp);
    g_tmp = NULL;
    return 0;
}

static kvps_store *open_ok(const char *url) {
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(url, &s));
    return s;
}

static void get_equals(kvps_store *s, const char *key, const char *expected) {
    void *data = NULL;
    size_t size = 0;
    ASSERT_OK(kvps_get(s, key, &data, &size));
    assert_int_equal(size, strlen(expected));
    assert_memory_equal(data, expected, size);
    kvps_free(data);
}

/* Every key in the store (optionally under prefix), through pages of page_size; the caller
 * frees each key and the array. */
static char **list_all(kvps_store *s, const char *prefix, size_t page_size, size_t *count) {
    size_t n = 0, cap = 16;
    char **keys = malloc(cap * sizeof *keys);
    char *cursor = NULL;
    for (int pages = 0;; ++pages) {
        kvps_list_page *page = NULL;
        ASSERT_OK(kvps_list(s, prefix, cursor, page_size, &page));
        assert_true(kvps_list_page_count(page) <= page_size);
        for (size_t i = 0; i < kvps_list_page_count(page); ++i) {
            if (n == cap) keys = realloc(keys, (cap *= 2) * sizeof *keys);
            keys[n++] = strdup(kvps_list_page_entry(page, i)->key);
        }
        free(cursor);
        const char *next = kvps_list_page_cursor(page);
        cursor = next ? strdup(next) : NULL;
        kvps_list_page_free(page);
        if (!cursor) break;
        assert_true(pages < 1000000);
    }
    *count = n;
    return keys;
}

static void free_keys(char **keys, size_t n) {
    for (size_t i = 0; i < n; ++i) free(keys[i]);
    free(keys);
}

/* ------------------------------------------------------------------ URLs and options */

static void test_url_forms(void **state) {
    (void)state;
    char old_cwd[4096];
    assert_non_null(getcwd(old_cwd, sizeof old_cwd));
    assert_int_equal(chdir(g_tmp), 0);
    kvps_store *s = open_ok("file://./rel/store");
    ASSERT_OK(kvps_put(s, "k", "v", 1));
    kvps_close(s);
    assert_int_equal(chdir(old_cwd), 0);
    char *marker = str("%s/rel/store/.kvps-format", g_tmp);
    assert_true(exists(marker));
    free(marker);

    const char *forms[] = {"file://%s/rel/store", "file://localhost%s/rel/store",
                           "local://%s/rel/store", "path://%s/rel/store", "file://%s/rel/store/"};
    for (size_t i = 0; i < sizeof forms / sizeof *forms; ++i) {
        char *url = str(forms[i], g_tmp);
        s = open_ok(url);
        get_equals(s, "k", "v");
        kvps_close(s);
        free(url);
    }
    /* KVPSButter's rule: another host starts a relative path (file://somehost/x is ./somehost/x),
     * tested with the kvps tool in tests/kvpsbutter. */
    const char *bad[] = {"file://", "file:///", "file://user@localhost/x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; ++i) {
        s = NULL;
        ASSERT_STATUS(KVPS_INVALID_URL, kvps_open(bad[i], &s));
        assert_null(s);
    }
    char *url = str("file://%s/x?fsync=maybe", g_tmp);
    ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open(url, &s));
    ASSERT_MESSAGE_HAS("fsync");
    free(url);
}

static void test_fsync_false_works(void **state) {
    (void)state;
    char *url = str("file://%s/s?fsync=false", g_tmp);
    kvps_store *s = open_ok(url);
    ASSERT_OK(kvps_put(s, "a/b", "one", 3));
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(s, "streamed", &w));
    ASSERT_OK(kvps_writer_write(w, "two", 3));
    ASSERT_OK(kvps_writer_commit(w));
    get_equals(s, "a/b", "one");
    get_equals(s, "streamed", "two");
    size_t n;
    char **keys = list_all(s, "", 10, &n);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0], "a/b");
    assert_string_equal(keys[1], "streamed");
    free_keys(keys, n);
    ASSERT_OK(kvps_delete(s, "a/b"));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(s, "a/b", &(void *){0}, &(size_t){0}));
    kvps_close(s);
    free(url);
}

/* ------------------------------------------------------------------ error statuses */

static void test_missing_folder_with_create_false(void **state) {
    (void)state;
    char *path = str("%s/missing/deeper", g_tmp);
    char *url = str("file://%s?create=false", path);
    kvps_store *s = NULL;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_open(url, &s));
    assert_null(s);
    ASSERT_MESSAGE_HAS(path);
    assert_false(exists(path));
    free(url);
    /* create (the default) makes it, parents included. */
    url = str("file://%s", path);
    s = open_ok(url);
    kvps_close(s);
    assert_true(exists(path));
    free(url);
    free(path);
}

static void test_folder_that_is_a_file(void **state) {
    (void)state;
    char *path = str("%s/plain-file", g_tmp);
    write_text(path, "not a folder");
    char *url = str("file://%s", path);
    kvps_store *s = NULL;
    ASSERT_STATUS(KVPS_IO, kvps_open(url, &s));
    ASSERT_MESSAGE_HAS(path);
    ASSERT_MESSAGE_HAS("not a folder");
    free(url);
    url = str("file://%s/below", path);
    ASSERT_STATUS(KVPS_IO, kvps_open(url, &s));
    ASSERT_MESSAGE_HAS(path);
    assert_null(s);
    char *text = read_text(path);
    assert_string_equal(text, "not a folder");
    free(text);
    free(url);
    free(path);
}

/* Runs fn in a child process (as an unprivileged user when we are root, since root passes
 * every permission check); returns the child's exit status. */
static int run_child(int (*fn)(void), bool drop_root) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (drop_root && geteuid() == 0) {
            if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
                perror("dropping root");
                _exit(2);
            }
        }
        _exit(fn());
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define CHILD_CHECK(cond)                                                                     \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "child check failed at line %d: %s (last error: %s)\n", __LINE__, \
                    #cond, kvps_last_error());                                                \
            return 1;                                                                         \
        }                                                                                     \
    } while (0)

static int permission_child(void) {
    kvps_store *s = NULL;
    /* A folder we may not enter. */
    char *closed = str("%s/closed/store", g_tmp);
    char *url = str("file://%s", closed);
    CHILD_CHECK(kvps_open(url, &s) == KVPS_PERMISSION_DENIED);
    CHILD_CHECK(strstr(kvps_last_error(), closed) != NULL);
    free(url);
    /* A store we may read but not write: reads work, a put fails naming the path. */
    char *readonly = str("%s/readonly", g_tmp);
    url = str("file://%s", readonly);
    CHILD_CHECK(kvps_open(url, &s) == KVPS_OK);
    void *data = NULL;
    size_t size = 0;
    CHILD_CHECK(kvps_get(s, "existing", &data, &size) == KVPS_OK && size == 3);
    kvps_free(data);
    CHILD_CHECK(kvps_put(s, "new", "v", 1) == KVPS_PERMISSION_DENIED);
    CHILD_CHECK(strstr(kvps_last_error(), readonly) != NULL);
    CHILD_CHECK(kvps_put(s, "existing", "changed", 7) == KVPS_PERMISSION_DENIED);
    kvps_writer *w = NULL;
    CHILD_CHECK(kvps_writer_open(s, "streamed", &w) == KVPS_PERMISSION_DENIED);
    CHILD_CHECK(kvps_get(s, "existing", &data, &size) == KVPS_OK && size == 3);
    kvps_free(data);
    kvps_close(s);
    free(url);
    free(readonly);
    free(closed);
    return 0;
}

static void test_permission_denied(void **state) {
    (void)state;
    char *closed = str("%s/closed", g_tmp);
    assert_int_equal(mkdir(closed, 0700), 0);
    char *readonly = str("%s/readonly", g_tmp);
    char *url = str("file://%s", readonly);
    kvps_store *s = open_ok(url);
    ASSERT_OK(kvps_put(s, "existing", "old", 3));
    kvps_close(s);
    /* Make the store read-only for everyone but root, and g_tmp reachable by the child. */
    char *cmd = str("chmod -R a+rX,a-w '%s' && chmod 0711 '%s'", readonly, g_tmp);
    assert_int_equal(system(cmd), 0);
    int rc = run_child(permission_child, true);
    assert_int_equal(rc, 0);
    /* Nothing half-written: the staging folder is empty and the value is the old one. */
    char *staging = str("%s/.kvps-staging", readonly);
    assert_int_equal(count_entries(staging), 0);
    free(cmd);
    cmd = str("chmod -R u+w '%s'", readonly);
    assert_int_equal(system(cmd), 0);
    s = open_ok(url);
    get_equals(s, "existing", "old");
    kvps_close(s);
    free(staging);
    free(cmd);
    free(url);
    free(readonly);
    free(closed);
}

/* In a private mount namespace, a 1 MiB tmpfs fills up. */
static int no_space_child(void) {
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        fprintf(stderr, "no private mount namespace (%s)\n", strerror(errno));
        return 77;
    }
    char *small = str("%s/small", g_tmp);
    mkdir(small, 0755);
    if (mount("kvps-test", small, "tmpfs", 0, "size=1m") != 0) {
        fprintf(stderr, "cannot mount a tmpfs (%s)\n", strerror(errno));
        return 77;
    }
    char *url = str("file://%s/store", small);
    kvps_store *s = NULL;
    CHILD_CHECK(kvps_open(url, &s) == KVPS_OK);
    CHILD_CHECK(kvps_put(s, "key", "old", 3) == KVPS_OK);
    size_t big = 4u << 20;
    char *data = calloc(1, big);
    CHILD_CHECK(kvps_put(s, "key", data, big) == KVPS_NO_SPACE);
    CHILD_CHECK(strstr(kvps_last_error(), small) != NULL);
    CHILD_CHECK(kvps_put(s, "other", data, big) == KVPS_NO_SPACE);
    /* A streamed write fails on a write or on commit, never half-visible. */
    kvps_writer *w = NULL;
    CHILD_CHECK(kvps_writer_open(s, "streamed", &w) == KVPS_OK);
    kvps_status st = KVPS_OK;
    for (int i = 0; i < 8 && st == KVPS_OK; ++i) st = kvps_writer_write(w, data, big / 8);
    if (st == KVPS_OK)
        st = kvps_writer_commit(w);
    else
        kvps_writer_abort(w);
    CHILD_CHECK(st == KVPS_NO_SPACE);
    void *got = NULL;
    size_t size = 0;
    CHILD_CHECK(kvps_get(s, "key", &got, &size) == KVPS_OK && size == 3 &&
                memcmp(got, "old", 3) == 0);
    kvps_free(got);
    CHILD_CHECK(kvps_get(s, "other", &got, &size) == KVPS_NOT_FOUND);
    CHILD_CHECK(kvps_get(s, "streamed", &got, &size) == KVPS_NOT_FOUND);
    char *staging = str("%s/store/.kvps-staging", small);
    CHILD_CHECK(count_entries(staging) == 0);
    /* Once there is room again, writes work. */
    CHILD_CHECK(kvps_put(s, "key", "new", 3) == KVPS_OK);
    kvps_close(s);
    umount(small);
    free(staging);
    free(data);
    free(url);
    free(small);
    return 0;
}

static void test_no_space(void **state) {
    (void)state;
    int rc = run_child(no_space_child, false);
    if (rc == 77) skip();
    assert_int_equal(rc, 0);
}

/* A failing disk, injected: this program's fdatasync replaces libc's for the library (the
 * executable's definition wins symbol resolution), failing with EIO while the flag is set. */
static int g_fail_fdatasync;
__attribute__((visibility("default"))) int fdatasync(int fd) {
    if (g_fail_fdatasync) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fdatasync, fd);
}

static void test_failed_fsync_fails_the_put(void **state) {
    (void)state;
    char *store = str("%s/s", g_tmp);
    char *url = str("file://%s", store);
    kvps_store *s = open_ok(url);
    ASSERT_OK(kvps_put(s, "k", "old", 3));
    g_fail_fdatasync = 1;
    ASSERT_STATUS(KVPS_IO, kvps_put(s, "k", "new", 3));
    ASSERT_MESSAGE_HAS(store);
    ASSERT_STATUS(KVPS_IO, kvps_put(s, "fresh", "new", 3));
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(s, "k", &w));
    ASSERT_OK(kvps_writer_write(w, "streamed", 8));
    ASSERT_STATUS(KVPS_IO, kvps_writer_commit(w));
    g_fail_fdatasync = 0;
    get_equals(s, "k", "old");
    void *d = NULL;
    size_t n = 0;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(s, "fresh", &d, &n));
    char *staging = str("%s/.kvps-staging", store);
    assert_int_equal(count_entries(staging), 0);
    /* fsync=false never calls it. */
    kvps_close(s);
    free(url);
    url = str("file://%s?fsync=false", store);
    s = open_ok(url);
    g_fail_fdatasync = 1;
    ASSERT_OK(kvps_put(s, "k", "new", 3));
    g_fail_fdatasync = 0;
    get_equals(s, "k", "new");
    kvps_close(s);
    free(staging);
    free(url);
    free(store);
}

/* ------------------------------------------------------------------ format marker */

static void test_format_marker(void **state) {
    (void)state;
    char *path = str("%s/s", g_tmp);
    char *url = str("file://%s", path);
    char *pm_url = str("file://%s?pathmapped=true", path);
    kvps_store *s = open_ok(url);
    kvps_close(s);
    char *marker = str("%s/.kvps-format", path);
    char *text = read_text(marker);
    assert_non_null(text);
    assert_non_null(strstr(text, "version 1"));
    assert_non_null(strstr(text, "layout encoded"));
    free(text);
    /* The layout is fixed when the store is made. */
    ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open(pm_url, &s));
    ASSERT_MESSAGE_HAS("layout=encoded");
    /* A newer format is refused, not misread. */
    write_text(marker, "kvps file store\nversion 99\nlayout encoded\n");
    ASSERT_STATUS(KVPS_UNSUPPORTED, kvps_open(url, &s));
    ASSERT_MESSAGE_HAS("99");
    free(marker);

    /* An encoded store never moves into a folder holding other files... */
    char *busy = str("%s/busy", g_tmp);
    mkdir(busy, 0755);
    char *file = str("%s/notes.txt", busy);
    write_text(file, "mine");
    free(url);
    url = str("file://%s", busy);
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_open(url, &s));
    ASSERT_MESSAGE_HAS("notes.txt");
    /* ...but a pathmapped one serves them as they are. */
    free(pm_url);
    pm_url = str("file://%s?pathmapped=true", busy);
    s = open_ok(pm_url);
    get_equals(s, "notes.txt", "mine");
    size_t n;
    char **keys = list_all(s, "", 100, &n);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0], "notes.txt");
    free_keys(keys, n);
    kvps_close(s);
    free(file);
    free(busy);
    free(pm_url);
    free(url);
    free(path);
}

/* ------------------------------------------------------------------ temporary files */

static void test_stale_temps_removed_on_open(void **state) {
    (void)state;
    char *url = str("file://%s/s", g_tmp);
    kvps_store *s = open_ok(url);
    ASSERT_OK(kvps_put(s, "k", "v", 1));
    char *stale = str("%s/s/.kvps-staging/0123456789abcdef01234567.tmp", g_tmp);
    char *live = str("%s/s/.kvps-staging/live.tmp", g_tmp);
    write_text(stale, "left by a crash");
    write_text(live, "a writer in another process");
    int fd = open(live, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    /* Temporary files are never listed. */
    size_t n;
    char **keys = list_all(s, "", 100, &n);
    assert_int_equal(n, 1);
    free_keys(keys, n);
    kvps_close(s);
    s = open_ok(url);
    assert_false(exists(stale));
    assert_true(exists(live)); /* its lock says its writer is alive */
    kvps_close(s);
    close(fd);
    s = open_ok(url);
    assert_false(exists(live));
    get_equals(s, "k", "v");
    kvps_close(s);
    free(live);
    free(stale);
    free(url);
}

static void test_writer_abort_and_two_writers(void **state) {
    (void)state;
    char *url = str("file://%s/s", g_tmp);
    kvps_store *s = open_ok(url);
    kvps_writer *a = NULL, *b = NULL;
    ASSERT_OK(kvps_writer_open(s, "k", &a));
    ASSERT_OK(kvps_writer_open(s, "k", &b));
    ASSERT_OK(kvps_writer_write(a, "from a", 6));
    ASSERT_OK(kvps_writer_write(b, "from b", 6));
    ASSERT_OK(kvps_writer_commit(b));
    get_equals(s, "k", "from b");
    ASSERT_OK(kvps_writer_commit(a));
    get_equals(s, "k", "from a");
    ASSERT_OK(kvps_writer_open(s, "k", &a));
    ASSERT_OK(kvps_writer_write(a, "never", 5));
    kvps_writer_abort(a);
    get_equals(s, "k", "from a");
    char *staging = str("%s/s/.kvps-staging", g_tmp);
    assert_int_equal(count_entries(staging), 0);
    kvps_close(s);
    free(staging);
    free(url);
}

static void test_etag_changes_on_every_write(void **state) {
    (void)state;
    char *url = str("file://%s/s?fsync=false", g_tmp);
    kvps_store *s = open_ok(url);
    char prev[KVPS_ETAG_MAX] = "";
    for (int i = 0; i < 50; ++i) {
        ASSERT_OK(kvps_put(s, "k", i % 2 ? "aaaa" : "bbbb", 4)); /* same size every time */
        kvps_stat_info st = KVPS_STAT_INIT;
        ASSERT_OK(kvps_stat(s, "k", &st));
        assert_int_equal(st.size, 4);
        assert_true(st.mtime_ns > 0);
        if (strcmp(prev, st.etag) == 0) fail_msg("etag %s did not change on write %d", st.etag, i);
        strcpy(prev, st.etag);
        /* The listing reports the same etag as stat. */
        kvps_list_page *page = NULL;
        ASSERT_OK(kvps_list(s, "k", NULL, 10, &page));
        assert_int_equal(kvps_list_page_count(page), 1);
        assert_string_equal(kvps_list_page_entry(page, 0)->etag, st.etag);
        kvps_list_page_free(page);
    }
    kvps_close(s);
    free(url);
}

/* ------------------------------------------------------------------ traversal */

/* g_tmp/outside/secret is what every escape attempt would touch. */
static char *make_outside(void) {
    char *outside = str("%s/outside", g_tmp);
    mkdir(outside, 0755);
    char *secret = str("%s/secret", outside);
    write_text(secret, "secret");
    free(secret);
    return outside;
}

static void assert_outside_untouched(const char *outside) {
    assert_int_equal(count_entries(outside), 1);
    char *secret = str("%s/secret", outside);
    char *text = read_text(secret);
    assert_string_equal(text, "secret");
    free(text);
    free(secret);
    /* g_tmp holds only the store folder and outside/. */
    assert_int_equal(count_entries(g_tmp), 2);
    assert_false(exists("/x"));
}

static void test_traversal_pathmapped(void **state) {
    (void)state;
    char *outside = make_outside();
    char *store = str("%s/store", g_tmp);
    char *url = str("file://%s?pathmapped=true", store);
    kvps_store *s = open_ok(url);
    const char *escapes[] = {
        "../x", "/etc/passwd",       "a/../../x",       "..",          ".", "a/./b", "a//b", "a/",
        "./x",  "../outside/secret", ".kvps-staging/x", ".kvps-format"};
    for (size_t i = 0; i < sizeof escapes / sizeof *escapes; ++i) {
        void *d = NULL;
        size_t n = 0;
        kvps_stat_info st = KVPS_STAT_INIT;
        kvps_writer *w = NULL;
        kvps_reader *r = NULL;
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put(s, escapes[i], "pwned", 5));
        ASSERT_MESSAGE_HAS(escapes[i]);
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_get(s, escapes[i], &d, &n));
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_stat(s, escapes[i], &st));
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_delete(s, escapes[i]));
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_writer_open(s, escapes[i], &w));
        ASSERT_STATUS(KVPS_INVALID_KEY, kvps_reader_open(s, escapes[i], 0, KVPS_TO_END, &r));
    }
    /* Symbolic links pointing out: a folder link and a file link. */
    char *dirlink = str("%s/dirlink", store);
    char *filelink = str("%s/filelink", store);
    assert_int_equal(symlink(outside, dirlink), 0);
    char *secret = str("%s/secret", outside);
    assert_int_equal(symlink(secret, filelink), 0);
    void *d = NULL;
    size_t n = 0;
    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_get(s, "dirlink/secret", &d, &n));
    ASSERT_MESSAGE_HAS("symbolic link");
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_stat(s, "dirlink/secret", &st));
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_put(s, "dirlink/secret", "pwned", 5));
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_put(s, "dirlink/new", "pwned", 5));
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_delete(s, "dirlink/secret"));
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_get(s, "filelink", &d, &n));
    kvps_reader *r = NULL;
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_reader_open(s, "filelink", 0, KVPS_TO_END, &r));
    /* Links are not keys: not listed, not descended into. */
    ASSERT_OK(kvps_put(s, "real/key", "ok", 2));
    size_t count;
    char **keys = list_all(s, "", 100, &count);
    assert_int_equal(count, 1);
    assert_string_equal(keys[0], "real/key");
    free_keys(keys, count);
    /* Replacing or deleting the link itself touches only the link. */
    ASSERT_OK(kvps_put(s, "filelink", "replaced", 8));
    get_equals(s, "filelink", "replaced");
    ASSERT_OK(kvps_delete(s, "filelink"));
    assert_false(exists(filelink));
    assert_outside_untouched(outside);
    kvps_close(s);
    free(secret);
    free(filelink);
    free(dirlink);
    free(url);
    free(store);
    free(outside);
}

static void test_traversal_encoded(void **state) {
    (void)state;
    char *outside = make_outside();
    char *store = str("%s/store", g_tmp);
    char *url = str("file://%s", store);
    kvps_store *s = open_ok(url);
    /* In the encoded layout these are ordinary keys, stored inside the folder. */
    const char *keys[] = {"../x", "/etc/passwd",       "a/../../x",
                          "..",   "../outside/secret", ".kvps-format"};
    size_t nkeys = sizeof keys / sizeof *keys;
    for (size_t i = 0; i < nkeys; ++i) ASSERT_OK(kvps_put(s, keys[i], keys[i], strlen(keys[i])));
    for (size_t i = 0; i < nkeys; ++i) get_equals(s, keys[i], keys[i]);
    size_t n;
    char **listed = list_all(s, "", 3, &n);
    assert_int_equal(n, nkeys);
    free_keys(listed, n);
    assert_outside_untouched(outside);
    char *passwd = read_text("/etc/passwd");
    if (passwd) assert_string_not_equal(passwd, "/etc/passwd");
    free(passwd);
    /* A link planted where a fan-out folder goes is never followed: "ab" lives in NL+/. */
    char *link = str("%s/NL+", store);
    assert_int_equal(symlink(outside, link), 0);
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_put(s, "ab", "pwned", 5));
    void *d = NULL;
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_get(s, "abc", &d, &n));
    assert_outside_untouched(outside);
    for (size_t i = 0; i < nkeys; ++i) ASSERT_OK(kvps_delete(s, keys[i]));
    kvps_close(s);
    free(link);
    free(url);
    free(store);
    free(outside);
}

/* ------------------------------------------------------------------ listing order */

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Random keys: short ones, shared prefixes, UTF-8, and long ones whose encoded names span
 * several directory segments. In pathmapped form, every segment is a valid name and no key
 * is the folder of another (dir/ and file names differ). */
static char *random_key(bool pathmapped) {
    static const char *pieces[] = {"a",        "b", "ab", "a-b", "a b", "0",  "Z",
                                   "\xc3\xa9", "~", "~~", ":",   "+",   "x.y"};
    char buf[KVPS_KEY_MAX + 1];
    size_t len = 0;
    int kind = (int)(next_random() % 10);
    size_t target = kind == 0 ? 200 + next_random() % 820 : 1 + next_random() % 24;
    while (len < target) {
        const char *p = pieces[next_random() % (sizeof pieces / sizeof *pieces)];
        size_t pl = strlen(p);
        if (len + pl + 2 > KVPS_KEY_MAX) break;
        memcpy(buf + len, p, pl);
        len += pl;
        if (next_random() % 5 == 0 && len < target) buf[len++] = '/';
    }
    buf[len] = '\0';
    if (pathmapped) {
        /* Valid paths: no empty segment, none over 255 bytes (a key that is the folder of
         * another is refused by the store and skipped by the caller). */
        char out[KVPS_KEY_MAX + 8];
        size_t o = 0, seg = 0;
        for (size_t i = 0; i < len && o < KVPS_KEY_MAX - 4; ++i) {
            if (buf[i] == '/' || (seg >= 200 && ((unsigned char)buf[i] & 0xC0) != 0x80)) {
                if (seg > 0) out[o++] = '/';
                seg = 0;
                if (buf[i] == '/') continue;
            }
            out[o++] = buf[i];
            ++seg;
        }
        while (o > 0 && (out[o - 1] == '/' || ((unsigned char)out[o - 1] & 0xC0) == 0xC0)) --o;
        while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80) { /* drop a cut character */
            size_t start = o - 1;
            while (start > 0 && ((unsigned char)out[start] & 0xC0) == 0x80) --start;
            size_t need = ((unsigned char)out[start] & 0xE0) == 0xC0   ? 2
                          : ((unsigned char)out[start] & 0xF0) == 0xE0 ? 3
                                                                       : 4;
            if (o - start == need) break;
            o = start;
        }
        out[o] = '\0';
        if (o == 0 || strcmp(out, ".") == 0) return strdup("empty-fallback");
        return strdup(out);
    }
    while (len > 0 && ((unsigned char)buf[len - 1] & 0xC0) == 0xC0) buf[--len] = '\0';
    if (len == 0) return strdup("empty-fallback");
    return strdup(buf);
}

static bool all_names_fit(const char *path) {
    DIR *d = opendir(path);
    if (!d) return true;
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (strlen(e->d_name) > 255) ok = false;
        if (e->d_type == DT_DIR) {
            char *sub = str("%s/%s", path, e->d_name);
            ok = all_names_fit(sub);
            free(sub);
        }
    }
    closedir(d);
    return ok;
}

static void check_listing(bool pathmapped) {
    char *url =
        str("file://%s/s%s", g_tmp, pathmapped ? "?pathmapped=true&fsync=false" : "?fsync=false");
    kvps_store *s = open_ok(url);
    enum { N = 1500 };
    char **keys = calloc(N, sizeof *keys);
    size_t n = 0;
    for (int i = 0; i < N; ++i) {
        char *k = random_key(pathmapped);
        bool dup = false;
        for (size_t j = 0; j < n && !dup; ++j) dup = strcmp(keys[j], k) == 0;
        if (dup) {
            free(k);
            continue;
        }
        kvps_status st = kvps_put(s, k, k, strlen(k));
        if (pathmapped && st == KVPS_INVALID_KEY && strstr(kvps_last_error(), "folder")) {
            free(k); /* "a" and "a/b" cannot both be stored pathmapped */
            continue;
        }
        if (st != KVPS_OK) fail_msg("put %s: %s", k, kvps_last_error());
        keys[n++] = k;
    }
    qsort(keys, n, sizeof *keys, compare_strings);
    char *root = str("%s/s", g_tmp);
    assert_true(all_names_fit(root));
    free(root);

    /* Whole listings with several page sizes, then prefixes taken from the keys. */
    size_t page_sizes[] = {1, 7, 128, 1000};
    for (size_t p = 0; p < 4; ++p) {
        size_t got_n;
        char **got = list_all(s, "", page_sizes[p], &got_n);
        assert_int_equal(got_n, n);
        for (size_t i = 0; i < n; ++i)
            if (strcmp(got[i], keys[i]))
                fail_msg("entry %zu: \"%s\", expected \"%s\"", i, got[i], keys[i]);
        free_keys(got, got_n);
    }
    for (int t = 0; t < 60; ++t) {
        const char *from = keys[next_random() % n];
        size_t plen = 1 + next_random() % (strlen(from) < 40 ? strlen(from) : 40);
        char prefix[64];
        memcpy(prefix, from, plen);
        prefix[plen] = '\0';
        while (plen > 0 && ((unsigned char)prefix[plen - 1] & 0x80)) prefix[--plen] = '\0';
        if (t % 10 == 0 && plen > 0) prefix[plen - 1]++; /* maybe matching nothing */
        size_t expected = 0;
        for (size_t i = 0; i < n; ++i) expected += strncmp(keys[i], prefix, plen) == 0;
        size_t got_n;
        char **got = list_all(s, prefix, 1 + next_random() % 50, &got_n);
        if (got_n != expected)
            fail_msg("prefix \"%s\": %zu keys, expected %zu", prefix, got_n, expected);
        for (size_t i = 0; i < got_n; ++i) {
            assert_int_equal(strncmp(got[i], prefix, plen), 0);
            if (i) assert_true(strcmp(got[i - 1], got[i]) < 0);
        }
        free_keys(got, got_n);
    }

    /* Keys deleted during a listing are not returned, keys present throughout exactly once. */
    kvps_list_page *page = NULL;
    ASSERT_OK(kvps_list(s, "", NULL, 100, &page));
    char *cursor = strdup(kvps_list_page_cursor(page));
    kvps_list_page_free(page);
    ASSERT_OK(kvps_delete(s, keys[n - 1]));
    size_t seen = 100;
    while (cursor) {
        ASSERT_OK(kvps_list(s, "", cursor, 100, &page));
        for (size_t i = 0; i < kvps_list_page_count(page); ++i) {
            const char *k = kvps_list_page_entry(page, i)->key;
            if (strcmp(k, keys[n - 1]) == 0) fail_msg("deleted key listed");
            assert_string_equal(k, keys[seen]);
            ++seen;
        }
        free(cursor);
        cursor = kvps_list_page_cursor(page) ? strdup(kvps_list_page_cursor(page)) : NULL;
        kvps_list_page_free(page);
    }
    assert_int_equal(seen, n - 1);

    for (size_t i = 0; i + 1 < n; ++i) ASSERT_OK(kvps_delete(s, keys[i]));
    size_t left = 0;
    char **rest = list_all(s, "", 1000, &left);
    free_keys(rest, left);
    assert_int_equal(left, 0);
    free_keys(keys, n);
    kvps_close(s);
    free(url);
}

static void test_listing_encoded(void **state) {
    (void)state;
    check_listing(false);
}

static void test_listing_pathmapped(void **state) {
    (void)state;
    check_listing(true);
}

static void test_pathmapped_file_and_folder_clash(void **state) {
    (void)state;
    char *url = str("file://%s/s?pathmapped=true", g_tmp);
    kvps_store *s = open_ok(url);
    ASSERT_OK(kvps_put(s, "a", "file", 4));
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put(s, "a/b", "v", 1));
    ASSERT_MESSAGE_HAS("a/b");
    ASSERT_OK(kvps_put(s, "d/e", "v", 1));
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put(s, "d", "v", 1));
    void *data = NULL;
    size_t size = 0;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(s, "d", &data, &size)); /* a folder is not a value */
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(s, "a/b", &data, &size));
    ASSERT_OK(kvps_delete(s, "d")); /* nothing to delete */
    ASSERT_OK(kvps_delete(s, "d/e"));
    char *d = str("%s/s/d", g_tmp);
    assert_false(exists(d)); /* emptied folders go */
    free(d);
    kvps_close(s);
    free(url);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_url_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_false_works, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_folder_with_create_false, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_that_is_a_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_permission_denied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_fsync_fails_the_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_marker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_temps_removed_on_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_abort_and_two_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_etag_changes_on_every_write, setup, teardown),
        cmocka_unit_test_setup_teardown(test_traversal_pathmapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_traversal_encoded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listing_encoded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_listing_pathmapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pathmapped_file_and_folder_clash, setup, teardown),
    };
    return cmocka_run_group_tests_name("file-store", tests, NULL, NULL);
}
