/*
 * A full disk under the file backend (issue 13): a put and a streamed writer that run out of
 * room fail with KVPS_NO_SPACE, the old value stays whole, no temporary file is left, and the
 * store keeps working once there is room again. Both file layouts (encoded, pathmapped).
 *
 *   - a small tmpfs (1 MiB), mounted in a mount namespace of this process's own (as root, or
 *     in a user namespace where the kernel allows it; skipped, and said so, where neither works):
 *     the real ENOSPC;
 *   - RLIMIT_FSIZE (unprivileged, runs everywhere): the write past the limit fails with EFBIG,
 *     which kvps reports as KVPS_NO_SPACE too.
 */
#include "../file/file_test_util.h"

#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include <cmocka.h>

enum { BIG = 2 << 20, CHUNK = 64 << 10 };
static const char OLD[] = "the old value, whole";

static void assert_value(kvps_store *s, const char *key, const char *want) {
    void *data = NULL;
    size_t size = 0;
    ASSERT_OK(kvps_get(s, key, &data, &size));
    if (size != strlen(want) || memcmp(data, want, size) != 0)
        fail_msg("%s holds %zu bytes, not the old value", key, size);
    kvps_free(data);
}

/* fill(1) makes the disk full, fill(0) undoes it. */
static void check_full_disk(const char *root, const char *options, void (*fill)(int)) {
    char *store = str("%s/store", root);
    char *url = str("file://%s%s", store, options);
    char *staging = str("%s/.kvps-staging", store);
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(url, &s));
    ASSERT_OK(kvps_put(s, "dir/k", OLD, strlen(OLD)));
    unsigned char *big = malloc(BIG);
    assert_non_null(big);
    for (size_t i = 0; i < BIG; ++i) big[i] = (unsigned char)(i * 131 + 7);

    fill(1);
    ASSERT_STATUS(KVPS_NO_SPACE, kvps_put(s, "dir/k", big, BIG));
    printf("  put: %s\n", kvps_last_error());
    /* The streamed writer: the failure comes at a write or at the commit. */
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(s, "dir/k", &w));
    kvps_status got = KVPS_OK;
    for (size_t at = 0; at < BIG && got == KVPS_OK; at += CHUNK)
        got = kvps_writer_write(w, big + at, CHUNK);
    if (got == KVPS_OK) {
        got = kvps_writer_commit(w); /* frees the writer */
    } else {
        kvps_writer_abort(w);
    }
    if (got != KVPS_NO_SPACE)
        fail_msg("writer on a full disk: %s: %s", kvps_status_name(got), kvps_last_error());
    printf("  writer: %s\n", kvps_last_error());
    /* A new key does not appear either. */
    ASSERT_STATUS(KVPS_NO_SPACE, kvps_put(s, "dir/new", big, BIG));
    fill(0);

    assert_value(s, "dir/k", OLD);
    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(s, "dir/new", &st));
    if (exists(staging))
        assert_int_equal(count_entries(staging), 0); /* nothing half-written left */
    kvps_list_page *page = NULL;
    ASSERT_OK(kvps_list(s, "", NULL, 10, &page));
    assert_int_equal(kvps_list_page_count(page), 1);
    kvps_list_page_free(page);
    /* Room again: the store works. */
    ASSERT_OK(kvps_put(s, "dir/k", big, CHUNK));
    kvps_close(s);
    free(big);
    free(staging);
    free(url);
    free(store);
}

/* ---- RLIMIT_FSIZE */

static struct rlimit saved_limit;

static void fsize_limit(int on) {
    if (on) {
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_limit), 0);
        struct rlimit small = saved_limit;
        small.rlim_cur = 256 << 10;
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    } else {
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_limit), 0);
    }
}

static void file_size_limit(const char *options) {
    signal(SIGXFSZ, SIG_IGN); /* the write fails with EFBIG instead of killing the process */
    char *root = make_temp_dir();
    check_full_disk(root, options, fsize_limit);
    remove_tree(root);
    free(root);
}

static void test_fsize_encoded(void **state) {
    (void)state;
    file_size_limit("");
}

static void test_fsize_pathmapped(void **state) {
    (void)state;
    file_size_limit("?pathmapped=true");
}

/* ---- a 1 MiB tmpfs in a mount namespace of our own */

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* 0 when this process now has a private mount namespace where it may mount. */
static int private_mounts(void) {
    if (geteuid() != 0) {
        uid_t uid = geteuid();
        gid_t gid = getegid();
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return -1;
        char map[64];
        snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
        if (write_file("/proc/self/setgroups", "deny") != 0 ||
            write_file("/proc/self/uid_map", map) != 0)
            return -1;
        snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
        if (write_file("/proc/self/gid_map", map) != 0) return -1;
    } else if (unshare(CLONE_NEWNS) != 0) {
        return -1;
    }
    return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
}

static int tmpfs_ready = -1;
static char *tmpfs_root = NULL;

static void no_op(int on) { (void)on; } /* the tmpfs is full by its size */

static void tmpfs_full(const char *options) {
    if (tmpfs_ready < 0) {
        tmpfs_root = make_temp_dir();
        tmpfs_ready =
            private_mounts() == 0 && mount("tmpfs", tmpfs_root, "tmpfs", 0, "size=1m") == 0;
        if (!tmpfs_ready)
            printf("  no tmpfs could be mounted here (%s): the RLIMIT_FSIZE tests cover this\n",
                   strerror(errno));
    }
    if (!tmpfs_ready) skip();
    char *root = str("%s/%s", tmpfs_root, *options ? "pathmapped" : "encoded");
    assert_int_equal(mkdir(root, 0700), 0);
    check_full_disk(root, options, no_op);
    remove_tree(root);
    free(root);
}

static void test_tmpfs_encoded(void **state) {
    (void)state;
    tmpfs_full("");
}

static void test_tmpfs_pathmapped(void **state) {
    (void)state;
    tmpfs_full("?pathmapped=true");
}

int main(void) {
    /* tmpfs first: unshare(CLONE_NEWUSER) wants a process without threads. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tmpfs_encoded),
        cmocka_unit_test(test_tmpfs_pathmapped),
        cmocka_unit_test(test_fsize_encoded),
        cmocka_unit_test(test_fsize_pathmapped),
    };
    int failed = cmocka_run_group_tests_name("reliability: full disk", tests, NULL, NULL);
    if (tmpfs_ready == 1) umount(tmpfs_root);
    if (tmpfs_root) rmdir(tmpfs_root);
    free(tmpfs_root);
    return failed;
}
