/* A small program built against an installed kvps, as a user would. */
#include <kvps.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    kvps_store *store = NULL;
    if (kvps_open("memory://", &store) != KVPS_OK) {
        fprintf(stderr, "open: %s\n", kvps_last_error());
        return 1;
    }
    void *data = NULL;
    size_t size = 0;
    int ok = kvps_put(store, "greeting", "hello", 5) == KVPS_OK &&
             kvps_get(store, "greeting", &data, &size) == KVPS_OK && size == 5 &&
             memcmp(data, "hello", 5) == 0;
    kvps_free(data);
    kvps_close(store);
    printf("consumer: kvps %s, round trip %s\n", kvps_version(), ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
