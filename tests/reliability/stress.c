/* 16 threads on one store handle: puts, gets, ranges, stats, lists, deletes, streamed writes
 * and reads, batches, on keys shared between threads. Built with KVPS_SANITIZE=thread it is
 * the ThreadSanitizer check; in every build it checks that no value is ever torn: each value
 * carries its own length and checksum, so a read that mixes two writes is caught.
 *
 *     reliability_stress URL [OPS_PER_THREAD]     ('$NAME' reads the URL from that variable;
 *                                                  unset: skipped (77), or a failure if CI=true)
 * "file://" alone means a fresh temporary folder.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, with meson's -std=c11 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>

#include "kvps.h"

#define THREADS 16
#define KEYS 24

static kvps_store *g_store;
static int g_ops = 200;
static char g_prefix[64];
static int g_failures;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static void report(const char *what, const char *key, kvps_status st) {
    pthread_mutex_lock(&g_lock);
    if (g_failures++ < 20)
        fprintf(stderr, "%s %s: %s: %s\n", what, key, kvps_status_name(st), kvps_last_error());
    pthread_mutex_unlock(&g_lock);
}

static uint32_t checksum(const unsigned char *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* A value: 8 bytes of length, 4 of checksum over the rest, then the payload. */
static size_t make_value(unsigned char *out, size_t cap, unsigned seed) {
    size_t n = 12 + (seed * 7919u) % (cap - 12);
    for (size_t i = 12; i < n; ++i) out[i] = (unsigned char)(seed * 31u + i * 17u);
    uint64_t len = n;
    memcpy(out, &len, 8);
    uint32_t sum = checksum(out + 12, n - 12);
    memcpy(out + 8, &sum, 4);
    return n;
}

static int value_ok(const unsigned char *p, size_t n) {
    if (n < 12) return 0;
    uint64_t len;
    uint32_t sum;
    memcpy(&len, p, 8);
    memcpy(&sum, p + 8, 4);
    return len == n && sum == checksum(p + 12, n - 12);
}

static void key_name(char *out, size_t cap, unsigned i) {
    snprintf(out, cap, "%s/k%02u", g_prefix, i % KEYS);
}

/* Statuses an operation on a key other threads delete and rewrite may honestly return. */
static int acceptable(kvps_status st) {
    return st == KVPS_OK || st == KVPS_NOT_FOUND || st == KVPS_PRECONDITION_FAILED;
}

static void *worker(void *arg) {
    unsigned id = (unsigned)(uintptr_t)arg;
    unsigned seed = id * 1000003u + 17;
    size_t cap = 40000;
    unsigned char *buf = malloc(cap), *back = malloc(cap);
    char key[96];
    for (int op = 0; op < g_ops; ++op) {
        seed = seed * 1103515245u + 12345u;
        key_name(key, sizeof key, seed >> 8);
        kvps_status st;
        switch ((seed >> 4) % 10) {
        case 0:
        case 1: {
            size_t n = make_value(buf, cap, seed);
            if ((st = kvps_put(g_store, key, buf, n)) != KVPS_OK) report("put", key, st);
            break;
        }
        case 2:
        case 3: {
            void *data = NULL;
            size_t n = 0;
            st = kvps_get(g_store, key, &data, &n);
            if (!acceptable(st)) report("get", key, st);
            if (st == KVPS_OK && !value_ok(data, n)) report("get (torn value)", key, KVPS_INTERNAL);
            kvps_free(data);
            break;
        }
        case 4: {
            kvps_stat_info info = KVPS_STAT_INIT;
            st = kvps_stat(g_store, key, &info);
            if (!acceptable(st)) report("stat", key, st);
            break;
        }
        case 5: {
            void *data = NULL;
            size_t n = 0;
            st = kvps_get_range(g_store, key, 0, 12, &data, &n);
            if (!acceptable(st)) report("get_range", key, st);
            kvps_free(data);
            break;
        }
        case 6: {
            if ((st = kvps_delete(g_store, key)) != KVPS_OK) report("delete", key, st);
            break;
        }
        case 7: {
            kvps_list_page *page = NULL;
            char prefix[80];
            snprintf(prefix, sizeof prefix, "%s/", g_prefix);
            st = kvps_list(g_store, prefix, NULL, 10, &page);
            if (st != KVPS_OK) report("list", prefix, st);
            kvps_list_page_free(page);
            break;
        }
        case 8: {
            kvps_writer *w = NULL;
            size_t n = make_value(buf, cap, seed);
            st = kvps_writer_open(g_store, key, &w);
            if (st == KVPS_OK) st = kvps_writer_write(w, buf, n / 2);
            if (st == KVPS_OK) st = kvps_writer_write(w, buf + n / 2, n - n / 2);
            if (st == KVPS_OK)
                st = kvps_writer_commit(w);
            else
                kvps_writer_abort(w);
            if (st != KVPS_OK) report("writer", key, st);
            break;
        }
        default: {
            kvps_reader *r = NULL;
            st = kvps_reader_open(g_store, key, 0, KVPS_TO_END, &r);
            if (st == KVPS_OK) {
                size_t total = 0, n = 0;
                do {
                    st = kvps_reader_read(r, back + total, cap - total, &n);
                    total += n;
                } while (st == KVPS_OK && n > 0 && total < cap);
                if (st == KVPS_OK && !value_ok(back, total))
                    report("reader (torn value)", key, KVPS_INTERNAL);
                kvps_reader_close(r);
            }
            if (!acceptable(st)) report("reader", key, st);
            break;
        }
        }
    }
    free(buf);
    free(back);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: reliability_stress URL [OPS_PER_THREAD]\n");
        return 2;
    }
    const char *url = argv[1];
    if (url[0] == '$') {
        url = getenv(url + 1);
        if (!url || !*url) {
            const char *ci = getenv("CI");
            int in_ci = ci && strcmp(ci, "true") == 0;
            fprintf(stderr, "%s is not set: %s\n", argv[1],
                    in_ci ? "failing (CI=true)" : "skipping");
            return in_ci ? 1 : 77;
        }
    }
    char folder[] = "/tmp/kvps-stress-XXXXXX";
    char file_url[128];
    int temp = strcmp(url, "file://") == 0;
    if (temp) {
        if (!mkdtemp(folder)) return 1;
        snprintf(file_url, sizeof file_url, "file://%s", folder);
        url = file_url;
    }
    if (argc > 2) g_ops = atoi(argv[2]);
    snprintf(g_prefix, sizeof g_prefix, "stress-%ld-%ld", (long)getpid(), (long)time(NULL));
    kvps_status st = kvps_open(url, &g_store);
    if (st != KVPS_OK) {
        fprintf(stderr, "open: %s: %s\n", kvps_status_name(st), kvps_last_error());
        return 1;
    }
    pthread_t threads[THREADS];
    for (unsigned i = 0; i < THREADS; ++i)
        pthread_create(&threads[i], NULL, worker, (void *)(uintptr_t)i);
    for (unsigned i = 0; i < THREADS; ++i) pthread_join(threads[i], NULL);
    char key[96];
    for (unsigned i = 0; i < KEYS; ++i) {
        key_name(key, sizeof key, i);
        kvps_delete(g_store, key);
    }
    kvps_close(g_store);
    if (temp) {
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", folder);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", folder);
    }
    printf("%d threads x %d operations on %s: %d failures\n", THREADS, g_ops,
           temp ? "file://(temp)" : argv[1], g_failures);
    return g_failures ? 1 : 0;
}
