// The asynchronous forms of put_with, get_with, copy, rename and the batch calls on one store,
// through the public header: results and their ownership, argument checks before an op is
// made, cancellation before start and deadlines (every worker held busy, so both are
// deterministic), and on s3:// a large write cancelled in flight (the old value stays whole).
//
//     async_more_test URL   memory://, file:// (a new temporary folder), or '$NAME' (an s3 URL
//                           from that environment variable: unset skips with 77, fails with
//                           CI=true)
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "kvps.h"

// cmocka last: it defines macros (fail, skip) that clash with standard headers.
#include <cstdarg>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

#include "async_support.hpp"

namespace {

#include "../kvps_test.h"

std::string g_url;
bool g_s3 = false;
kvps_store *g_store = nullptr;

kvps_status finish(kvps_op *op) {
    if (!kvps_op_wait(op, 120000)) fail_msg("an op did not complete in 120 s");
    return kvps_op_status(op);
}

std::string get_text(const char *key) {
    void *data = nullptr;
    size_t size = 0;
    kvps_status st = kvps_get(g_store, key, &data, &size);
    if (st == KVPS_NOT_FOUND) return "<missing>";
    if (st != KVPS_OK) fail_msg("get %s: %s", key, kvps_last_error());
    std::string text(static_cast<char *>(data), size);
    kvps_free(data);
    return text;
}

void put_with_get_with_and_etags(void **) {
    kvps_option meta[] = {{"Colour", "blue"}};
    kvps_put_options po = KVPS_PUT_OPTIONS_INIT;
    po.content_type = "text/plain";
    po.metadata = meta;
    po.metadata_count = 1;
    std::string value = "first";
    kvps_op *op = nullptr;
    ASSERT_OK(kvps_put_with_async(g_store, "pw/a", value.data(), value.size(), &po, nullptr, &op));
    value = "XXXXX";  // copied, and so are the options
    meta[0].value = "red";
    ASSERT_OK(finish(op));
    char etag[KVPS_ETAG_MAX];
    ASSERT_OK(kvps_op_etag(op, etag));
    assert_true(etag[0] != 0);
    kvps_op_free(op);

    ASSERT_OK(kvps_get_with_async(g_store, "pw/a", nullptr, &op));
    ASSERT_OK(finish(op));
    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_OK(kvps_op_stat(op, &info));
    assert_string_equal(info.etag, etag);
    assert_string_equal(info.content_type, "text/plain");
    assert_string_equal(kvps_stat_metadata_get(&info, "colour"), "blue");
    void *data = nullptr;
    size_t size = 0;
    ASSERT_OK(kvps_op_value(op, &data, &size));
    assert_int_equal(size, 5);
    assert_memory_equal(data, "first", 5);
    assert_int_equal(static_cast<char *>(data)[size], 0);
    kvps_free(data);
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_etag(op, etag));  // not a write
    kvps_op_free(op);

    // Conditions: create_only on an existing key fails and leaves it; if_match with its etag wins.
    kvps_put_options create = KVPS_PUT_OPTIONS_INIT;
    create.create_only = 1;
    ASSERT_OK(kvps_put_with_async(g_store, "pw/a", "second", 6, &create, nullptr, &op));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, finish(op));
    ASSERT_MESSAGE_HAS("pw/a");
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_op_etag(op, etag));
    kvps_op_free(op);
    assert_string_equal(get_text("pw/a").c_str(), "first");
    kvps_put_options match = KVPS_PUT_OPTIONS_INIT;
    match.if_match = info.etag;
    ASSERT_OK(kvps_put_with_async(g_store, "pw/a", "third", 5, &match, nullptr, &op));
    ASSERT_OK(finish(op));
    kvps_op_free(op);
    assert_string_equal(get_text("pw/a").c_str(), "third");

    ASSERT_OK(kvps_get_with_async(g_store, "pw/missing", nullptr, &op));
    ASSERT_STATUS(KVPS_NOT_FOUND, finish(op));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_op_stat(op, &info));
    kvps_op_free(op);
    // NULL put options: a plain put.
    ASSERT_OK(kvps_put_with_async(g_store, "pw/b", nullptr, 0, nullptr, nullptr, &op));
    ASSERT_OK(finish(op));
    kvps_op_free(op);
    assert_string_equal(get_text("pw/b").c_str(), "");
}

void copy_and_rename(void **) {
    ASSERT_OK(kvps_put(g_store, "cr/src", "payload", 7));
    kvps_op *op = nullptr;
    ASSERT_OK(kvps_copy_async(g_store, "cr/src", "cr/copy", nullptr, nullptr, &op));
    ASSERT_OK(finish(op));
    char etag[KVPS_ETAG_MAX];
    ASSERT_OK(kvps_op_etag(op, etag));
    kvps_op_free(op);
    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, "cr/copy", &info));
    assert_string_equal(info.etag, etag);
    assert_string_equal(get_text("cr/copy").c_str(), "payload");

    kvps_put_options po = KVPS_PUT_OPTIONS_INIT;
    po.content_type = "application/x-moved";
    ASSERT_OK(kvps_rename_async(g_store, "cr/copy", "cr/moved", &po, nullptr, &op));
    ASSERT_OK(finish(op));
    kvps_op_free(op);
    assert_string_equal(get_text("cr/copy").c_str(), "<missing>");
    assert_string_equal(get_text("cr/moved").c_str(), "payload");
    ASSERT_OK(kvps_stat(g_store, "cr/moved", &info));
    assert_string_equal(info.content_type, "application/x-moved");

    ASSERT_OK(kvps_copy_async(g_store, "cr/none", "cr/x", nullptr, nullptr, &op));
    ASSERT_STATUS(KVPS_NOT_FOUND, finish(op));
    ASSERT_MESSAGE_HAS("cr/none");
    kvps_op_free(op);
    kvps_put_options create = KVPS_PUT_OPTIONS_INIT;
    create.create_only = 1;
    ASSERT_OK(kvps_rename_async(g_store, "cr/src", "cr/moved", &create, nullptr, &op));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, finish(op));
    kvps_op_free(op);
    assert_string_equal(get_text("cr/src").c_str(), "payload");  // a failed rename moves nothing
}

void batches(void **) {
    const char *keys[] = {"b/0", "", "b/2"};
    const void *data[] = {"zero", "one", "two"};
    size_t sizes[] = {4, 3, 3};
    kvps_op *op = nullptr;
    ASSERT_OK(kvps_put_many_async(g_store, 3, keys, data, sizes, nullptr, &op));
    ASSERT_STATUS(KVPS_INVALID_KEY, finish(op));  // the first failed item's status
    ASSERT_MESSAGE_HAS("item 1");
    kvps_status st[3];
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_op_statuses(op, st));
    assert_int_equal(st[0], KVPS_OK);
    assert_int_equal(st[1], KVPS_INVALID_KEY);
    assert_int_equal(st[2], KVPS_OK);
    assert_string_equal(kvps_op_item_error(op, 0), "");
    assert_true(std::strlen(kvps_op_item_error(op, 1)) > 0);
    assert_string_equal(kvps_op_item_error(op, 7), "");
    void *value = nullptr;
    size_t size = 0;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_item_value(op, 0, &value, &size));  // not a get
    kvps_op_free(op);

    const char *get_keys[] = {"b/0", "b/missing", "b/2"};
    ASSERT_OK(kvps_get_many_async(g_store, 3, get_keys, nullptr, &op));
    ASSERT_OK(finish(op));  // a missing item counts as succeeded
    ASSERT_OK(kvps_op_statuses(op, st));
    assert_int_equal(st[1], KVPS_NOT_FOUND);
    ASSERT_OK(kvps_op_item_value(op, 0, &value, &size));
    assert_int_equal(size, 4);
    assert_memory_equal(value, "zero", 4);
    kvps_free(value);
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_item_value(op, 0, &value, &size));
    ASSERT_MESSAGE_HAS("already taken");
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_op_item_value(op, 1, &value, &size));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_item_value(op, 3, &value, &size));
    ASSERT_MESSAGE_HAS("out of range");
    kvps_op_free(op);  // item 2's value, never taken, is freed with it

    const char *del_keys[] = {"b/0", "b/2", "b/missing"};
    ASSERT_OK(kvps_delete_many_async(g_store, 3, del_keys, nullptr, &op));
    ASSERT_OK(finish(op));
    ASSERT_OK(kvps_op_statuses(op, st));
    for (kvps_status s : st) assert_int_equal(s, KVPS_OK);
    kvps_op_free(op);
    assert_string_equal(get_text("b/0").c_str(), "<missing>");

    ASSERT_OK(kvps_delete_many_async(g_store, 0, nullptr, nullptr, &op));  // empty: nothing to do
    ASSERT_OK(finish(op));
    ASSERT_OK(kvps_op_statuses(op, nullptr));
    kvps_op_free(op);
}

void bad_arguments(void **) {
    kvps_op *op = reinterpret_cast<kvps_op *>(0x1);
    char etag[KVPS_ETAG_MAX];
    kvps_put_options po = KVPS_PUT_OPTIONS_INIT;
    po.etag_out = etag;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT,
                  kvps_put_with_async(g_store, "k", "v", 1, &po, nullptr, &op));
    ASSERT_MESSAGE_HAS("kvps_op_etag");
    po = KVPS_PUT_OPTIONS_INIT;
    po.create_only = 1;
    po.if_match = "\"abc\"";
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_copy_async(g_store, "a", "b", &po, nullptr, &op));
    kvps_option bad[] = {{"no spaces allowed", "v"}};
    po = KVPS_PUT_OPTIONS_INIT;
    po.metadata = bad;
    po.metadata_count = 1;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT,
                  kvps_put_with_async(g_store, "k", "v", 1, &po, nullptr, &op));
    ASSERT_MESSAGE_HAS("no spaces allowed");
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_rename_async(g_store, "a", "", nullptr, nullptr, &op));
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_copy_async(g_store, "a\n", "b", nullptr, nullptr, &op));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get_with_async(g_store, "k", nullptr, nullptr));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get_many_async(g_store, 2, nullptr, nullptr, &op));
    ASSERT_MESSAGE_HAS("keys");
    const char *keys[] = {"a", "b"};
    size_t sizes[] = {1, 1};
    const void *data[] = {"x", nullptr};
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT,
                  kvps_put_many_async(g_store, 2, keys, data, sizes, nullptr, &op));
    ASSERT_MESSAGE_HAS("data[1]");
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_delete_many_async(nullptr, 2, keys, nullptr, &op));
    assert_ptr_equal(op, reinterpret_cast<kvps_op *>(0x1));  // no op was made
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_statuses(nullptr, nullptr));
    assert_string_equal(kvps_op_item_error(nullptr, 0), "");
    // The accessors of one kind of op refuse another.
    ASSERT_OK(kvps_delete_async(g_store, "k", nullptr, &op));
    finish(op);
    kvps_status st[1];
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_statuses(op, st));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_etag(op, etag));
    kvps_op_free(op);
}

// ---- every worker busy: ops queue behind them, so cancellation before start is deterministic
void cancel_before_start_and_deadline(void **) {
    ASSERT_OK(kvps_put(g_store, "q/src", "old", 3));
    ASSERT_OK(kvps_put(g_store, "q/dst", "old", 3));
    // Every worker held in a callback until release(), which waits until the callbacks left.
    async_support::BusyPool busy(g_store);
    const char *keys[] = {"q/dst", "q/other"};
    const void *data[] = {"new", "new"};
    size_t sizes[] = {3, 3};
    kvps_op *copy = nullptr, *rename = nullptr, *get_with = nullptr, *many = nullptr,
            *get_many = nullptr, *timed = nullptr, *timed_many = nullptr;
    ASSERT_OK(kvps_copy_async(g_store, "q/src", "q/dst", nullptr, nullptr, &copy));
    ASSERT_OK(kvps_rename_async(g_store, "q/src", "q/moved", nullptr, nullptr, &rename));
    // (Not put_with: on s3:// a put runs on the store's I/O thread, not behind the busy pool.)
    ASSERT_OK(kvps_get_with_async(g_store, "q/dst", nullptr, &get_with));
    ASSERT_OK(kvps_put_many_async(g_store, 2, keys, data, sizes, nullptr, &many));
    ASSERT_OK(kvps_get_many_async(g_store, 2, keys, nullptr, &get_many));
    kvps_status st[2];
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_statuses(many, st));
    ASSERT_MESSAGE_HAS("pending");
    for (kvps_op *op : {copy, rename, get_with, many, get_many}) {
        assert_false(kvps_op_done(op));
        kvps_op_cancel(op);
        assert_true(kvps_op_done(op));  // at once
        ASSERT_STATUS(KVPS_CANCELLED, kvps_op_status(op));
    }
    ASSERT_STATUS(KVPS_CANCELLED, kvps_op_statuses(many, st));
    assert_int_equal(st[0], KVPS_CANCELLED);
    assert_int_equal(st[1], KVPS_CANCELLED);
    void *value = nullptr;
    size_t size = 0;
    ASSERT_STATUS(KVPS_CANCELLED, kvps_op_item_value(get_many, 0, &value, &size));
    char etag[KVPS_ETAG_MAX];
    ASSERT_STATUS(KVPS_CANCELLED, kvps_op_etag(copy, etag));

    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.timeout_ms = 50;
    ASSERT_OK(kvps_copy_async(g_store, "q/src", "q/dst", nullptr, &o, &timed));
    ASSERT_OK(kvps_delete_many_async(g_store, 2, keys, &o, &timed_many));
    ASSERT_STATUS(KVPS_TIMEOUT, finish(timed));
    ASSERT_MESSAGE_HAS("50 ms");
    ASSERT_STATUS(KVPS_TIMEOUT, finish(timed_many));
    ASSERT_STATUS(KVPS_TIMEOUT, kvps_op_statuses(timed_many, st));
    assert_int_equal(st[1], KVPS_TIMEOUT);

    busy.release();
    for (kvps_op *op : {copy, rename, get_with, many, get_many, timed, timed_many})
        kvps_op_free(op);
    // Nothing of the cancelled or timed-out ops happened.
    assert_string_equal(get_text("q/src").c_str(), "old");
    assert_string_equal(get_text("q/dst").c_str(), "old");
    assert_string_equal(get_text("q/moved").c_str(), "<missing>");
    assert_string_equal(get_text("q/other").c_str(), "<missing>");
}

// ---- s3: a large put_with cut in flight leaves the old value whole
void s3_put_with_cut_in_flight(void **) {
    ASSERT_OK(kvps_put(g_store, "cut/value", "old", 3));
    std::string big((24u << 20) + 5, 'n');
    int cancelled = 0;
    for (int delay_ms : {0, 5, 20, 60}) {
        kvps_op *op = nullptr;
        kvps_put_options po = KVPS_PUT_OPTIONS_INIT;
        po.content_type = "application/x-big";
        ASSERT_OK(
            kvps_put_with_async(g_store, "cut/value", big.data(), big.size(), &po, nullptr, &op));
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        kvps_op_cancel(op);
        kvps_status st = finish(op);
        std::printf("[          ] a 24 MiB put_with cancelled %d ms in: %s\n", delay_ms,
                    kvps_status_name(st));
        assert_true(st == KVPS_CANCELLED || st == KVPS_OK);
        kvps_op_free(op);
        std::string now = get_text("cut/value");
        if (st == KVPS_CANCELLED) {
            ++cancelled;
            assert_string_equal(now.c_str(), "old");
        } else {
            assert_true(now == big);
            ASSERT_OK(kvps_put(g_store, "cut/value", "old", 3));
        }
    }
    assert_true(cancelled > 0);
    ASSERT_OK(kvps_delete(g_store, "cut/value"));
}

int setup(void **) { return kvps_open(g_url.c_str(), &g_store) == KVPS_OK ? 0 : -1; }
int teardown(void **) {
    kvps_close(g_store);
    g_store = nullptr;
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: async_more_test URL|'$NAME'\n");
        return 2;
    }
    char dir[] = "/tmp/kvps-async-more-XXXXXX";
    async_support::Target target;
    if (int code = async_support::resolve("kvps-async-more", argv[1], dir, target)) return code;
    g_url = target.url;
    g_s3 = target.s3;
    const CMUnitTest tests[] = {
        cmocka_unit_test(put_with_get_with_and_etags),
        cmocka_unit_test(copy_and_rename),
        cmocka_unit_test(batches),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(cancel_before_start_and_deadline),
    };
    const CMUnitTest s3_tests[] = {cmocka_unit_test(s3_put_with_cut_in_flight)};
    int failed =
        cmocka_run_group_tests_name(g_s3 ? "async_more s3" : argv[1], tests, setup, teardown);
    if (g_s3)
        failed += cmocka_run_group_tests_name("async_more s3 only", s3_tests, setup, teardown);
    if (target.temp) {
        std::string rm = std::string("rm -rf ") + dir;
        if (std::system(rm.c_str()) != 0) return 1;
    }
    return failed ? 1 : 0;
}
