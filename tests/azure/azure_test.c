/*
 * az:// against Azurite (tests/azure/server.sh): where credentials come from (options,
 * connection string, environment), and that keys and SAS tokens never reach a message, a log
 * line or the store's URL. Reads KVPS_TEST_AZ_* from the environment; without them the run is
 * skipped (exit 77), or fails when CI=true.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kvps.h"
#include "../kvps_test.h"

static const char *g_endpoint, *g_key, *g_connection, *g_container;
/* A well-formed key the emulator does not know, and a SAS token it cannot verify. */
static const char *kWrongKey = "V3JvbmdLZXlXcm9uZ0tleVdyb25nS2V5V3JvbmdLZXlXcm9uZ0tleQ==";
static const char *kWrongSas =
    "sv=2021-12-02&ss=b&srt=sco&sp=rwdl&se=2099-01-01T00:00:00Z&sig=S3cretSignatureValue0123456789";

static char g_log[1 << 16];
static size_t g_log_used;

static void collect(void *user, kvps_log_level level, const char *line) {
    (void)user;
    (void)level;
    size_t n = strlen(line);
    if (g_log_used + n + 2 < sizeof g_log) {
        memcpy(g_log + g_log_used, line, n);
        g_log_used += n;
        g_log[g_log_used++] = '\n';
        g_log[g_log_used] = '\0';
    }
}

static void assert_hidden(const char *text, const char *secret) {
    if (strstr(text, secret)) fail_msg("a secret appears in: %s", text);
}

/* put, get back, delete one key: the store works. */
static void round_trip(kvps_store *s) {
    ASSERT_OK(kvps_put(s, "azure-test/k", "value", 5));
    void *d = NULL;
    size_t n = 0;
    ASSERT_OK(kvps_get(s, "azure-test/k", &d, &n));
    assert_int_equal(n, 5);
    assert_memory_equal(d, "value", 5);
    kvps_free(d);
    ASSERT_OK(kvps_delete(s, "azure-test/k"));
}

static void test_key_option(void **state) {
    (void)state;
    kvps_store *s = NULL;
    char url[1024];
    snprintf(url, sizeof url, "az://devstoreaccount1/%s/opt?endpoint=%s", g_container, g_endpoint);
    kvps_option key = {"account_key", g_key};
    ASSERT_OK(kvps_open_with(url, &key, 1, &s));
    round_trip(s);
    assert_hidden(kvps_store_url(s), g_key);
    kvps_close(s);
}

static void test_connection_string(void **state) {
    (void)state;
    kvps_store *s = NULL;
    char url[256];
    snprintf(url, sizeof url, "az://devstoreaccount1/%s/cs", g_container);
    kvps_option cs = {"connection_string", g_connection};
    ASSERT_OK(kvps_open_with(url, &cs, 1, &s));
    round_trip(s);
    assert_hidden(kvps_store_url(s), g_key);
    kvps_close(s);
    /* The same from AZURE_STORAGE_CONNECTION_STRING, the account too. */
    setenv("AZURE_STORAGE_CONNECTION_STRING", g_connection, 1);
    snprintf(url, sizeof url, "azure:///%s/cs-env", g_container);
    ASSERT_OK(kvps_open(url, &s));
    round_trip(s);
    kvps_close(s);
    unsetenv("AZURE_STORAGE_CONNECTION_STRING");
}

static void test_account_and_key_from_environment(void **state) {
    (void)state;
    kvps_store *s = NULL;
    char url[1024];
    snprintf(url, sizeof url, "az:///%s/env?endpoint=%s", g_container, g_endpoint);
    setenv("AZURE_STORAGE_ACCOUNT", "devstoreaccount1", 1);
    setenv("AZURE_STORAGE_KEY", g_key, 1);
    ASSERT_OK(kvps_open(url, &s));
    round_trip(s);
    kvps_close(s);
    /* Without a key anywhere: KVPS_NO_CREDENTIALS, naming the places looked at. */
    unsetenv("AZURE_STORAGE_KEY");
    ASSERT_STATUS(KVPS_NO_CREDENTIALS, kvps_open(url, &s));
    ASSERT_MESSAGE_HAS("AZURE_STORAGE_KEY");
    unsetenv("AZURE_STORAGE_ACCOUNT");
    ASSERT_STATUS(KVPS_INVALID_URL, kvps_open(url, &s));
    ASSERT_MESSAGE_HAS("account");
}

/* A wrong key and a wrong SAS token: refused as KVPS_PERMISSION_DENIED with the service's error
 * code and request id, and neither secret in the message, the store's URL or any log line. */
static void test_secrets_never_shown(void **state) {
    (void)state;
    kvps_set_logger(collect, NULL, KVPS_LOG_DEBUG);
    char url[1024];
    kvps_store *s = NULL;
    snprintf(url, sizeof url, "az://devstoreaccount1/%s?endpoint=%s", g_container, g_endpoint);
    kvps_option key = {"account_key", kWrongKey};
    ASSERT_OK(kvps_open_with(url, &key, 1, &s));
    assert_hidden(kvps_store_url(s), kWrongKey);
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_put(s, "azure-test/denied", "x", 1));
    ASSERT_MESSAGE_HAS(
        "HTTP 403"); /* AuthenticationFailed (Azure) or AuthorizationFailure (Azurite) */
    ASSERT_MESSAGE_HAS("request id");
    assert_hidden(kvps_last_error(), kWrongKey);
    kvps_close(s);

    kvps_option sas = {"sas_token", kWrongSas};
    ASSERT_OK(kvps_open_with(url, &sas, 1, &s));
    assert_hidden(kvps_store_url(s), "S3cretSignatureValue");
    kvps_status st = kvps_put(s, "azure-test/denied", "x", 1);
    if (st == KVPS_OK) fail_msg("a put with a forged SAS token succeeded");
    assert_hidden(kvps_last_error(), "S3cretSignatureValue");
    kvps_close(s);

    /* A key that is not base64: refused at open, without repeating it. */
    kvps_option bad = {"account_key", "not*base64*secret"};
    ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open_with(url, &bad, 1, &s));
    assert_hidden(kvps_last_error(), "not*base64*secret");
    kvps_set_logger(NULL, NULL, KVPS_LOG_DEBUG);
    assert_true(g_log_used > 0);     /* the requests were logged... */
    assert_hidden(g_log, kWrongKey); /* ...without the secrets */
    assert_hidden(g_log, "S3cretSignatureValue");
    assert_hidden(g_log, g_key);
}

static void test_missing_container(void **state) {
    (void)state;
    char url[1024];
    kvps_store *s = NULL;
    snprintf(url, sizeof url, "az://devstoreaccount1/no-such-container?endpoint=%s", g_endpoint);
    kvps_option key = {"account_key", g_key};
    ASSERT_OK(kvps_open_with(url, &key, 1, &s));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_put(s, "k", "x", 1));
    ASSERT_MESSAGE_HAS("no-such-container");
    ASSERT_MESSAGE_HAS("ContainerNotFound");
    kvps_close(s);
    /* Bad account and container names are refused at open, named. */
    ASSERT_STATUS(KVPS_INVALID_URL, kvps_open_with("az://Bad_Account/c0ntainer", &key, 1, &s));
    ASSERT_MESSAGE_HAS("Bad_Account");
    ASSERT_STATUS(KVPS_INVALID_URL, kvps_open_with("az://devstoreaccount1/UPPER", &key, 1, &s));
    ASSERT_MESSAGE_HAS("UPPER");
}

int main(void) {
    g_endpoint = getenv("KVPS_TEST_AZ_ENDPOINT");
    g_key = getenv("KVPS_TEST_AZ_KEY");
    g_connection = getenv("KVPS_TEST_AZ_CONNECTION_STRING");
    g_container = getenv("KVPS_TEST_AZ_CONTAINER");
    if (!g_endpoint || !g_key || !g_connection || !g_container) {
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0) {
            fprintf(stderr,
                    "azure_test: KVPS_TEST_AZ_* are not set and CI=true: failing, not skipping\n");
            return 1;
        }
        fprintf(stderr,
                "azure_test: KVPS_TEST_AZ_* are not set (tests/azure/server.sh start); skipping\n");
        return 77;
    }
    unsetenv("AZURE_STORAGE_CONNECTION_STRING");
    unsetenv("AZURE_STORAGE_ACCOUNT");
    unsetenv("AZURE_STORAGE_KEY");
    unsetenv("AZURE_STORAGE_SAS_TOKEN");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_option),
        cmocka_unit_test(test_connection_string),
        cmocka_unit_test(test_account_and_key_from_environment),
        cmocka_unit_test(test_secrets_never_shown),
        cmocka_unit_test(test_missing_container),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
