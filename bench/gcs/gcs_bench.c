/*
 * kvps's gs backend against raw libcurl requests of ours on the same fake-gcs-server, in the same
 * run: PUT and GET of 1 KiB and 8 MiB values, median latency of alternating rounds, and the
 * ratio kvps / raw (lower is better).
 *
 *     kvps_gcs_bench URL [SMALL_COUNT [BIG_COUNT [RESULTS_FILE]]]
 *
 * URL is a store URL as tests/gcs/server.sh prints ('$KVPS_TEST_GCS_URL' reads the variable):
 * gs://BUCKET/?endpoint=http://HOST:PORT&anonymous=true. The raw peer sends the same requests
 * kvps does for these sizes (a media upload: POST .../upload/storage/v1/b/B/o?uploadType=media;
 * GET .../o/NAME?alt=media) on one reused curl handle, without kvps's CRC32C (computed and sent
 * on every put, checked on every get).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvps.h"

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what) {
    fprintf(stderr, "kvps_gcs_bench: %s\n", what);
    exit(1);
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
    qsort(v, n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the raw peer */

static char g_endpoint[256], g_bucket[128];
static CURL *g_curl;

struct sink {
    char *data;
    size_t size, cap;
};

static size_t on_body(char *ptr, size_t size, size_t n, void *user) {
    struct sink *s = user;
    size_t len = size * n;
    if (s->size + len > s->cap) {
        s->cap = (s->size + len) * 2;
        s->data = realloc(s->data, s->cap);
        if (!s->data) die("out of memory");
    }
    memcpy(s->data + s->size, ptr, len);
    s->size += len;
    return len;
}

static long raw_request(const char *method, const char *url, const void *body, size_t size,
                        struct sink *out) {
    curl_easy_reset(g_curl);
    curl_easy_setopt(g_curl, CURLOPT_URL, url);
    curl_easy_setopt(g_curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(g_curl, CURLOPT_WRITEDATA, out);
    struct curl_slist *headers = NULL;
    if (strcmp(method, "POST") == 0) {
        headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
        headers = curl_slist_append(headers, "Expect:");
        curl_easy_setopt(g_curl, CURLOPT_POST, 1L);
        curl_easy_setopt(g_curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(g_curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)size);
    }
    curl_easy_setopt(g_curl, CURLOPT_HTTPHEADER, headers);
    if (curl_easy_perform(g_curl) != CURLE_OK) die("raw request failed");
    long status = 0;
    curl_easy_getinfo(g_curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    return status;
}

static void raw_put(const char *name, const void *data, size_t size) {
    char url[1024];
    snprintf(url, sizeof url, "%s/upload/storage/v1/b/%s/o?uploadType=media&name=%s", g_endpoint,
             g_bucket, name);
    struct sink out = {0};
    if (raw_request("POST", url, data, size, &out) != 200) die("raw PUT refused");
    free(out.data);
}

static void raw_get(const char *name, size_t size) {
    char url[1024];
    snprintf(url, sizeof url, "%s/storage/v1/b/%s/o/%s?alt=media", g_endpoint, g_bucket, name);
    struct sink out = {0};
    if (raw_request("GET", url, NULL, 0, &out) != 200 || out.size != size) die("raw GET failed");
    free(out.data);
}

/* ---- kvps */

static kvps_store *g_store;

static void kvps_put_one(const char *name, const void *data, size_t size) {
    if (kvps_put(g_store, name, data, size) != KVPS_OK) die(kvps_last_error());
}

static void kvps_get_one(const char *name, size_t size) {
    void *value = NULL;
    size_t got = 0;
    if (kvps_get(g_store, name, &value, &got) != KVPS_OK || got != size) die(kvps_last_error());
    kvps_free(value);
}

/* One row pair: PUT and GET of `size` bytes, `count` times each way, rounds alternating. */
static void measure(FILE *out, const char *label, size_t size, size_t count) {
    unsigned char *data = malloc(size);
    for (size_t i = 0; i < size; ++i) data[i] = (unsigned char)(i * 131 >> 3);
    double *put_k = calloc(count, sizeof(double)), *put_r = calloc(count, sizeof(double));
    double *get_k = calloc(count, sizeof(double)), *get_r = calloc(count, sizeof(double));
    char kname[64], rname[64];
    snprintf(kname, sizeof kname, "bench-%ld-k", (long)getpid());
    snprintf(rname, sizeof rname, "bench-%ld-r", (long)getpid());
    for (size_t i = 0; i < count; ++i) {
        double t = now_us();
        kvps_put_one(kname, data, size);
        put_k[i] = now_us() - t;
        t = now_us();
        raw_put(rname, data, size);
        put_r[i] = now_us() - t;
        t = now_us();
        kvps_get_one(kname, size);
        get_k[i] = now_us() - t;
        t = now_us();
        raw_get(rname, size);
        get_r[i] = now_us() - t;
    }
    double pk = median(put_k, count), pr = median(put_r, count);
    double gk = median(get_k, count), gr = median(get_r, count);
    fprintf(out, "| PUT %s, median | %.0f us | %.0f us | %.2f |\n", label, pk, pr, pk / pr);
    fprintf(out, "| GET %s, median | %.0f us | %.0f us | %.2f |\n", label, gk, gr, gk / gr);
    fflush(out);
    kvps_delete(g_store, kname);
    kvps_delete(g_store, rname);
    free(data);
    free(put_k);
    free(put_r);
    free(get_k);
    free(get_r);
}

int main(int argc, char **argv) {
    if (argc < 2) die("usage: kvps_gcs_bench URL [SMALL_COUNT [BIG_COUNT [RESULTS_FILE]]]");
    const char *url = argv[1][0] == '$' ? getenv(argv[1] + 1) : argv[1];
    if (!url) die("the URL variable is not set (tests/gcs/server.sh start prints it)");
    size_t small = argc > 2 ? strtoul(argv[2], NULL, 10) : 300;
    size_t big = argc > 3 ? strtoul(argv[3], NULL, 10) : 15;
    const char *b = strstr(url, "://"), *e = strstr(url, "endpoint=");
    if (!b || !e) die("the URL needs gs://BUCKET/...?endpoint=...");
    b += 3;
    size_t blen = strcspn(b, "/?");
    snprintf(g_bucket, sizeof g_bucket, "%.*s", (int)blen, b);
    e += 9;
    snprintf(g_endpoint, sizeof g_endpoint, "%.*s", (int)strcspn(e, "&"), e);
    if (kvps_open(url, &g_store) != KVPS_OK) die(kvps_last_error());
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_curl = curl_easy_init();

    FILE *out = argc > 4 ? fopen(argv[4], "w") : stdout;
    if (!out) die("cannot write the results file");
    fprintf(out,
            "| measure | kvps | raw libcurl | ratio kvps/raw |\n| --- | ---: | ---: | ---: |\n");
    measure(out, "1 KiB", 1024, small);
    measure(out, "8 MiB", 8u << 20, big);
    if (out != stdout) fclose(out);
    curl_easy_cleanup(g_curl);
    kvps_close(g_store);
    return 0;
}
