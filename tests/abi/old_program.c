/*
 * "Old program, new library": compiled against the 0.1.0 header kept beside it (kvps-0.1.0.h,
 * a verbatim copy of include/kvps.h at release 0.1.0), linked against the current libkvps.so.
 * It runs the whole 0.1.0 API, with structs initialized by the 0.1.0 _INIT macros, so a
 * renumbered status, a reordered field or a changed signature fails here without any tool.
 *
 *   kvps_abi_old_program FILE-URL     FILE-URL: a new file:// store (tests/file/with_temp_store.sh)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvps-0.1.0.h"

static int failures;

static void check_at(int ok, const char *what, int line) {
    if (ok) return;
    ++failures;
    fprintf(stderr, "old_program.c:%d: FAILED: %s (last error: %s)\n", line, what,
            kvps_last_error());
}
#define CHECK(cond) check_at((cond) ? 1 : 0, #cond, __LINE__)
#define CHECK_STATUS(expected, call) \
    check_at((call) == (expected), #call " == " #expected, __LINE__)

/* The 0.1.0 statuses by value: their numbers and names must never change. */
static void statuses(void) {
    static const char *const names[] = {
        "KVPS_OK",          "KVPS_NOT_FOUND",         "KVPS_INVALID_ARGUMENT",
        "KVPS_INVALID_URL", "KVPS_UNKNOWN_SCHEME",    "KVPS_INVALID_OPTION",
        "KVPS_INVALID_KEY", "KVPS_PERMISSION_DENIED", "KVPS_PRECONDITION_FAILED",
        "KVPS_IO",          "KVPS_NETWORK",           "KVPS_TIMEOUT",
        "KVPS_REMOTE",      "KVPS_UNSUPPORTED",       "KVPS_NO_MEMORY",
        "KVPS_INTERNAL",    "KVPS_NO_SPACE",          "KVPS_CANCELLED",
    };
    CHECK(sizeof names / sizeof *names == KVPS_CANCELLED + 1);
    for (int i = 0; i <= KVPS_CANCELLED; ++i) {
        if (strcmp(kvps_status_name((kvps_status)i), names[i]) != 0) {
            ++failures;
            fprintf(stderr, "status %d is now named %s, was %s\n", i,
                    kvps_status_name((kvps_status)i), names[i]);
        }
    }
    CHECK(strcmp(kvps_status_name((kvps_status)-1), "KVPS_UNKNOWN_STATUS") == 0);
    /* A newer library may only be newer: 0.1.0's version number or later. */
    CHECK(kvps_version_number() >= KVPS_VERSION_NUMBER);
    CHECK(kvps_version() != NULL && kvps_version()[0] != '\0');
}

static int log_lines;
static void count_lines(void *user, kvps_log_level level, const char *line) {
    (void)level;
    ++*(int *)user;
    CHECK(line != NULL);
}

/* Values, streams, listing and batches on one store. */
static void values(kvps_store *s) {
    CHECK_STATUS(KVPS_OK, kvps_put(s, "old/a", "alpha", 5));
    CHECK_STATUS(KVPS_OK, kvps_put(s, "old/b", NULL, 0));
    void *data = NULL;
    size_t size = 0;
    CHECK_STATUS(KVPS_OK, kvps_get(s, "old/a", &data, &size));
    CHECK(size == 5 && data && memcmp(data, "alpha", 5) == 0 && ((char *)data)[5] == '\0');
    kvps_free(data);
    CHECK_STATUS(KVPS_OK, kvps_get_range(s, "old/a", 1, KVPS_TO_END, &data, &size));
    CHECK(size == 4 && memcmp(data, "lpha", 4) == 0);
    kvps_free(data);
    CHECK_STATUS(KVPS_NOT_FOUND, kvps_get(s, "old/missing", &data, &size));
    CHECK_STATUS(KVPS_INVALID_KEY, kvps_put(s, "", "x", 1));
    CHECK_STATUS(KVPS_INVALID_ARGUMENT, kvps_get(s, "old/a", NULL, &size));

    /* The 0.1.0 stat struct, initialized with the 0.1.0 macro (version 1). */
    kvps_stat_info st = KVPS_STAT_INIT;
    CHECK(st.version == 1);
    CHECK_STATUS(KVPS_OK, kvps_stat(s, "old/a", &st));
    CHECK(st.version == 1 && st.size == 5 && st.mtime_ns > 0);
    CHECK(strlen(st.etag) > 0 && strlen(st.etag) < KVPS_ETAG_MAX);
    kvps_stat_info unknown_version = KVPS_STAT_INIT;
    unknown_version.version = 0;
    CHECK_STATUS(KVPS_INVALID_ARGUMENT, kvps_stat(s, "old/a", &unknown_version));

    kvps_writer *w = NULL;
    CHECK_STATUS(KVPS_OK, kvps_writer_open(s, "old/streamed", &w));
    CHECK_STATUS(KVPS_OK, kvps_writer_write(w, "0123", 4));
    CHECK_STATUS(KVPS_OK, kvps_writer_write(w, "456789", 6));
    CHECK_STATUS(KVPS_OK, kvps_writer_commit(w));
    CHECK_STATUS(KVPS_OK, kvps_writer_open(s, "old/aborted", &w));
    kvps_writer_abort(w);
    kvps_reader *r = NULL;
    char buf[16];
    size_t n = 0;
    CHECK_STATUS(KVPS_OK, kvps_reader_open(s, "old/streamed", 2, 5, &r));
    CHECK(kvps_reader_value_size(r) == 10);
    CHECK_STATUS(KVPS_OK, kvps_reader_seek(r, 4));
    CHECK_STATUS(KVPS_OK, kvps_reader_read(r, buf, sizeof buf, &n));
    CHECK(n >= 1 && n <= 3 && memcmp(buf, "456", n) == 0);
    kvps_reader_close(r);

    const char *keys[] = {"old/batch/1", "old/batch/2"};
    const void *values_in[] = {"one", "two"};
    size_t sizes_in[] = {3, 3};
    kvps_status statuses_out[2] = {KVPS_INTERNAL, KVPS_INTERNAL};
    CHECK_STATUS(KVPS_OK, kvps_put_many(s, 2, keys, values_in, sizes_in, statuses_out));
    CHECK(statuses_out[0] == KVPS_OK && statuses_out[1] == KVPS_OK);
    void *got[2];
    size_t got_sizes[2];
    CHECK_STATUS(KVPS_OK, kvps_get_many(s, 2, keys, got, got_sizes, statuses_out));
    CHECK(got_sizes[1] == 3 && memcmp(got[1], "two", 3) == 0);
    kvps_free(got[0]);
    kvps_free(got[1]);

    /* Listing: entries read through the 0.1.0 kvps_entry layout. */
    kvps_list_page *page = NULL;
    CHECK_STATUS(KVPS_OK, kvps_list(s, "old/", NULL, 2, &page));
    CHECK(kvps_list_page_count(page) == 2);
    const kvps_entry *e = kvps_list_page_entry(page, 0);
    CHECK(e && strcmp(e->key, "old/a") == 0 && e->size == 5 && e->etag != NULL);
    e = kvps_list_page_entry(page, 1);
    CHECK(e && strcmp(e->key, "old/b") == 0 && e->size == 0);
    CHECK(kvps_list_page_entry(page, 2) == NULL);
    const char *cursor = kvps_list_page_cursor(page);
    CHECK(cursor != NULL);
    kvps_list_page *rest = NULL;
    CHECK_STATUS(KVPS_OK, kvps_list(s, "old/", cursor, 0, &rest));
    CHECK(kvps_list_page_count(rest) == 3); /* batch/1, batch/2, streamed */
    CHECK(kvps_list_page_cursor(rest) == NULL);
    kvps_list_page_free(rest);
    kvps_list_page_free(page);

    const char *all[] = {"old/a", "old/b", "old/streamed", "old/batch/1", "old/batch/2"};
    kvps_status deleted[5];
    CHECK_STATUS(KVPS_OK, kvps_delete_many(s, 5, all, deleted));
    CHECK_STATUS(KVPS_OK, kvps_delete(s, "old/a"));
    CHECK_STATUS(KVPS_NOT_FOUND, kvps_stat(s, "old/streamed", &st));
}

/* The registry, read through the 0.1.0 kvps_backend_info and kvps_option_info layouts. */
static void backends(void) {
    size_t count = kvps_backend_count();
    CHECK(count >= 3);
    const kvps_backend_info *file = kvps_backend_find("file");
    CHECK(file != NULL);
    if (!file) return;
    CHECK(strcmp(file->name, "file") == 0 && file->description[0] != '\0');
    CHECK(file->scheme_count >= 1 && strcmp(file->schemes[0], "file") == 0);
    CHECK((file->capabilities & (KVPS_CAP_LIST | KVPS_CAP_PERSISTENT)) ==
          (KVPS_CAP_LIST | KVPS_CAP_PERSISTENT));
    int saw_create = 0;
    for (size_t i = 0; i < file->option_count; ++i) {
        const kvps_option_info *o = kvps_backend_option(file, i);
        CHECK(o != NULL && o->name != NULL && o->description != NULL);
        if (o && strcmp(o->name, "create") == 0) {
            saw_create = 1;
            CHECK(o->type == KVPS_OPTION_BOOL && o->required == 0);
            CHECK(o->default_value && strcmp(o->default_value, "true") == 0);
        }
    }
    CHECK(saw_create);
    CHECK(kvps_backend_option(file, file->option_count) == NULL);
    CHECK(strcmp(kvps_option_type_name(KVPS_OPTION_SECRET), "secret") == 0);
    CHECK(strcmp(kvps_option_type_name(KVPS_OPTION_DURATION), "duration") == 0);
    for (size_t i = 0; i < count; ++i) CHECK(kvps_backend_at(i) != NULL);
    CHECK(kvps_backend_at(count) == NULL);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE-URL\n", argv[0]);
        return 2;
    }
    statuses();
    backends();
    kvps_set_logger(count_lines, &log_lines, KVPS_LOG_INFO);

    kvps_store *s = NULL;
    CHECK_STATUS(KVPS_OK, kvps_open("memory://", &s));
    CHECK(s && kvps_capabilities(s) & KVPS_CAP_LIST);
    if (s) values(s);
    kvps_close(s);

    /* kvps_open_with and its 0.1.0 kvps_option array. */
    const char *url = argv[1];
    kvps_option options[] = {{"fsync", "false"}, {"create", "true"}};
    s = NULL;
    CHECK_STATUS(KVPS_OK, kvps_open_with(url, options, 2, &s));
    CHECK(s && strncmp(kvps_store_url(s), "file://", 7) == 0);
    if (s) values(s);
    kvps_close(s);
    kvps_option unknown = {"no_such_option", "1"};
    CHECK_STATUS(KVPS_INVALID_OPTION, kvps_open_with(url, &unknown, 1, &s));
    CHECK(strstr(kvps_last_error(), "no_such_option") != NULL);
    CHECK_STATUS(KVPS_UNKNOWN_SCHEME, kvps_open("nosuch://x", &s));
    kvps_close(NULL);

    kvps_set_logger(NULL, NULL, KVPS_LOG_ERROR);
    CHECK(log_lines > 0);

    if (failures) {
        fprintf(stderr, "old program: %d checks failed\n", failures);
        return 1;
    }
    printf("old program (0.1.0 header) on library %s: every check passed\n", kvps_version());
    return 0;
}
