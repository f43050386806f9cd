/*
 * The postgres backend against a real server (tests/postgres/server.sh start exports its
 * KVPS_TEST_PG_* variables): reconnection after a server restart, create=false, the recorded
 * schema version, secrets, PG* variables / .pgpass / PGSERVICE, prefixes with % and _ and the
 * index behind them, readers that keep their version, no stray chunk rows, and KVPSButter's table.
 * Without KVPS_TEST_PG_URL it skips (exit 77), or fails when CI=true.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "kvps.h"
#include "../kvps_test.h"

static const char *g_url, *g_host, *g_port, *g_user, *g_password, *g_db;
static char g_tag[64]; /* unique per run: table names */

static char *str(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0) out = NULL;
    va_end(ap);
    return out;
}

/* A URL for this server with more query parameters. */
static char *url_with(const char *query) { return str("%s&%s", g_url, query); }

static PGconn *sql_connect(void) {
    const char *keys[] = {"host", "port", "user", "password", "dbname", NULL};
    const char *values[] = {g_host, g_port, g_user, g_password, g_db, NULL};
    PGconn *c = PQconnectdbParams(keys, values, 0);
    if (PQstatus(c) != CONNECTION_OK) fail_msg("libpq: %s", PQerrorMessage(c));
    return c;
}

/* Runs sql and returns the first column of the first row as a new string ("" for none). */
static char *sql_value(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    char *out = strdup(PQntuples(r) > 0 && PQnfields(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return out;
}

/* All rows of the first column joined by newlines. */
static char *sql_lines(PGconn *c, const char *sql) {
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    size_t len = 1;
    for (int i = 0; i < PQntuples(r); ++i) len += strlen(PQgetvalue(r, i, 0)) + 1;
    char *out = calloc(len, 1);
    for (int i = 0; i < PQntuples(r); ++i) strcat(strcat(out, PQgetvalue(r, i, 0)), "\n");
    PQclear(r);
    return out;
}

static void check_value(kvps_store *s, const char *key, const void *data, size_t size) {
    void *got = NULL;
    size_t n = 0;
    ASSERT_OK(kvps_get(s, key, &got, &n));
    assert_int_equal(n, size);
    if (size) assert_memory_equal(got, data, size);
    kvps_free(got);
}

/* ------------------------------------------------------------------ tests */

/* Restarting the server between two calls on one handle: the next call succeeds or fails with
 * KVPS_NETWORK, and the one after succeeds. */
static void test_reconnects_after_restart(void **state) {
    (void)state;
    const char *script = getenv("KVPS_TEST_PG_SERVER_SH");
    const char *dir = getenv("KVPS_TEST_PG_STATE");
    if (!script || !dir) skip();
    char *url = url_with("pool_size=4&chunk_size=64KiB");
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(url, &s));
    ASSERT_OK(kvps_put(s, "restart/before", "1", 1));
    /* Several pooled connections, all of which the restart breaks. */
    const char *keys[] = {"restart/a", "restart/b", "restart/c"};
    const void *data[] = {"a", "b", "c"};
    size_t sizes[] = {1, 1, 1};
    kvps_status st[3];
    ASSERT_OK(kvps_put_many(s, 3, keys, data, sizes, st));
    char *cmd = str("'%s' restart '%s' >/dev/null 2>&1", script, dir);
    assert_int_equal(system(cmd), 0);
    kvps_status first = kvps_put(s, "restart/after", "2", 1);
    if (first != KVPS_OK && first != KVPS_NETWORK)
        fail_msg("first call after the restart: %s: %s", kvps_status_name(first),
                 kvps_last_error());
    ASSERT_OK(kvps_put(s, "restart/after", "2", 1));
    check_value(s, "restart/before", "1", 1);
    check_value(s, "restart/a", "a", 1);
    /* Every kind of call works again, on every pooled connection. */
    kvps_stat_info info = KVPS_STAT_INIT;
    for (int i = 0; i < 8; ++i) ASSERT_OK(kvps_stat(s, "restart/after", &info));
    /* A streamed write (chunk rows, its own transaction) as the first call after a restart. */
    assert_int_equal(system(cmd), 0);
    size_t big = 300000;
    unsigned char *value = malloc(big);
    memset(value, 'z', big);
    first = kvps_put(s, "restart/big", value, big);
    if (first != KVPS_OK && first != KVPS_NETWORK)
        fail_msg("first streamed put after the restart: %s: %s", kvps_status_name(first),
                 kvps_last_error());
    ASSERT_OK(kvps_put(s, "restart/big", value, big));
    check_value(s, "restart/big", value, big);
    free(value);
    ASSERT_OK(kvps_delete(s, "restart/big"));
    ASSERT_OK(kvps_delete_many(s, 3, keys, st));
    ASSERT_OK(kvps_delete(s, "restart/before"));
    ASSERT_OK(kvps_delete(s, "restart/after"));
    kvps_close(s);
    free(cmd);
    free(url);
}

static void test_create_false_refuses_a_missing_table(void **state) {
    (void)state;
    char *query = str("table=missing_%s&create=false", g_tag);
    char *url = url_with(query);
    kvps_store *s = NULL;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_open(url, &s));
    ASSERT_MESSAGE_HAS("missing_");
    ASSERT_MESSAGE_HAS("create=false");
    assert_null(s);
    PGconn *c = sql_connect();
    char *sql = str("SELECT to_regclass('missing_%s') IS NULL", g_tag);
    char *v = sql_value(c, sql);
    assert_string_equal(v, "t");
    free(v);
    free(sql);
    PQfinish(c);
    free(url);
    free(query);
}

static void test_schema_is_created_once_with_its_version(void **state) {
    (void)state;
    char *query = str("table=schema_%s", g_tag);
    char *url = url_with(query);
    kvps_store *a = NULL, *b = NULL;
    ASSERT_OK(kvps_open(url, &a));
    ASSERT_OK(kvps_open(url, &b)); /* the second open finds it */
    ASSERT_OK(kvps_put(a, "k", "v", 1));
    check_value(b, "k", "v", 1);
    PGconn *c = sql_connect();
    char *sql = str("SELECT value FROM schema_%s_meta WHERE name = 'schema_version'", g_tag);
    char *v = sql_value(c, sql);
    assert_string_equal(v, "2");
    free(v);
    free(sql);
    /* A table kvps did not make is refused, not taken over. */
    sql = str("CREATE TABLE stranger_%s (id int)", g_tag);
    free(sql_value(c, sql));
    free(sql);
    kvps_close(a);
    kvps_close(b);
    free(url);
    free(query);
    query = str("table=stranger_%s", g_tag);
    url = url_with(query);
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_open(url, &a));
    ASSERT_MESSAGE_HAS("not a kvps store");
    sql = str(
        "DROP TABLE stranger_%s; DROP TABLE schema_%s, schema_%s_chunks, schema_%s_meta CASCADE;"
        " DROP SEQUENCE schema_%s_version; DROP FUNCTION schema_%s_drop_chunks()",
        g_tag, g_tag, g_tag, g_tag, g_tag, g_tag);
    free(sql_value(c, sql));
    free(sql);
    PQfinish(c);
    free(url);
    free(query);
}

/* A store made by schema version 1 (before content types and metadata) opens, is migrated in
 * place (one transaction, no rewrite), and keeps its values and their etags. */
static void test_schema_1_is_migrated(void **state) {
    (void)state;
    PGconn *c = sql_connect();
    char *sql =
        str("BEGIN;"
            "CREATE TABLE v1_%1$s (key text COLLATE \"C\" PRIMARY KEY, version bigint NOT NULL,"
            " size bigint NOT NULL, mtime timestamptz NOT NULL, chunk_size integer NOT NULL, data "
            "bytea,"
            " CHECK ((chunk_size = 0) = (data IS NOT NULL)));"
            "CREATE TABLE v1_%1$s_chunks (version bigint NOT NULL, n integer NOT NULL, data bytea "
            "NOT NULL,"
            " PRIMARY KEY (version, n));"
            "CREATE SEQUENCE v1_%1$s_version START 100;"
            "CREATE FUNCTION v1_%1$s_drop_chunks() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN DELETE FROM v1_%1$s_chunks WHERE version = OLD.version; RETURN NULL; END $$;"
            "CREATE TRIGGER kvps_drop_chunks_on_delete AFTER DELETE ON v1_%1$s FOR EACH ROW"
            " WHEN (OLD.chunk_size > 0) EXECUTE FUNCTION v1_%1$s_drop_chunks();"
            "CREATE TRIGGER kvps_drop_chunks_on_update AFTER UPDATE ON v1_%1$s FOR EACH ROW"
            " WHEN (OLD.chunk_size > 0 AND OLD.version <> NEW.version) EXECUTE FUNCTION "
            "v1_%1$s_drop_chunks();"
            "CREATE TABLE v1_%1$s_meta (name text PRIMARY KEY, value text NOT NULL);"
            "INSERT INTO v1_%1$s_meta VALUES ('schema_version', '1'), ('created_by', 'kvps 0.1.0');"
            "INSERT INTO v1_%1$s VALUES ('old', 7, 3, now(), 0, 'old');"
            "COMMIT",
            g_tag);
    free(sql_value(c, sql));
    free(sql);
    char *query = str("table=v1_%s", g_tag);
    char *url = url_with(query);
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(url, &s));
    check_value(s, "old", "old", 3);
    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(s, "old", &st));
    assert_string_equal(st.etag, "7");
    assert_string_equal(st.content_type, "application/octet-stream");
    assert_int_equal(st.metadata_count, 0);
    const kvps_option meta[] = {{"Owner", "v\"1\\"}};
    kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
    o.if_match = "7";
    o.content_type = "text/plain";
    o.metadata = meta;
    o.metadata_count = 1;
    ASSERT_OK(kvps_put_with(s, "old", "new", 3, &o));
    ASSERT_OK(kvps_stat(s, "old", &st));
    assert_string_equal(st.content_type, "text/plain");
    assert_string_equal(kvps_stat_metadata_get(&st, "owner"), "v\"1\\");
    kvps_close(s);
    sql =
        str("SELECT (SELECT value FROM v1_%1$s_meta WHERE name = 'schema_version') || ':' ||"
            " (SELECT metadata->>'owner' FROM v1_%1$s WHERE key = 'old')",
            g_tag);
    char *v = sql_value(c, sql);
    assert_string_equal(v, "2:v\"1\\");
    free(v);
    free(sql);
    /* Opened again: already version 2. */
    ASSERT_OK(kvps_open(url, &s));
    check_value(s, "old", "new", 3);
    kvps_close(s);
    sql = str(
        "DROP TABLE v1_%1$s, v1_%1$s_chunks, v1_%1$s_meta CASCADE; DROP SEQUENCE v1_%1$s_version;"
        " DROP FUNCTION v1_%1$s_drop_chunks()",
        g_tag);
    free(sql_value(c, sql));
    free(sql);
    PQfinish(c);
    free(url);
    free(query);
}

static void test_password_stays_secret(void **state) {
    (void)state;
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(g_url, &s));
    assert_null(strstr(kvps_store_url(s), g_password));
    assert_non_null(strstr(kvps_store_url(s), "***"));
    kvps_close(s);
    /* As an option: dropped from the URL. */
    char *bare = str("postgres://%s@%s:%s/%s?sslmode=disable", g_user, g_host, g_port, g_db);
    kvps_option password = {"password", g_password};
    ASSERT_OK(kvps_open_with(bare, &password, 1, &s));
    assert_null(strstr(kvps_store_url(s), g_password));
    kvps_close(s);
    /* A wrong password is PERMISSION_DENIED, and the message does not repeat it. */
    kvps_option wrong = {"password", "Wrong-Secret-4711"};
    ASSERT_STATUS(KVPS_PERMISSION_DENIED, kvps_open_with(bare, &wrong, 1, &s));
    assert_null(strstr(kvps_last_error(), "Wrong-Secret-4711"));
    ASSERT_MESSAGE_HAS("password");
    free(bare);
}

static void restore_env(const char *name, char *saved) {
    if (saved)
        setenv(name, saved, 1), free(saved);
    else
        unsetenv(name);
}

static void test_libpq_sources_are_honoured(void **state) {
    (void)state;
    const char *names[] = {"PGHOST",     "PGPORT",     "PGUSER",    "PGPASSWORD",
                           "PGDATABASE", "PGPASSFILE", "PGSERVICE", "PGSERVICEFILE"};
    char *saved[8];
    for (int i = 0; i < 8; ++i) saved[i] = getenv(names[i]) ? strdup(getenv(names[i])) : NULL;
    kvps_store *s = NULL;

    /* PG* variables alone. */
    setenv("PGHOST", g_host, 1);
    setenv("PGPORT", g_port, 1);
    setenv("PGUSER", g_user, 1);
    setenv("PGPASSWORD", g_password, 1);
    setenv("PGDATABASE", g_db, 1);
    ASSERT_OK(kvps_open("postgres://?sslmode=disable", &s));
    ASSERT_OK(kvps_put(s, "env/k", "v", 1));
    kvps_close(s);

    /* A password file instead of PGPASSWORD. */
    unsetenv("PGPASSWORD");
    char dir[] = "/tmp/kvps-pgpass-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *passfile = str("%s/pgpass", dir);
    FILE *f = fopen(passfile, "w");
    fprintf(f, "%s:%s:%s:%s:%s\n", g_host, g_port, g_db, g_user, g_password);
    fclose(f);
    chmod(passfile, 0600);
    setenv("PGPASSFILE", passfile, 1);
    ASSERT_OK(kvps_open("postgresql://?sslmode=disable", &s));
    check_value(s, "env/k", "v", 1);
    kvps_close(s);

    /* A service from a service file. */
    unsetenv("PGHOST");
    unsetenv("PGPORT");
    unsetenv("PGUSER");
    unsetenv("PGDATABASE");
    char *servicefile = str("%s/pg_service.conf", dir);
    f = fopen(servicefile, "w");
    fprintf(f, "[kvpstest]\nhost=%s\nport=%s\nuser=%s\ndbname=%s\nsslmode=disable\n", g_host,
            g_port, g_user, g_db);
    fclose(f);
    setenv("PGSERVICEFILE", servicefile, 1);
    setenv("PGSERVICE", "kvpstest", 1);
    ASSERT_OK(kvps_open("pgsql://", &s));
    check_value(s, "env/k", "v", 1);
    ASSERT_OK(kvps_delete(s, "env/k"));
    kvps_close(s);
    unsetenv("PGSERVICE");
    ASSERT_OK(kvps_open("pgsql://?service=kvpstest", &s));
    kvps_close(s);

    for (int i = 0; i < 8; ++i) restore_env(names[i], saved[i]);
    unlink(passfile);
    unlink(servicefile);
    rmdir(dir);
    free(passfile);
    free(servicefile);
}

static size_t list_keys(kvps_store *s, const char *prefix, char keys[][32], size_t max) {
    kvps_list_page *page = NULL;
    ASSERT_OK(kvps_list(s, prefix, NULL, 100, &page));
    size_t n = kvps_list_page_count(page);
    for (size_t i = 0; i < n && i < max; ++i)
        snprintf(keys[i], 32, "%s", kvps_list_page_entry(page, i)->key);
    kvps_list_page_free(page);
    return n;
}

static void test_prefixes_with_wildcards(void **state) {
    (void)state;
    char *query = str("table=wild_%s", g_tag);
    char *url = url_with(query);
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(url, &s));
    const char *keys[] = {"a%b/1",
                          "a_b/1",
                          "axb/1",
                          "a%c",
                          "a\\b/1",
                          "ab",
                          "a%",
                          "\xf4\x8f\xbf\xbf"
                          "x",
                          "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; ++i) ASSERT_OK(kvps_put(s, keys[i], "v", 1));
    char got[16][32];
    assert_int_equal(list_keys(s, "a%b", got, 16), 1);
    assert_string_equal(got[0], "a%b/1");
    assert_int_equal(list_keys(s, "a_b", got, 16), 1);
    assert_string_equal(got[0], "a_b/1");
    assert_int_equal(list_keys(s, "a\\", got, 16), 1);
    assert_int_equal(list_keys(s, "a%", got, 16), 3);
    assert_string_equal(got[0], "a%");
    assert_string_equal(got[1], "a%b/1");
    assert_string_equal(got[2], "a%c");
    /* The largest code point as a prefix: no upper bound exists, still exact. */
    assert_int_equal(list_keys(s, "\xf4\x8f\xbf\xbf", got, 16), 2);

    /* The statement behind a prefix listing uses the primary key's index, % and _ included. */
    PGconn *c = sql_connect();
    /* A handful of rows: make the planner show the plan it would take on a big table. */
    free(sql_value(c, "SET enable_seqscan = off; SET enable_bitmapscan = off"));
    char *sql =
        str("EXPLAIN SELECT key, size, mtime, version FROM wild_%s WHERE key >= 'a%%_' AND key > ''"
            " AND key < 'a%%`' ORDER BY key LIMIT 1001",
            g_tag);
    char *plan = sql_lines(c, sql);
    if (!strstr(plan, "Index Scan using wild_") || strstr(plan, "Seq Scan") || strstr(plan, "Sort"))
        fail_msg("the prefix query does not use the index:\n%s", plan);
    free(plan);
    free(sql);
    PQfinish(c);
    kvps_close(s);
    free(url);
    free(query);
}

/* A reader of a chunked value keeps its version or fails; old chunks do not linger. */
static void test_chunked_values_and_their_rows(void **state) {
    (void)state;
    char *query = str("table=chunks_%s&chunk_size=64KiB", g_tag);
    char *url = url_with(query);
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(url, &s));
    size_t n = 300000;
    unsigned char *a = malloc(n), *b = malloc(n), *buf = malloc(n);
    memset(a, 'A', n);
    memset(b, 'B', n);
    ASSERT_OK(kvps_put(s, "big", a, n));
    kvps_reader *r = NULL;
    size_t got = 0;
    ASSERT_OK(kvps_reader_open(s, "big", 0, KVPS_TO_END, &r));
    ASSERT_OK(kvps_reader_read(r, buf, 1000, &got));
    assert_true(got > 0 && buf[0] == 'A');
    ASSERT_OK(kvps_put(s, "big", b, n));
    /* Reading on leaves the first chunk: its version is gone, so the reader refuses. */
    ASSERT_OK(kvps_reader_seek(r, 200000));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_reader_read(r, buf, 1000, &got));
    ASSERT_MESSAGE_HAS("changed");
    kvps_reader_close(r);
    ASSERT_OK(kvps_reader_open(s, "big", 0, KVPS_TO_END, &r));
    ASSERT_OK(kvps_delete(s, "big"));
    ASSERT_OK(kvps_reader_seek(r, 200000));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_reader_read(r, buf, 1000, &got));
    kvps_reader_close(r);

    /* An aborted writer and overwrites leave exactly the live value's chunk rows. */
    ASSERT_OK(kvps_put(s, "big", a, n));
    ASSERT_OK(kvps_put(s, "big", b, n));
    ASSERT_OK(kvps_put(s, "small", "x", 1));
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(s, "aborted", &w));
    ASSERT_OK(kvps_writer_write(w, a, n));
    kvps_writer_abort(w);
    ASSERT_OK(kvps_put(s, "big2", a, n));
    ASSERT_OK(kvps_put(s, "big2", "now small", 9));
    PGconn *c = sql_connect();
    char *sql = str("SELECT count(*) FROM chunks_%s_chunks", g_tag);
    char *count = sql_value(c, sql);
    assert_string_equal(count, "5"); /* 300000 bytes in 64 KiB chunks */
    free(count);
    check_value(s, "big", b, n);
    check_value(s, "big2", "now small", 9);
    void *d = NULL;
    size_t dn = 0;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(s, "aborted", &d, &dn));
    /* A range across chunk boundaries. */
    ASSERT_OK(kvps_get_range(s, "big", 65530, 20, &d, &dn));
    assert_int_equal(dn, 20);
    assert_memory_equal(d, b, 20);
    kvps_free(d);
    /* Copy is server-side: the chunks are copied under a new version; rename keeps them. */
    char etag[KVPS_ETAG_MAX] = "";
    kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
    o.etag_out = etag;
    ASSERT_OK(kvps_copy(s, "big", "copied", &o));
    count = sql_value(c, sql);
    assert_string_equal(count, "10");
    free(count);
    check_value(s, "copied", b, n);
    ASSERT_OK(kvps_rename(s, "copied", "moved", NULL));
    count = sql_value(c, sql);
    assert_string_equal(count, "10");
    free(count);
    check_value(s, "moved", b, n);
    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(s, "moved", &st));
    assert_string_equal(st.etag, etag);
    /* A rename over a chunked value drops its chunks; a failed condition moves nothing. */
    kvps_put_options create = KVPS_PUT_OPTIONS_INIT;
    create.create_only = 1;
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_rename(s, "moved", "big", &create));
    ASSERT_MESSAGE_HAS("big");
    ASSERT_OK(kvps_rename(s, "moved", "big", NULL));
    count = sql_value(c, sql);
    assert_string_equal(count, "5");
    free(count);
    /* A chunked create_only writer over an existing key leaves no chunk behind. */
    ASSERT_OK(kvps_writer_open_with(s, "big", &create, &w));
    ASSERT_OK(kvps_writer_write(w, a, n));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_writer_commit(w));
    ASSERT_OK(kvps_delete(s, "big"));
    free(count = sql_value(c, sql));
    count = sql_value(c, sql);
    assert_string_equal(count, "0");
    free(count);
    free(sql);
    PQfinish(c);
    kvps_close(s);
    free(a);
    free(b);
    free(buf);
    free(url);
    free(query);
}

/* KVPSButter's table as KVPSButter makes and fills it (its README's DDL, its upsert), opened
 * with its own option names. */
static void test_kvpsbutter_table(void **state) {
    (void)state;
    PGconn *c = sql_connect();
    char *sql = str(
        "CREATE TABLE kb_%s (keyname TEXT PRIMARY KEY, keyvalue BYTEA NOT NULL,"
        " size BIGINT NOT NULL, last_modified TIMESTAMP WITH TIME ZONE DEFAULT CURRENT_TIMESTAMP)",
        g_tag);
    free(sql_value(c, sql));
    free(sql);
    const char *keys[] = {"b", "a/1", "B", "\xc3\xa9t\xc3\xa9", "a-2", "empty"};
    const char *values[] = {"bee", "one", "BEE", "summer", "two", ""};
    for (int i = 0; i < 6; ++i) {
        const char *params[] = {keys[i], values[i]};
        int lengths[] = {(int)strlen(keys[i]), (int)strlen(values[i])};
        int formats[] = {0, 1};
        char *insert =
            str("INSERT INTO kb_%s (keyname, keyvalue, size, last_modified) VALUES ($1, $2::bytea,"
                " octet_length($2::bytea), '2024-05-06 07:08:09+00')",
                g_tag);
        PGresult *r = PQexecParams(c, insert, 2, NULL, params, lengths, formats, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) fail_msg("insert: %s", PQresultErrorMessage(r));
        PQclear(r);
        free(insert);
    }
    char *url =
        str("postgres://?username=%s&password=%s&host=%s&port=%s&database=%s&tablename=kb_%s"
            "&layout=kvpsbutter&connectionoptions=SSL Mode=Disable;Application "
            "Name=kb-test&commandtimeout=30",
            g_user, g_password, g_host, g_port, g_db, g_tag);
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open(url, &s));
    assert_null(strstr(kvps_store_url(s), g_password));
    assert_null(strstr(kvps_store_url(s), "Application Name")); /* connectionoptions is a secret */
    kvps_close(s);
    /* The password inside Npgsql's settings, as KVPSButter users may write it. */
    char *in_options =
        str("postgres://?username=%s&host=%s&port=%s&database=%s&tablename=kb_%s&layout=kvpsbutter"
            "&connectionoptions=Password=%s;SSL Mode=Disable",
            g_user, g_host, g_port, g_db, g_tag, g_password);
    ASSERT_OK(kvps_open(in_options, &s));
    assert_null(strstr(kvps_store_url(s), g_password));
    free(in_options);
    for (int i = 0; i < 6; ++i) {
        check_value(s, keys[i], values[i], strlen(values[i]));
        kvps_stat_info st = KVPS_STAT_INIT;
        ASSERT_OK(kvps_stat(s, keys[i], &st));
        assert_int_equal(st.size, strlen(values[i]));
        assert_true(st.mtime_ns == 1714979289ll * 1000000000ll);
    }
    /* Byte order, whatever the database's collation. */
    char got[16][32];
    assert_int_equal(list_keys(s, "", got, 16), 6);
    const char *order[] = {"B", "a-2", "a/1", "b", "empty", "\xc3\xa9t\xc3\xa9"};
    for (int i = 0; i < 6; ++i) assert_string_equal(got[i], order[i]);
    assert_int_equal(list_keys(s, "a", got, 16), 2);
    /* kvps writes rows KVPSButter reads: size and last_modified filled. */
    ASSERT_OK(kvps_put(s, "new", "fresh", 5));
    sql =
        str("SELECT size || ':' || (last_modified > now() - interval '1 hour') FROM kb_%s WHERE "
            "keyname = 'new'",
            g_tag);
    char *v = sql_value(c, sql);
    assert_string_equal(v, "5:true");
    free(v);
    free(sql);
    ASSERT_OK(kvps_delete(s, "new"));
    /* Conditions on the row version (xmin); properties in the companion table, tied to the row
     * version they were written with: a KVPSButter overwrite leaves the value without them. */
    kvps_stat_info st = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(s, "b", &st));
    kvps_put_options create = KVPS_PUT_OPTIONS_INIT;
    create.create_only = 1;
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_put_with(s, "b", "x", 1, &create));
    const kvps_option meta[] = {{"Color", "blue"}};
    char etag[KVPS_ETAG_MAX] = "";
    kvps_put_options match = KVPS_PUT_OPTIONS_INIT;
    match.if_match = st.etag;
    match.content_type = "text/x-bee";
    match.metadata = meta;
    match.metadata_count = 1;
    match.etag_out = etag;
    ASSERT_OK(kvps_put_with(s, "b", "bee2", 4, &match));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_put_with(s, "b", "bee3", 4, &match));
    ASSERT_OK(kvps_stat(s, "b", &st));
    assert_string_equal(st.etag, etag);
    assert_string_equal(st.content_type, "text/x-bee");
    assert_string_equal(kvps_stat_metadata_get(&st, "color"), "blue");
    ASSERT_OK(kvps_rename(s, "b", "b-moved", NULL));
    ASSERT_OK(kvps_stat(s, "b-moved", &st));
    assert_string_equal(st.content_type, "text/x-bee");
    sql = str("UPDATE kb_%s SET keyvalue = 'kb', size = 2 WHERE keyname = 'b-moved'", g_tag);
    free(sql_value(c, sql));
    free(sql);
    ASSERT_OK(kvps_stat(s, "b-moved", &st));
    assert_string_not_equal(st.etag, etag);
    assert_string_equal(st.content_type, "application/octet-stream");
    assert_int_equal(st.metadata_count, 0);
    ASSERT_OK(kvps_rename(s, "b-moved", "b", NULL));
    kvps_close(s);
    /* A mistyped Npgsql setting is named. */
    char *bad =
        str("postgres://?username=%s&password=%s&host=%s&port=%s&database=%s&tablename=kb_%s"
            "&layout=kvpsbutter&connectionoptions=SSL Mode=Disable;Bogus Setting=1",
            g_user, g_password, g_host, g_port, g_db, g_tag);
    ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open(bad, &s));
    ASSERT_MESSAGE_HAS("Bogus Setting");
    free(bad);
    sql = str("DROP TABLE kb_%1$s, kb_%1$s_kvps_props", g_tag);
    free(sql_value(c, sql));
    free(sql);
    PQfinish(c);
    free(url);
}

static void test_bad_options(void **state) {
    (void)state;
    kvps_store *s = NULL;
    char *u = url_with("layout=nosuch");
    ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open(u, &s));
    ASSERT_MESSAGE_HAS("layout");
    free(u);
    u = url_with("chunk_size=1k");
    ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open(u, &s));
    ASSERT_MESSAGE_HAS("chunk_size");
    free(u);
    u = url_with("sslmod=disable");
    ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open(u, &s));
    ASSERT_MESSAGE_HAS("sslmode"); /* did you mean */
    free(u);
    u = url_with("table=a&tablename=b");
    ASSERT_STATUS(KVPS_INVALID_OPTION, kvps_open(u, &s));
    free(u);
    char *nodb = str("postgres://%s:%s@%s:%s/no_such_db_%s?sslmode=disable", g_user, g_password,
                     g_host, g_port, g_tag);
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_open(nodb, &s));
    ASSERT_MESSAGE_HAS("no_such_db_");
    assert_null(strstr(kvps_last_error(), g_password));
    free(nodb);
    char *noserver = str("postgres://%s:%s@127.0.0.1:1/%s?sslmode=disable&connect_timeout=5",
                         g_user, g_password, g_db);
    ASSERT_STATUS(KVPS_NETWORK, kvps_open(noserver, &s));
    assert_null(strstr(kvps_last_error(), g_password));
    free(noserver);
}

int main(void) {
    g_url = getenv("KVPS_TEST_PG_URL");
    if (!g_url || !*g_url) {
        const char *ci = getenv("CI");
        fprintf(stderr,
                "postgres tests: KVPS_TEST_PG_URL is not set (start tests/postgres/server.sh)\n");
        return ci && strcmp(ci, "true") == 0 ? 1 : 77;
    }
    g_host = getenv("KVPS_TEST_PG_HOST");
    g_port = getenv("KVPS_TEST_PG_PORT");
    g_user = getenv("KVPS_TEST_PG_USER");
    g_password = getenv("KVPS_TEST_PG_PASSWORD");
    g_db = getenv("KVPS_TEST_PG_DATABASE");
    if (!g_host || !g_port || !g_user || !g_password || !g_db) {
        fprintf(stderr,
                "postgres tests: KVPS_TEST_PG_HOST/PORT/USER/PASSWORD/DATABASE are needed too\n");
        return 1;
    }
    snprintf(g_tag, sizeof g_tag, "t%ld_%ld", (long)getpid(), (long)time(NULL));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_false_refuses_a_missing_table),
        cmocka_unit_test(test_schema_is_created_once_with_its_version),
        cmocka_unit_test(test_schema_1_is_migrated),
        cmocka_unit_test(test_password_stays_secret),
        cmocka_unit_test(test_libpq_sources_are_honoured),
        cmocka_unit_test(test_prefixes_with_wildcards),
        cmocka_unit_test(test_chunked_values_and_their_rows),
        cmocka_unit_test(test_kvpsbutter_table),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_reconnects_after_restart),
    };
    return cmocka_run_group_tests_name("postgres", tests, NULL, NULL);
}
