/* Helpers shared by the file backend's tests: temporary folders, URLs, file checks. */
#ifndef KVPS_FILE_TEST_UTIL_H
#define KVPS_FILE_TEST_UTIL_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvps.h"

#include "../kvps_test.h"

/* A new empty folder under $TMPDIR (or /tmp); free() the result. */
static inline char *make_temp_dir(void) {
    const char *base = getenv("TMPDIR");
    char *path = NULL;
    if (asprintf(&path, "%s/kvps-file-test-XXXXXX", base && *base ? base : "/tmp") < 0) abort();
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        abort();
    }
    return path;
}

static inline int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

static inline void remove_tree(const char *path) {
    if (path) nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* printf into a fresh string; free() it. */
static inline char *str(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0) abort();
    va_end(ap);
    return out;
}

static inline void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        abort();
    }
    fputs(text, f);
    fclose(f);
}

/* The file's content (NUL-terminated), or NULL when it cannot be read; free() it. */
static inline char *read_text(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static inline int exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Entries in a folder, "." and ".." aside; -1 when it cannot be read. */
static inline int count_entries(const char *path) {
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) ++n;
    closedir(d);
    return n;
}

#endif
