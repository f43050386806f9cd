/* kvps's side of tests/s3/interop.py, through the public API only:
 *
 *     interop_helper URL put KEY     the value is read from standard input
 *     interop_helper URL get KEY     the value is written to standard output
 *     interop_helper URL list PREFIX every key under PREFIX, one per line
 *
 * Exit status: 0 on success, 3 for a missing key, 1 for any other failure (message on stderr). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <kvps.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(const char *what, kvps_status status) {
    fprintf(stderr, "interop_helper: %s: %s: %s\n", what, kvps_status_name(status), kvps_last_error());
    return status == KVPS_NOT_FOUND ? 3 : 1;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s URL put|get|list KEY\n", argv[0]);
        return 2;
    }
    kvps_store *store = NULL;
    kvps_status status = kvps_open(argv[1], &store);
    if (status != KVPS_OK) return failed("open", status);
    const char *command = argv[2], *key = argv[3];
    int rc = 0;
    if (strcmp(command, "put") == 0) {
        size_t size = 0, capacity = 1 << 16;
        char *data = malloc(capacity);
        for (size_t n; data && (n = fread(data + size, 1, capacity - size, stdin)) > 0;) {
            size += n;
            if (size == capacity) data = realloc(data, capacity *= 2);
        }
        if (!data) {
            fprintf(stderr, "interop_helper: out of memory\n");
            rc = 1;
        } else if ((status = kvps_put(store, key, data, size)) != KVPS_OK) {
            rc = failed("put", status);
        }
        free(data);
    } else if (strcmp(command, "get") == 0) {
        void *data = NULL;
        size_t size = 0;
        if ((status = kvps_get(store, key, &data, &size)) != KVPS_OK) {
            rc = failed("get", status);
        } else {
            fwrite(data, 1, size, stdout);
            kvps_free(data);
        }
    } else if (strcmp(command, "list") == 0) {
        char *cursor = NULL;
        do {
            kvps_list_page *page = NULL;
            if ((status = kvps_list(store, key, cursor, 0, &page)) != KVPS_OK) {
                rc = failed("list", status);
                break;
            }
            for (size_t i = 0; i < kvps_list_page_count(page); ++i)
                printf("%s\n", kvps_list_page_entry(page, i)->key);
            const char *next = kvps_list_page_cursor(page);
            free(cursor);
            cursor = next ? strdup(next) : NULL;
            kvps_list_page_free(page);
        } while (cursor);
        free(cursor);
    } else {
        fprintf(stderr, "interop_helper: unknown command '%s'\n", command);
        rc = 2;
    }
    kvps_close(store);
    return rc;
}
