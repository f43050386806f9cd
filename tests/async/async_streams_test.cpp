// The asynchronous stream calls (readers and writers) on one store, through the public header:
// a value written in chunks and read back in pieces, results and their ownership, argument
// checks, a write and a commit cancelled before they start (the pool held busy), and writes
// and commits cancelled at random instants: the commit's status tells truthfully which value
// is in place (the old one or the new one, whole, never torn), and on s3:// no multipart
// upload is left open.
//
//     async_streams_test URL   memory://, file:// (a new temporary folder), or '$NAME' (an s3
//                              URL from that environment variable: unset skips with 77, fails
//                              with CI=true)
//
// C++ only to look behind kvps's back on s3:// (ListMultipartUploads with the backend's client).
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

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

async_support::Target g_target;
kvps_store *g_store = nullptr;
size_t g_chunk = 4096;  // s3: 1 MiB, so a value of several chunks is a multipart write

// Waits for op and returns its status.
kvps_status finish(kvps_op *op) {
    if (!kvps_op_wait(op, 120000)) fail_msg("an op did not complete in 120 s");
    return kvps_op_status(op);
}

kvps_writer *open_writer(const char *key) {
    kvps_op *op = nullptr;
    ASSERT_OK(kvps_writer_open_async(g_store, key, nullptr, &op));
    ASSERT_OK(finish(op));
    kvps_writer *w = nullptr;
    ASSERT_OK(kvps_op_writer(op, &w));
    kvps_op_free(op);
    return w;
}

kvps_status write_chunk(kvps_writer *w, const std::string &data) {
    kvps_op *op = nullptr;
    ASSERT_OK(kvps_writer_write_async(w, data.data(), data.size(), nullptr, &op));
    kvps_status st = finish(op);
    kvps_op_free(op);
    return st;
}

// Reads key whole through an asynchronous reader, in pieces of `piece` bytes.
std::string read_all(const char *key, size_t piece) {
    kvps_op *op = nullptr;
    ASSERT_OK(kvps_reader_open_async(g_store, key, 0, KVPS_TO_END, nullptr, &op));
    ASSERT_OK(finish(op));
    kvps_reader *r = nullptr;
    ASSERT_OK(kvps_op_reader(op, &r));
    kvps_op_free(op);
    std::string out;
    std::vector<char> buffer(piece);
    for (;;) {
        ASSERT_OK(kvps_reader_read_async(r, buffer.data(), buffer.size(), nullptr, &op));
        ASSERT_OK(finish(op));
        size_t n = 99;
        ASSERT_OK(kvps_op_count(op, &n));
        kvps_op_free(op);
        if (n == 0) break;
        out.append(buffer.data(), n);
    }
    kvps_reader_close(r);
    return out;
}

std::string get(const char *key) {
    void *data = nullptr;
    size_t size = 0;
    kvps_status st = kvps_get(g_store, key, &data, &size);
    if (st == KVPS_NOT_FOUND) return "<missing>";
    ASSERT_OK(st);
    std::string out(static_cast<char *>(data), size);
    kvps_free(data);
    return out;
}

// ---- a value written in chunks and read back, by queue and by callback
void write_then_read(void **) {
    std::string value;
    for (int i = 0; i < 5; ++i) value += std::string(g_chunk + static_cast<size_t>(i), 'a' + i);
    kvps_queue *q = nullptr;
    ASSERT_OK(kvps_queue_new(&q));
    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.queue = q;
    o.user = q;
    kvps_put_options po = KVPS_PUT_OPTIONS_INIT;
    po.content_type = "text/x-test";
    kvps_op *op = nullptr;
    ASSERT_OK(kvps_writer_open_with_async(g_store, "s/value", &po, &o, &op));
    pollfd p{kvps_queue_fd(q), POLLIN, 0};
    assert_int_equal(poll(&p, 1, 60000), 1);
    kvps_op *popped = kvps_queue_next(q);
    assert_ptr_equal(popped, op);
    assert_ptr_equal(kvps_op_user(op), q);
    kvps_writer *w = nullptr;
    ASSERT_OK(kvps_op_writer(op, &w));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_writer(op, &w));  // handed over once
    ASSERT_MESSAGE_HAS("already taken");
    kvps_op_free(op);
    size_t at = 0;
    for (int i = 0; i < 5; ++i) {
        std::string chunk = value.substr(at, g_chunk + static_cast<size_t>(i));
        at += chunk.size();
        ASSERT_OK(kvps_writer_write_async(w, chunk.data(), chunk.size(), &o, &op));
        chunk.assign(chunk.size(), 'x');  // copied: changing the caller's bytes changes nothing
        ASSERT_OK(finish(op));
        kvps_op_free(op);
    }
    assert_string_equal(get("s/value").c_str(), "<missing>");  // nothing visible before commit
    ASSERT_OK(kvps_writer_commit_async(w, &o, &op));
    ASSERT_OK(finish(op));
    char etag[KVPS_ETAG_MAX] = {0};
    ASSERT_OK(kvps_op_etag(op, etag));
    kvps_op_free(op);
    while (kvps_op *left = kvps_queue_next(q)) kvps_op_free(left);  // none: all freed already
    kvps_queue_free(q);

    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, "s/value", &info));
    assert_int_equal(info.size, value.size());
    assert_string_equal(info.etag, etag);
    assert_string_equal(info.content_type, "text/x-test");
    assert_true(read_all("s/value", 1000) == value);
    assert_true(read_all("s/value", value.size() * 2) == value);

    // A range, read with a callback telling completion.
    ASSERT_OK(kvps_reader_open_async(g_store, "s/value", 10, 20, nullptr, &op));
    ASSERT_OK(finish(op));
    kvps_reader *r = nullptr;
    ASSERT_OK(kvps_op_reader(op, &r));
    kvps_op_free(op);
    assert_int_equal(kvps_reader_value_size(r), value.size());
    char buffer[64];
    ASSERT_OK(kvps_reader_read_async(r, buffer, sizeof buffer, nullptr, &op));
    ASSERT_OK(finish(op));
    size_t n = 0;
    ASSERT_OK(kvps_op_count(op, &n));
    kvps_op_free(op);
    assert_int_equal(n, 20);
    assert_memory_equal(buffer, value.data() + 10, 20);
    kvps_reader_close(r);

    // A missing key: the open op says so, and there is no reader.
    ASSERT_OK(kvps_reader_open_async(g_store, "s/missing", 0, KVPS_TO_END, nullptr, &op));
    ASSERT_STATUS(KVPS_NOT_FOUND, finish(op));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_op_reader(op, &r));
    kvps_op_free(op);

    // Ops freed without their reader or writer taken: closed (a writer aborted), no leak.
    ASSERT_OK(kvps_reader_open_async(g_store, "s/value", 0, KVPS_TO_END, nullptr, &op));
    finish(op);
    kvps_op_free(op);
    ASSERT_OK(kvps_writer_open_async(g_store, "s/never", nullptr, &op));
    finish(op);
    kvps_op_free(op);
    assert_string_equal(get("s/never").c_str(), "<missing>");
    ASSERT_OK(kvps_delete(g_store, "s/value"));
}

// ---- arguments checked before an op is made
void bad_arguments(void **) {
    kvps_op *op = nullptr;
    char buffer[8];
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_reader_read_async(nullptr, buffer, 8, nullptr, &op));
    ASSERT_MESSAGE_HAS("reader");
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_writer_write_async(nullptr, "x", 1, nullptr, &op));
    ASSERT_MESSAGE_HAS("writer");
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_writer_commit_async(nullptr, nullptr, &op));
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_writer_open_async(g_store, "", nullptr, &op));
    ASSERT_STATUS(KVPS_INVALID_KEY,
                  kvps_reader_open_async(g_store, "bad\nkey", 0, KVPS_TO_END, nullptr, &op));
    char etag[KVPS_ETAG_MAX];
    kvps_put_options po = KVPS_PUT_OPTIONS_INIT;
    po.etag_out = etag;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT,
                  kvps_writer_open_with_async(g_store, "k", &po, nullptr, &op));
    ASSERT_MESSAGE_HAS("etag_out");

    // A commit that makes no op still takes (aborts) its writer: ASan sees no leak.
    kvps_writer *w = open_writer("s/bad");
    ASSERT_OK(kvps_writer_write(w, "abc", 3));
    kvps_async_options unknown = KVPS_ASYNC_OPTIONS_INIT;
    unknown.version = 99;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_writer_commit_async(w, &unknown, &op));
    ASSERT_MESSAGE_HAS("version");
    assert_string_equal(get("s/bad").c_str(), "<missing>");

    // Accessors of the wrong kind of op, or of a pending op.
    ASSERT_OK(kvps_put(g_store, "s/k", "v", 1));
    ASSERT_OK(kvps_get_async(g_store, "s/k", nullptr, &op));
    finish(op);
    kvps_reader *r = nullptr;
    size_t n;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_reader(op, &r));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_writer(op, &w));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_count(op, &n));
    kvps_op_free(op);
    async_support::BusyPool busy(g_store);
    ASSERT_OK(kvps_reader_open_async(g_store, "s/k", 0, KVPS_TO_END, nullptr, &op));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_reader(op, &r));
    ASSERT_MESSAGE_HAS("pending");
    busy.release();
    ASSERT_OK(finish(op));
    ASSERT_OK(kvps_op_reader(op, &r));
    kvps_op_free(op);
    ASSERT_OK(kvps_reader_read_async(r, buffer, sizeof buffer, nullptr, &op));
    finish(op);
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_writer(op, &w));
    ASSERT_OK(kvps_op_count(op, &n));
    assert_int_equal(n, 1);
    kvps_op_free(op);
    kvps_reader_close(r);
    ASSERT_OK(kvps_delete(g_store, "s/k"));
}

// ---- a write, a read and a commit cancelled (or timed out) before they start
void cancel_before_start(void **) {
    ASSERT_OK(kvps_put(g_store, "c/key", "old", 3));
    std::string chunk(g_chunk * 6, 'n');  // s3: more than part_size, so a multipart upload

    // A write cancelled before it ran: its writer can only be aborted.
    kvps_writer *w = open_writer("c/key");
    ASSERT_OK(write_chunk(w, chunk));
    kvps_op *op = nullptr;
    {
        async_support::BusyPool busy(g_store);
        ASSERT_OK(kvps_writer_write_async(w, chunk.data(), chunk.size(), nullptr, &op));
        kvps_op_cancel(op);
        assert_true(kvps_op_done(op));
        ASSERT_STATUS(KVPS_CANCELLED, kvps_op_status(op));
        kvps_op_free(op);
    }
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, write_chunk(w, "more"));
    ASSERT_MESSAGE_HAS("failed earlier");
    ASSERT_OK(kvps_writer_commit_async(w, nullptr, &op));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, finish(op));
    ASSERT_MESSAGE_HAS("nothing was committed");
    kvps_op_free(op);
    assert_string_equal(get("c/key").c_str(), "old");

    // A commit whose deadline passed before it ran: not committed, the writer aborted.
    w = open_writer("c/key");
    ASSERT_OK(write_chunk(w, chunk));
    ASSERT_OK(write_chunk(w, chunk));
    {
        async_support::BusyPool busy(g_store);
        kvps_async_options timed = KVPS_ASYNC_OPTIONS_INIT;
        timed.timeout_ms = 30;
        ASSERT_OK(kvps_writer_commit_async(w, &timed, &op));
        assert_true(kvps_op_wait(op, 60000));
        ASSERT_STATUS(KVPS_TIMEOUT, kvps_op_status(op));
        ASSERT_MESSAGE_HAS("30 ms");
        char etag[KVPS_ETAG_MAX];
        ASSERT_STATUS(KVPS_TIMEOUT, kvps_op_etag(op, etag));
        kvps_op_free(op);
    }
    // A commit freed while pending: cancelled, its writer aborted.
    w = open_writer("c/key");
    ASSERT_OK(write_chunk(w, chunk));
    {
        async_support::BusyPool busy(g_store);
        ASSERT_OK(kvps_writer_commit_async(w, nullptr, &op));
        kvps_op_free(op);
    }
    // A read cancelled before it ran: nothing read, the reader where it was.
    ASSERT_OK(kvps_reader_open_async(g_store, "c/key", 0, KVPS_TO_END, nullptr, &op));
    ASSERT_OK(finish(op));
    kvps_reader *r = nullptr;
    ASSERT_OK(kvps_op_reader(op, &r));
    kvps_op_free(op);
    char buffer[8] = {0};
    {
        async_support::BusyPool busy(g_store);
        ASSERT_OK(kvps_reader_read_async(r, buffer, sizeof buffer, nullptr, &op));
        kvps_op_cancel(op);
        ASSERT_STATUS(KVPS_CANCELLED, kvps_op_status(op));
        size_t n = 7;
        ASSERT_STATUS(KVPS_CANCELLED, kvps_op_count(op, &n));
        assert_int_equal(n, 7);
        kvps_op_free(op);
    }
    ASSERT_OK(kvps_reader_read_async(r, buffer, sizeof buffer, nullptr, &op));
    ASSERT_OK(finish(op));
    size_t n = 0;
    ASSERT_OK(kvps_op_count(op, &n));
    kvps_op_free(op);
    assert_int_equal(n, 3);
    assert_memory_equal(buffer, "old", 3);
    kvps_reader_close(r);

    assert_string_equal(get("c/key").c_str(), "old");
    if (g_target.s3) {
        // The aborts run on the pool after the ops completed: uploads_left gives them a moment.
        if (size_t open = async_support::uploads_left(g_target, "c/key"))
            fail_msg("%zu orphan multipart upload(s) on c/key", open);
    }
    ASSERT_OK(kvps_delete(g_store, "c/key"));
}

// ---- s3: a write cancelled while its parts are in flight (on the upload's own threads, one
// at a time here) stops them too: KVPS_CANCELLED soon after, the old value kept, no upload left
void cancel_with_parts_in_flight(void **) {
    if (!g_target.s3) return;
    kvps_store *s = nullptr;
    ASSERT_OK(kvps_open((g_target.url + "&concurrency=1").c_str(), &s));
    const char *key = "c/parts";
    ASSERT_OK(kvps_put(s, key, "old", 3));
    kvps_writer *w = nullptr;
    ASSERT_OK(kvps_writer_open(s, key, &w));
    std::string big(size_t{96} << 20, 'P');  // 20 parts of 5 MiB, sent one after the other
    kvps_op *op = nullptr;
    ASSERT_OK(kvps_writer_write_async(w, big.data(), big.size(), nullptr, &op));
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    auto cancelled_at = std::chrono::steady_clock::now();
    kvps_op_cancel(op);
    kvps_status st = finish(op);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - cancelled_at)
            .count();
    kvps_op_free(op);
    std::printf(
        "[          ] a 96 MiB write cancelled with a part in flight: done %.1f ms "
        "after kvps_op_cancel\n",
        ms);
    assert_int_equal(st, KVPS_CANCELLED);
    kvps_writer_abort(w);
    assert_string_equal(get(key).c_str(), "old");
    if (size_t open = async_support::uploads_left(g_target, key))
        fail_msg("%zu orphan multipart upload(s) on %s", open, key);
    kvps_delete(s, key);
    kvps_close(s);
}

// ---- writes and commits cancelled at random instants: never torn, truthfully reported
void random_cancellations(void **) {
    std::mt19937 rng(20261201);
    const int rounds = g_target.s3 ? 40 : 300;
    const char *key = "rc/key";
    char expected = 0;  // the byte of the value in place, 0 for none
    size_t expected_size = 0;
    int committed = 0, not_committed = 0, writes_cut = 0, commits_cancelled = 0;
    for (int round = 0; round < rounds; ++round) {
        char b = static_cast<char>('A' + round % 26);
        int chunks = 2 + static_cast<int>(rng() % 6);  // s3: up to 7 MiB, over part_size
        int victim = static_cast<int>(rng() % static_cast<unsigned>(chunks + 1));  // = commit
        kvps_writer *w = open_writer(key);
        bool failed = false;
        kvps_status commit_status = KVPS_OK;
        for (int i = 0; i <= chunks; ++i) {
            kvps_op *op = nullptr;
            std::string chunk(g_chunk + static_cast<size_t>(round), b);
            if (i < chunks)
                ASSERT_OK(kvps_writer_write_async(w, chunk.data(), chunk.size(), nullptr, &op));
            else
                ASSERT_OK(kvps_writer_commit_async(w, nullptr, &op));
            if (i == victim) {
                unsigned delay = rng() % 4 == 0 ? 0 : rng() % (g_target.s3 ? 30000 : 300);
                if (delay) std::this_thread::sleep_for(std::chrono::microseconds(delay));
                kvps_op_cancel(op);
            }
            kvps_status st = finish(op);
            kvps_op_free(op);
            if (i == chunks) {
                commit_status = st;
                break;
            }
            if (st != KVPS_OK) {
                if (st != KVPS_CANCELLED)
                    fail_msg("a write failed: %s: %s", kvps_status_name(st), kvps_last_error());
                ++writes_cut;
                failed = true;
                // The writer failed: a commit says so and aborts it.
                ASSERT_OK(kvps_writer_commit_async(w, nullptr, &op));
                commit_status = finish(op);
                assert_int_equal(commit_status, KVPS_INVALID_ARGUMENT);
                kvps_op_free(op);
                break;
            }
        }
        if (commit_status == KVPS_OK) {
            expected = b;
            expected_size = static_cast<size_t>(chunks) * (g_chunk + static_cast<size_t>(round));
            ++committed;
        } else {
            if (!failed && commit_status != KVPS_CANCELLED)
                fail_msg("a commit failed: %s", kvps_status_name(commit_status));
            if (!failed) ++commits_cancelled;
            ++not_committed;
        }
        std::string now = get(key);
        if (expected == 0) {
            assert_string_equal(now.c_str(), "<missing>");
            continue;
        }
        // Whole: every byte the one of the last commit that reported KVPS_OK, and its size.
        if (now.size() != expected_size)
            fail_msg("round %d: %zu bytes in place, the last commit reported wrote %zu", round,
                     now.size(), expected_size);
        for (size_t i = 0; i < now.size(); ++i)
            if (now[i] != expected)
                fail_msg("round %d: byte %zu is %c, the last commit reported wrote %c", round, i,
                         now[i], expected);
    }
    std::printf(
        "[          ] %d rounds: %d committed, %d not (%d writes cut, %d commits "
        "cancelled)\n",
        rounds, committed, not_committed, writes_cut, commits_cancelled);
    assert_true(not_committed > 0);
    if (g_target.s3)
        if (size_t open = async_support::uploads_left(g_target, key))
            fail_msg("%zu orphan multipart upload(s) on %s", open, key);
    kvps_delete(g_store, key);
}

int setup(void **) { return kvps_open(g_target.url.c_str(), &g_store) == KVPS_OK ? 0 : -1; }
int teardown(void **) {
    kvps_close(g_store);
    g_store = nullptr;
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: async_streams_test URL|'$NAME'\n");
        return 2;
    }
    char dir[] = "/tmp/kvps-async-streams-XXXXXX";
    if (int code = async_support::resolve("kvps-async-streams", argv[1], dir, g_target))
        return code;
    if (g_target.s3) {
        g_chunk = 1u << 20;
        g_target.url += (g_target.url.find('?') == std::string::npos ? "?" : "&") +
                        std::string("part_size=5MiB");
    }
    const CMUnitTest tests[] = {
        cmocka_unit_test(write_then_read),      cmocka_unit_test(bad_arguments),
        cmocka_unit_test(cancel_before_start),  cmocka_unit_test(cancel_with_parts_in_flight),
        cmocka_unit_test(random_cancellations),
    };
    int failed = cmocka_run_group_tests_name(g_target.s3 ? "async streams s3" : argv[1], tests,
                                             setup, teardown);
    if (g_target.temp) {
        std::string rm = std::string("rm -rf ") + dir;
        if (std::system(rm.c_str()) != 0) return 1;
    }
    return failed ? 1 : 0;
}
