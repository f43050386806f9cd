/*
 * The core's batch fallbacks (a loop over put/get/remove) with one failing item, on
 * fallback-test://?fail_prefix=broken/: the failing item gets its own status and the call's
 * message names it; the other items still run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kvps.h"
#include "../kvps_test.h"

static void test_one_failing_item(void **state) {
    (void)state;
    kvps_store *s = NULL;
    ASSERT_OK(kvps_open("fallback-test://?fail_prefix=broken/", &s));
    const char *keys[] = {"ok/1", "broken/2", "ok/3"};
    const void *data[] = {"one", "two", "three"};
    size_t sizes[] = {3, 3, 5};
    kvps_status st[3];

    ASSERT_STATUS(KVPS_IO, kvps_put_many(s, 3, keys, data, sizes, st));
    assert_int_equal(st[0], KVPS_OK);
    assert_int_equal(st[1], KVPS_IO);
    assert_int_equal(st[2], KVPS_OK);
    ASSERT_MESSAGE_HAS("item 1");
    ASSERT_MESSAGE_HAS("broken/2");

    void *got[3];
    size_t got_sizes[3];
    ASSERT_STATUS(KVPS_IO, kvps_get_many(s, 3, keys, got, got_sizes, st));
    assert_int_equal(st[0], KVPS_OK);
    assert_int_equal(st[1], KVPS_IO);
    assert_int_equal(st[2], KVPS_OK);
    assert_null(got[1]);
    assert_int_equal(got_sizes[1], 0);
    assert_memory_equal(got[2], "three", 5);
    ASSERT_MESSAGE_HAS("get");
    for (int i = 0; i < 3; ++i) kvps_free(got[i]);

    ASSERT_STATUS(KVPS_IO, kvps_delete_many(s, 3, keys, st));
    assert_int_equal(st[0], KVPS_OK);
    assert_int_equal(st[1], KVPS_IO);
    assert_int_equal(st[2], KVPS_OK);
    ASSERT_MESSAGE_HAS("remove");
    void *d = NULL;
    size_t n = 0;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_get(s, "ok/3", &d, &n));

    /* A streamed write commits through put: its failure leaves nothing behind. */
    kvps_writer *w = NULL;
    ASSERT_OK(kvps_writer_open(s, "broken/streamed", &w));
    ASSERT_OK(kvps_writer_write(w, "x", 1));
    ASSERT_STATUS(KVPS_IO, kvps_writer_commit(w));
    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(s, "broken/streamed", &info));
    kvps_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_failing_item),
    };
    return cmocka_run_group_tests_name("fallback batch errors", tests, NULL, NULL);
}
