/*
 * Crash test: a child process overwrites keys with self-checking values (key index, length
 * and checksum embedded) in a loop, by put and by streamed writer, and is killed with SIGKILL
 * at a random instant, 200 times (KVPS_CRASH_KILLS=N for another count; the long runs use
 * 1000). After each kill the store opens, every key reads as one
 * complete value, the listing shows exactly the keys, no temporary file is left in the tree,
 * and the stale ones in the staging folder were removed by the open.
 */
#include "file_test_util.h"

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

enum { KEYS = 8, DEFAULT_KILLS = 200, HEADER = 32 };
static const uint64_t MAGIC = 0x6b7670732d637273ull;

static uint64_t fnv1a(const unsigned char *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void key_name(char *buf, size_t cap, int i) { snprintf(buf, cap, "crash/key-%d", i); }

/* A value: magic, key index, payload length, payload checksum, payload. */
static unsigned char *make_value(uint64_t *rng, int index, size_t *size) {
    uint64_t r = rng_next(rng) % 100;
    size_t len = r < 70   ? rng_next(rng) % 4096
                 : r < 95 ? rng_next(rng) % (256 << 10)
                          : rng_next(rng) % (2 << 20);
    unsigned char *v = malloc(HEADER + len);
    for (size_t i = 0; i < len; ++i) v[HEADER + i] = (unsigned char)rng_next(rng);
    uint64_t header[4] = {MAGIC, (uint64_t)index, len, fnv1a(v + HEADER, len)};
    memcpy(v, header, HEADER);
    *size = HEADER + len;
    return v;
}

/* NULL when the value is a complete one for key index, else what is wrong. */
static const char *check_value(const unsigned char *v, size_t size, int index) {
    if (size < HEADER) return "shorter than its header";
    uint64_t header[4];
    memcpy(header, v, HEADER);
    if (header[0] != MAGIC) return "bad magic";
    if (header[1] != (uint64_t)index) return "value of another key";
    if (header[2] != size - HEADER) return "torn: length does not match";
    if (header[3] != fnv1a(v + HEADER, size - HEADER)) return "torn: checksum does not match";
    return NULL;
}

static void child_loop(const char *url, uint64_t seed, int ready_fd) {
    kvps_store *s = NULL;
    if (kvps_open(url, &s) != KVPS_OK) _exit(3);
    if (write(ready_fd, "r", 1) != 1) _exit(4);
    uint64_t rng = seed | 1;
    char key[64];
    for (;;) {
        int index = (int)(rng_next(&rng) % KEYS);
        key_name(key, sizeof key, index);
        size_t size;
        unsigned char *v = make_value(&rng, index, &size);
        if (rng_next(&rng) % 2) {
            if (kvps_put(s, key, v, size) != KVPS_OK) _exit(5);
        } else {
            kvps_writer *w = NULL;
            if (kvps_writer_open(s, key, &w) != KVPS_OK) _exit(6);
            for (size_t off = 0; off < size; off += 65536)
                if (kvps_writer_write(w, v + off, size - off < 65536 ? size - off : 65536) !=
                    KVPS_OK)
                    _exit(7);
            if (kvps_writer_commit(w) != KVPS_OK) _exit(8);
        }
        free(v);
    }
}

/* Regular files in the store tree, the marker and the staging folder aside. */
static int count_value_files(const char *path, bool top) {
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (top && (!strcmp(e->d_name, ".kvps-format") || !strcmp(e->d_name, ".kvps-staging")))
            continue;
        char *sub = str("%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                n += count_value_files(sub, false);
            else
                ++n;
        }
        free(sub);
    }
    closedir(d);
    return n;
}

static int kills_wanted(void) {
    const char *text = getenv("KVPS_CRASH_KILLS");
    int n = text ? atoi(text) : 0;
    return n > 0 ? n : DEFAULT_KILLS;
}

static void crash_many_times(const char *options) {
    const int KILLS = kills_wanted();
    char *tmp = make_temp_dir();
    char *store = str("%s/store", tmp);
    char *url = str("file://%s%s", store, options);
    char *staging = str("%s/.kvps-staging", store);
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(url, &s));
    uint64_t rng = (uint64_t)time(NULL) * 2654435761u + 1;
    printf("crash test seed %llu, %s\n", (unsigned long long)rng, url);
    char key[64];
    for (int i = 0; i < KEYS; ++i) {
        size_t size;
        unsigned char *v = make_value(&rng, i, &size);
        key_name(key, sizeof key, i);
        ASSERT_OK(kvps_put(s, key, v, size));
        free(v);
    }
    kvps_close(s);

    int stale_seen = 0;
    for (int kill_no = 0; kill_no < KILLS; ++kill_no) {
        int ready[2];
        assert_int_equal(pipe(ready), 0);
        fflush(NULL);
        uint64_t seed = rng_next(&rng);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(ready[0]);
            child_loop(url, seed, ready[1]);
        }
        close(ready[1]);
        char c;
        assert_int_equal(read(ready[0], &c, 1), 1);
        close(ready[0]);
        struct timespec pause = {0, (long)(rng_next(&rng) % 20000000)}; /* 0-20 ms of writing */
        nanosleep(&pause, NULL);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status))
            fail_msg("writer exited by itself with status %d", WEXITSTATUS(status));

        stale_seen += count_entries(staging) > 0;
        ASSERT_OK(kvps_open(url, &s));
        assert_int_equal(count_entries(staging), 0); /* stale temporary files removed on open */
        for (int i = 0; i < KEYS; ++i) {
            key_name(key, sizeof key, i);
            void *data = NULL;
            size_t size = 0;
            ASSERT_OK(kvps_get(s, key, &data, &size));
            const char *why = check_value(data, size, i);
            if (why) fail_msg("after kill %d, %s (%zu bytes): %s", kill_no, key, size, why);
            kvps_free(data);
        }
        kvps_list_page *page = NULL;
        ASSERT_OK(kvps_list(s, "", NULL, 100, &page));
        assert_int_equal(kvps_list_page_count(page), KEYS);
        for (int i = 0; i < KEYS; ++i) {
            key_name(key, sizeof key, i);
            assert_string_equal(kvps_list_page_entry(page, (size_t)i)->key, key);
        }
        kvps_list_page_free(page);
        kvps_close(s);
        assert_int_equal(count_value_files(store, true), KEYS);
    }
    printf("%d kills, %d left a temporary file behind (removed on the next open)\n", KILLS,
           stale_seen);
    remove_tree(tmp);
    free(staging);
    free(url);
    free(store);
    free(tmp);
}

static void test_crash_fsync(void **state) {
    (void)state;
    crash_many_times("");
}

static void test_crash_pathmapped_no_fsync(void **state) {
    (void)state;
    crash_many_times("?pathmapped=true&fsync=false");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_fsync),
        cmocka_unit_test(test_crash_pathmapped_no_fsync),
    };
    return cmocka_run_group_tests_name("file-crash", tests, NULL, NULL);
}
