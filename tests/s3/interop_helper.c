/* kvps's side of tests/s3/interop.py, through the public API only:
 *
 *     interop_helper URL put KEY [CONTENT_TYPE [NAME=VALUE]...]
 *                                    the value is read from standard input; with a content type
 *                                    (and user metadata), through kvps_put_with
 *     interop_helper URL get KEY     the value is written to standard output
 *     interop_helper URL stat KEY    "content-type: T" then "meta: NAME=VALUE" lines
 *     interop_helper URL copy FROM TO   kvps_copy (server-side), keeping type and metadata
 *     interop_helper URL list PREFIX every key under PREFIX, one per line
 *
 * Exit status: 0 on success, 3 for a missing key, 1 for any other failure (message on stderr). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <kvps.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(const char *what, kvps_status status) {
    fprintf(stderr, "interop_helper: %s: %s: %s\n", what, kvps_status_name(status),
            kvps_last_error());
    return status == KVPS_NOT_FOUND ? 3 : 1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s URL put|get|stat|copy|list KEY [ARGS...]\n", argv[0]);
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
        } else if (argc == 4 && (status = kvps_put(store, key, data, size)) != KVPS_OK) {
            rc = failed("put", status);
        } else if (argc > 4) {
            /* CONTENT_TYPE then NAME=VALUE pairs, split in place. */
            kvps_option pairs[16];
            size_t n = 0;
            for (int i = 5; i < argc && n < 16; ++i) {
                char *eq = strchr(argv[i], '=');
                if (!eq) continue;
                *eq = '\0';
                pairs[n].name = argv[i];
                pairs[n++].value = eq + 1;
            }
            kvps_put_options options = KVPS_PUT_OPTIONS_INIT;
            options.content_type = argv[4];
            options.metadata = pairs;
            options.metadata_count = n;
            if ((status = kvps_put_with(store, key, data, size, &options)) != KVPS_OK)
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
    } else if (strcmp(command, "stat") == 0) {
        kvps_stat_info info = KVPS_STAT_INIT;
        if ((status = kvps_stat(store, key, &info)) != KVPS_OK) {
            rc = failed("stat", status);
        } else {
            printf("content-type: %s\n", info.content_type);
            for (size_t i = 0; i < info.metadata_count; ++i) {
                const char *name = NULL, *value = NULL;
                if (kvps_stat_metadata_at(&info, i, &name, &value) == KVPS_OK)
                    printf("meta: %s=%s\n", name, value);
            }
        }
    } else if (strcmp(command, "copy") == 0 && argc == 5) {
        if ((status = kvps_copy(store, key, argv[4], NULL)) != KVPS_OK) rc = failed("copy", status);
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
