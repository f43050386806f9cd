// The asynchronous API (issue 22) on one store, through the public header: completion by
// callback and by queue, results and their ownership, cancellation before start and at random
// instants (no torn value, no leak; on s3:// no orphan multipart upload), deadlines, callbacks
// that start operations, closing a store with operations in flight.
//
//     async_test URL      memory://, file:// (a new temporary folder), or '$NAME' (an s3 URL
//                         from that environment variable: unset skips with 77, fails with CI=true)
//
// C++ only to look behind kvps's back on s3:// (ListMultipartUploads with the backend's client).
#include <dirent.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client.hpp"
#include "kvps.h"
#include "url.hpp"
#include "xml.hpp"

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

std::string g_url;  // the store under test
async_support::Target g_target;
std::string g_base;    // as given (s3: without this run's prefix)
std::string g_prefix;  // s3: this run's prefix
bool g_s3 = false;
kvps_store *g_store = nullptr;

// ---- values that tell a torn one: every byte is b, and the size is size_of(b)
size_t g_unit = 1024;  // bytes per step of b; s3 uses larger values so requests are cut mid-body
size_t size_of(unsigned char b) { return g_unit * (1 + b % 8) + b; }
std::string value_of(unsigned char b) { return std::string(size_of(b), static_cast<char>(b)); }
void check_whole(const void *data, size_t size, const char *key) {
    const auto *p = static_cast<const unsigned char *>(data);
    if (size == 0) fail_msg("%s: an empty value", key);
    unsigned char b = p[0];
    size_t big = (6u << 20) + b;  // rc/big on s3
    if (size != size_of(b) && size != big)
        fail_msg("%s: torn value: %zu bytes starting with %u (expected %zu)", key, size, b,
                 size_of(b));
    for (size_t i = 0; i < size; ++i)
        if (p[i] != b) fail_msg("%s: torn value: byte %zu is %u, byte 0 is %u", key, i, p[i], b);
}

// Waits until the queue's descriptor is readable (or ms pass); returns whether it is.
bool readable(kvps_queue *q, int ms) {
    pollfd p{kvps_queue_fd(q), POLLIN, 0};
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

// ---- callbacks
struct Latch {
    std::mutex mutex;
    std::condition_variable cv;
    int count = 0;
    void hit() {
        std::lock_guard lock(mutex);
        ++count;
        cv.notify_all();
    }
    void wait_for(int n) {
        std::unique_lock lock(mutex);
        if (!cv.wait_for(lock, std::chrono::seconds(60), [&] { return count >= n; }))
            fail_msg("only %d of %d callbacks came", count, n);
    }
};

void on_done(void *user, kvps_op *) { static_cast<Latch *>(user)->hit(); }

void callback_and_queue(void **) {
    Latch latch;
    kvps_async_options cb = KVPS_ASYNC_OPTIONS_INIT;
    cb.callback = on_done;
    cb.user = &latch;
    std::string v = value_of(7);
    kvps_op *put = nullptr;
    ASSERT_OK(kvps_put_async(g_store, "cq/a", v.data(), v.size(), &cb, &put));
    v.assign(v.size(), 'x');  // copied: changing the caller's buffer changes nothing
    latch.wait_for(1);
    assert_true(kvps_op_done(put));
    assert_ptr_equal(kvps_op_user(put), &latch);
    ASSERT_OK(kvps_op_status(put));
    kvps_op_free(put);

    kvps_queue *q = nullptr;
    ASSERT_OK(kvps_queue_new(&q));
    assert_true(kvps_queue_fd(q) >= 0);
    assert_false(readable(q, 0));
    kvps_async_options qo = KVPS_ASYNC_OPTIONS_INIT;
    qo.queue = q;
    kvps_op *get = nullptr, *missing = nullptr, *stat = nullptr, *list = nullptr;
    ASSERT_OK(kvps_get_async(g_store, "cq/a", &qo, &get));
    ASSERT_OK(kvps_get_async(g_store, "cq/missing", &qo, &missing));
    ASSERT_OK(kvps_stat_async(g_store, "cq/a", &qo, &stat));
    kvps_list_options lo = KVPS_LIST_OPTIONS_INIT;
    lo.prefix = "cq/";
    ASSERT_OK(kvps_list_async(g_store, &lo, &qo, &list));
    int popped = 0;
    while (popped < 4) {
        assert_true(readable(q, 60000));
        while (kvps_op *op = kvps_queue_next(q)) {
            assert_true(op == get || op == missing || op == stat || op == list);
            ++popped;
        }
    }
    assert_false(readable(q, 0));  // empty again: no longer readable
    assert_null(kvps_queue_next(q));

    void *data = nullptr;
    size_t size = 0;
    ASSERT_OK(kvps_op_value(get, &data, &size));
    check_whole(data, size, "cq/a");
    assert_int_equal(static_cast<unsigned char *>(data)[size], 0);  // NUL after, as kvps_get
    kvps_free(data);
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_value(get, &data, &size));  // handed over once
    ASSERT_MESSAGE_HAS("already taken");
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_op_status(missing));
    assert_string_equal(kvps_last_error(), "");
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_op_value(missing, &data, &size));
    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_value(stat, &data, &size));  // not a get
    ASSERT_OK(kvps_op_stat(stat, &info));
    assert_int_equal(info.size, size_of(7));
    assert_true(info.etag[0] != 0);
    kvps_list_page *page = nullptr;
    ASSERT_OK(kvps_op_page(list, &page));
    assert_int_equal(kvps_list_page_count(page), 1);
    assert_string_equal(kvps_list_page_entry(page, 0)->key, "cq/a");
    kvps_list_page_free(page);
    for (kvps_op *op : {get, missing, stat, list}) kvps_op_free(op);

    // An op freed while it waits in the queue leaves it; ops left in a freed queue stay ours.
    kvps_op *del = nullptr, *left = nullptr;
    ASSERT_OK(kvps_delete_async(g_store, "cq/a", &qo, &del));
    assert_true(kvps_op_wait(del, -1));
    assert_true(readable(q, 60000));
    kvps_op_free(del);
    assert_false(readable(q, 0));
    ASSERT_OK(kvps_get_async(g_store, "cq/a", &qo, &left));
    assert_true(kvps_op_wait(left, -1));
    kvps_queue_free(q);
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_op_status(left));
    kvps_op_free(left);
    kvps_op_free(nullptr);
    kvps_queue_free(nullptr);
}

void bad_arguments(void **) {
    kvps_op *op = reinterpret_cast<kvps_op *>(0x1);
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_get_async(g_store, "", nullptr, &op));
    ASSERT_STATUS(KVPS_INVALID_KEY, kvps_put_async(g_store, "a\nb", "x", 1, nullptr, &op));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_stat_async(nullptr, "k", nullptr, &op));
    ASSERT_MESSAGE_HAS("store");
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_delete_async(g_store, "k", nullptr, nullptr));
    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.version = 99;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_get_async(g_store, "k", &o, &op));
    ASSERT_MESSAGE_HAS("version");
    kvps_list_options lo = KVPS_LIST_OPTIONS_INIT;
    lo.version = 42;
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_list_async(g_store, &lo, nullptr, &op));
    assert_ptr_equal(op, reinterpret_cast<kvps_op *>(0x1));  // no op was made
    // A bad cursor is the store's to judge: the op completes with it.
    lo = KVPS_LIST_OPTIONS_INIT;
    lo.cursor = "garbage";
    ASSERT_OK(kvps_list_async(g_store, &lo, nullptr, &op));
    kvps_op_wait(op, -1);
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_status(op));
    kvps_op_free(op);
}

// ---- every worker busy: ops queue behind them, so cancellation before start is deterministic
void cancel_before_start_and_deadline(void **) {
    ASSERT_OK(kvps_put(g_store, "queued/k", "v", 1));
    // Every worker held in a callback until release(), which also waits until the callbacks
    // left (they run on after their ops completed: a test that returned under them crashed).
    async_support::BusyPool busy(g_store);
    Latch latch;
    kvps_async_options cb = KVPS_ASYNC_OPTIONS_INIT;
    cb.callback = on_done;
    cb.user = &latch;
    kvps_op *cancelled = nullptr, *late = nullptr, *freed = nullptr;
    // get_with runs on the pool on every backend (s3:// puts run on its I/O thread).
    ASSERT_OK(kvps_get_with_async(g_store, "queued/never", &cb, &cancelled));
    assert_false(kvps_op_done(cancelled));
    ASSERT_STATUS(KVPS_INVALID_ARGUMENT, kvps_op_status(cancelled));
    ASSERT_MESSAGE_HAS("pending");
    kvps_op_cancel(cancelled);
    assert_true(kvps_op_done(cancelled));  // at once, before kvps_op_cancel returned
    assert_int_equal(latch.count, 1);      // and its callback ran, on this thread
    ASSERT_STATUS(KVPS_CANCELLED, kvps_op_status(cancelled));
    ASSERT_MESSAGE_HAS("queued/never");
    kvps_op_cancel(cancelled);  // twice: harmless
    kvps_op_free(cancelled);

    kvps_async_options timed = KVPS_ASYNC_OPTIONS_INIT;
    timed.timeout_ms = 50;
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_OK(kvps_get_with_async(g_store, "queued/late", &timed, &late));
    assert_true(kvps_op_wait(late, 60000));
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_STATUS(KVPS_TIMEOUT, kvps_op_status(late));
    ASSERT_MESSAGE_HAS("50 ms");
    assert_true(ms >= 49);
    kvps_op_free(late);

    ASSERT_OK(kvps_get_with_async(g_store, "queued/freed", &cb, &freed));
    kvps_op_free(freed);  // pending: cancelled, its callback still runs once
    assert_int_equal(latch.count, 2);

    busy.release();
    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, "queued/never", &info));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, "queued/late", &info));
    ASSERT_STATUS(KVPS_NOT_FOUND, kvps_stat(g_store, "queued/freed", &info));
}

// ---- callbacks that start operations: a chain of puts, each started by the last one's callback
struct Chain {
    kvps_store *store;
    int left;
    std::atomic<int> failures{0};
    Latch done;
};
void next_link(void *user, kvps_op *op) {
    auto *c = static_cast<Chain *>(user);
    if (kvps_op_status(op) != KVPS_OK) c->failures++;
    kvps_op_free(op);  // an op may be freed in its own callback
    if (--c->left == 0) {
        c->done.hit();
        return;
    }
    std::string key = "chain/" + std::to_string(c->left % 10);
    std::string v = value_of(static_cast<unsigned char>(c->left));
    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.callback = next_link;
    o.user = c;
    kvps_op *next = nullptr;
    if (kvps_put_async(c->store, key.c_str(), v.data(), v.size(), &o, &next) != KVPS_OK) {
        c->failures++;
        c->done.hit();
    }
}

void callbacks_start_new_ops(void **) {
    Chain chain;
    chain.store = g_store;
    chain.left = g_s3 ? 60 : 300;
    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.callback = next_link;
    o.user = &chain;
    kvps_op *first = nullptr;
    ASSERT_OK(kvps_delete_async(g_store, "chain/none", &o, &first));
    chain.done.wait_for(1);
    assert_int_equal(chain.left, 0);
    assert_int_equal(chain.failures.load(), 0);
    for (int i = 0; i < 10; ++i) {
        void *data;
        size_t size;
        std::string key = "chain/" + std::to_string(i);
        ASSERT_OK(kvps_get(g_store, key.c_str(), &data, &size));
        check_whole(data, size, key.c_str());
        kvps_free(data);
    }
}

// ---- a store closed while its operations run: they complete normally
void close_with_ops_in_flight(void **) {
    kvps_store *s = nullptr;
    ASSERT_OK(kvps_open(g_url.c_str(), &s));
    kvps_queue *q = nullptr;
    ASSERT_OK(kvps_queue_new(&q));
    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.queue = q;
    const int n = g_s3 ? 40 : 200;
    std::vector<kvps_op *> ops;
    for (int i = 0; i < n; ++i) {
        std::string key = "closing/" + std::to_string(i % 20);
        std::string v = value_of(static_cast<unsigned char>(i));
        kvps_op *op = nullptr;
        if (i % 2)
            ASSERT_OK(kvps_get_async(s, key.c_str(), &o, &op));
        else
            ASSERT_OK(kvps_put_async(s, key.c_str(), v.data(), v.size(), &o, &op));
        ops.push_back(op);
    }
    kvps_op *list = nullptr;
    ASSERT_OK(kvps_list_async(s, nullptr, &o, &list));
    kvps_close(s);  // ops in flight keep the store alive
    int got = 0;
    while (got < n + 1) {
        assert_true(readable(q, 60000));
        while (kvps_op *op = kvps_queue_next(q)) {
            ++got;
            kvps_status st = kvps_op_status(op);
            if (st != KVPS_OK && st != KVPS_NOT_FOUND)
                fail_msg("an op after close: %s: %s", kvps_status_name(st), kvps_last_error());
            void *data;
            size_t size;
            if (op != list && kvps_op_value(op, &data, &size) == KVPS_OK) {
                check_whole(data, size, "closing/...");
                kvps_free(data);
            }
        }
    }
    kvps_list_page *page = nullptr;
    ASSERT_OK(kvps_op_page(list, &page));  // the page outlives the store as well
    kvps_list_page_free(page);
    kvps_op_free(list);
    for (kvps_op *op : ops) kvps_op_free(op);
    // The last op of a closed store, freed while still pending.
    ASSERT_OK(kvps_open(g_url.c_str(), &s));
    kvps_op *pending = nullptr;
    ASSERT_OK(kvps_get_async(s, "closing/0", nullptr, &pending));
    kvps_close(s);
    kvps_op_free(pending);
    kvps_queue_free(q);
}

// ---- 1,000 cancellations at random instants

void random_cancellations(void **) {
    std::mt19937 rng(20261201);
    const int total = 1000, in_flight = 24;
    const char *keys[] = {"rc/0", "rc/1", "rc/2", "rc/3", "rc/big"};
    kvps_queue *q = nullptr;
    ASSERT_OK(kvps_queue_new(&q));
    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.queue = q;
    int started = 0, finished = 0, pending = 0, cancelled = 0, ok = 0, timed = 0;
    std::vector<std::string> big_values;
    auto reap = [&](int wait_ms) {
        if (!readable(q, wait_ms)) return;
        while (kvps_op *op = kvps_queue_next(q)) {
            kvps_status st = kvps_op_status(op);
            if (st == KVPS_CANCELLED)
                ++cancelled;
            else if (st == KVPS_TIMEOUT)
                ++timed;
            else if (st == KVPS_OK)
                ++ok;
            else if (st != KVPS_NOT_FOUND)
                fail_msg("an op failed: %s: %s", kvps_status_name(st), kvps_last_error());
            void *data;
            size_t size;
            if (kvps_op_value(op, &data, &size) == KVPS_OK) {
                check_whole(data, size, "rc/...");
                kvps_free(data);
            }
            kvps_op_free(op);
            --pending;
            ++finished;
        }
    };
    while (started < total) {
        while (pending >= in_flight) reap(60000);
        int kind = static_cast<int>(rng() % 10);
        const char *key = keys[rng() % (g_s3 ? 5 : 4)];
        bool big = std::strcmp(key, "rc/big") == 0;
        unsigned char b = static_cast<unsigned char>(1 + rng() % 250);
        kvps_op *op = nullptr;
        if (kind < 5) {
            // rc/big on s3 is larger than part_size: a multipart write
            std::string v = big ? std::string((6u << 20) + b, static_cast<char>(b)) : value_of(b);
            if (big) {
                ASSERT_OK(kvps_put_async(g_store, key, v.data(), v.size(), &o, &op));
            } else {
                ASSERT_OK(kvps_put_async(g_store, key, v.data(), v.size(), &o, &op));
            }
        } else if (kind < 9) {
            ASSERT_OK(kvps_get_async(g_store, key, &o, &op));
        } else {
            kvps_list_options lo = KVPS_LIST_OPTIONS_INIT;
            lo.prefix = "rc/";
            ASSERT_OK(kvps_list_async(g_store, &lo, &o, &op));
        }
        ++started;
        ++pending;
        // A random instant: at once, or after up to 2 ms (s3: up to 20 ms).
        unsigned delay = rng() % 4 == 0 ? 0 : static_cast<unsigned>(rng() % (g_s3 ? 20000 : 2000));
        if (delay) std::this_thread::sleep_for(std::chrono::microseconds(delay));
        kvps_op_cancel(op);
        reap(0);
    }
    while (pending > 0) reap(60000);
    kvps_queue_free(q);
    std::printf(
        "[          ] %d ops: %d cancelled, %d completed ok, %d timed out, %d other results\n",
        finished, cancelled, ok, timed, finished - cancelled - ok - timed);
    assert_int_equal(finished, total);
    assert_true(cancelled > 0);
    for (const char *key : keys) {
        void *data;
        size_t size;
        kvps_status st = kvps_get(g_store, key, &data, &size);
        if (st == KVPS_NOT_FOUND) continue;
        ASSERT_OK(st);
        if (std::strcmp(key, "rc/big") == 0) {
            // every byte the same, and the size that byte gives
            unsigned char first = static_cast<unsigned char>(static_cast<char *>(data)[0]);
            assert_int_equal(size, (6u << 20) + first);
            for (size_t i = 0; i < size; ++i)
                if (static_cast<unsigned char *>(data)[i] != first)
                    fail_msg("rc/big is torn at %zu", i);
        } else {
            check_whole(data, size, key);
        }
        kvps_free(data);
    }
    if (g_s3)
        for (const char *key : keys) {
            auto uploads = async_support::open_uploads(g_target, key);
            if (!uploads.empty())
                fail_msg("%zu orphan multipart upload(s) on %s", uploads.size(), key);
        }
}

// ---- s3: a large GET cut in flight, and a deadline on one (figures printed, not asserted)
void s3_cut_in_flight(void **) {
    std::string v((32u << 20) + 9, 9);
    ASSERT_OK(kvps_put(g_store, "cut/big", v.data(), v.size()));
    kvps_op *op = nullptr;
    ASSERT_OK(kvps_get_async(g_store, "cut/big", nullptr, &op));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto t0 = std::chrono::steady_clock::now();
    kvps_op_cancel(op);
    assert_true(kvps_op_wait(op, 60000));
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    kvps_status st = kvps_op_status(op);
    std::printf("[          ] a 32 MiB GET cancelled 5 ms in: %s after %.1f ms\n",
                kvps_status_name(st), ms);
    assert_true(st == KVPS_CANCELLED || st == KVPS_OK);
    kvps_op_free(op);

    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.timeout_ms = 3;
    ASSERT_OK(kvps_get_async(g_store, "cut/big", &o, &op));
    assert_true(kvps_op_wait(op, 60000));
    st = kvps_op_status(op);
    std::printf("[          ] a 32 MiB GET with a 3 ms deadline: %s (%s)\n", kvps_status_name(st),
                kvps_last_error());
    assert_true(st == KVPS_TIMEOUT || st == KVPS_OK);
    kvps_op_free(op);
    ASSERT_OK(kvps_delete(g_store, "cut/big"));
}

std::string query_value(const kvps::Url &url, const std::string &name);

// ---- s3: single PUTs on the store's I/O thread (libcurl's multi interface)

// The thread a callback ran on.
struct ThreadSeen {
    Latch latch;
    std::thread::id id;
};
void note_thread(void *user, kvps_op *) {
    auto *seen = static_cast<ThreadSeen *>(user);
    seen->id = std::this_thread::get_id();
    seen->latch.hit();
}

// Runs one op through start (given options with note_thread as callback); returns the thread
// its callback ran on, and its status in *status.
template <typename Start>
std::thread::id callback_thread(Start start, kvps_op **out = nullptr) {
    ThreadSeen seen;
    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.callback = note_thread;
    o.user = &seen;
    kvps_op *op = nullptr;
    ASSERT_OK(start(&o, &op));
    seen.latch.wait_for(1);
    assert_true(kvps_op_wait(op, 60000));
    if (out)
        *out = op;
    else
        kvps_op_free(op);
    return seen.id;
}

void s3_put_async(void **) {
    std::string v = value_of(7);
    ASSERT_OK(kvps_put(g_store, "put/a", v.data(), v.size()));
    std::thread::id io = callback_thread([](kvps_async_options *o, kvps_op **op) {
        return kvps_get_async(g_store, "put/a", o, op);
    });
    // A plain put: on the same I/O thread as the GET; the value lands whole.
    std::string w = value_of(9);
    kvps_op *op = nullptr;
    std::thread::id put_thread = callback_thread(
        [&](kvps_async_options *o, kvps_op **out) {
            return kvps_put_async(g_store, "put/a", w.data(), w.size(), o, out);
        },
        &op);
    ASSERT_OK(kvps_op_status(op));
    kvps_op_free(op);
    assert_true(put_thread == io);
    void *data;
    size_t size;
    ASSERT_OK(kvps_get(g_store, "put/a", &data, &size));
    assert_int_equal(size, w.size());
    assert_memory_equal(data, w.data(), size);
    kvps_free(data);
    // put_with: content type and metadata stored, and the etag made read from the op.
    kvps_option meta[] = {{"Colour", "blue"}};
    kvps_put_options po = KVPS_PUT_OPTIONS_INIT;
    po.content_type = "text/plain";
    po.metadata = meta;
    po.metadata_count = 1;
    put_thread = callback_thread(
        [&](kvps_async_options *o, kvps_op **out) {
            return kvps_put_with_async(g_store, "put/b", "hello", 5, &po, o, out);
        },
        &op);
    ASSERT_OK(kvps_op_status(op));
    char etag[KVPS_ETAG_MAX];
    ASSERT_OK(kvps_op_etag(op, etag));
    kvps_op_free(op);
    assert_true(put_thread == io);
    kvps_stat_info info = KVPS_STAT_INIT;
    info.version = 2;
    ASSERT_OK(kvps_stat(g_store, "put/b", &info));
    assert_string_equal(info.etag, etag);
    assert_string_equal(info.content_type, "text/plain");
    assert_int_equal(info.metadata_count, 1);
    assert_int_equal(info.size, 5);
    // An empty value, too.
    ASSERT_OK(kvps_put_async(g_store, "put/empty", "", 0, nullptr, &op));
    assert_true(kvps_op_wait(op, 60000));
    ASSERT_OK(kvps_op_status(op));
    kvps_op_free(op);
    ASSERT_OK(kvps_stat(g_store, "put/empty", &info));
    assert_int_equal(info.size, 0);
    for (const char *k : {"put/a", "put/b", "put/empty"}) ASSERT_OK(kvps_delete(g_store, k));
}

void s3_put_async_conditions(void **) {
    ASSERT_OK(kvps_put(g_store, "cond/a", "old", 3));
    kvps_stat_info info = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, "cond/a", &info));
    std::thread::id io = callback_thread([](kvps_async_options *o, kvps_op **op) {
        return kvps_stat_async(g_store, "cond/a", o, op);
    });
    // The first conditional put of this store handle runs on the pool (it probes the server's
    // conditions); the next ones on the I/O thread.
    kvps_put_options create = KVPS_PUT_OPTIONS_INIT;
    create.create_only = 1;
    kvps_put_options wrong = KVPS_PUT_OPTIONS_INIT;
    wrong.if_match = "0123456789abcdef0123456789abcdef";
    kvps_put_options right = KVPS_PUT_OPTIONS_INIT;
    right.if_match = info.etag;
    kvps_op *op = nullptr;
    for (int round = 0; round < 2; ++round) {
        std::thread::id t = callback_thread(
            [&](kvps_async_options *o, kvps_op **out) {
                return kvps_put_with_async(g_store, "cond/a", "new", 3, &create, o, out);
            },
            &op);
        ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_op_status(op));
        if (!std::strstr(kvps_last_error(), "create_only"))
            fail_msg("the message does not name the condition: %s", kvps_last_error());
        kvps_op_free(op);
        if (round == 1) assert_true(t == io);
    }
    std::thread::id t = callback_thread(
        [&](kvps_async_options *o, kvps_op **out) {
            return kvps_put_with_async(g_store, "cond/a", "new", 3, &wrong, o, out);
        },
        &op);
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_op_status(op));
    kvps_op_free(op);
    assert_true(t == io);
    void *data;
    size_t size;
    ASSERT_OK(kvps_get(g_store, "cond/a", &data, &size));
    assert_int_equal(size, 3);
    assert_memory_equal(data, "old", 3);
    kvps_free(data);
    // if_match with the value's etag wins, and the op tells the new etag.
    ASSERT_OK(kvps_put_with_async(g_store, "cond/a", "new", 3, &right, nullptr, &op));
    assert_true(kvps_op_wait(op, 60000));
    ASSERT_OK(kvps_op_status(op));
    char etag[KVPS_ETAG_MAX];
    ASSERT_OK(kvps_op_etag(op, etag));
    kvps_op_free(op);
    kvps_stat_info now = KVPS_STAT_INIT;
    ASSERT_OK(kvps_stat(g_store, "cond/a", &now));
    assert_string_equal(now.etag, etag);
    assert_string_not_equal(now.etag, info.etag);
    // if_match on a missing key, create_only on a new one.
    ASSERT_OK(kvps_put_with_async(g_store, "cond/missing", "x", 1, &right, nullptr, &op));
    assert_true(kvps_op_wait(op, 60000));
    ASSERT_STATUS(KVPS_PRECONDITION_FAILED, kvps_op_status(op));
    kvps_op_free(op);
    ASSERT_OK(kvps_put_with_async(g_store, "cond/b", "x", 1, &create, nullptr, &op));
    assert_true(kvps_op_wait(op, 60000));
    ASSERT_OK(kvps_op_status(op));
    kvps_op_free(op);
    for (const char *k : {"cond/a", "cond/b"}) ASSERT_OK(kvps_delete(g_store, k));
}

// A large single PUT (below part_size) cancelled at random instants while its body goes up:
// the key then holds the old value or the new one, whole, and the status says which.
void s3_put_cancel_mid_upload(void **) {
    constexpr size_t kSize = 24u << 20;
    kvps_store *store = nullptr;
    std::string url = g_url;
    url.replace(url.find("part_size=5MiB"), 14, "part_size=64MiB");
    ASSERT_OK(kvps_open(url.c_str(), &store));
    auto value = [](unsigned char b) { return std::string(kSize + b, static_cast<char>(b)); };
    unsigned char current = 1;
    std::string v = value(current);
    ASSERT_OK(kvps_put(store, "cancel/big", v.data(), v.size()));
    std::mt19937 rng(22);
    int cancelled = 0, completed = 0;
    double worst_ms = 0;
    for (int round = 0; round < 12; ++round) {
        unsigned char b = static_cast<unsigned char>(2 + round);
        std::string w = value(b);
        kvps_op *op = nullptr;
        ASSERT_OK(kvps_put_async(store, "cancel/big", w.data(), w.size(), nullptr, &op));
        unsigned delay_us = round == 0 ? 0 : static_cast<unsigned>(rng() % 60000);
        std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
        auto t0 = std::chrono::steady_clock::now();
        kvps_op_cancel(op);
        assert_true(kvps_op_wait(op, 60000));
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count();
        kvps_status st = kvps_op_status(op);
        std::printf("[          ] a %zu MiB PUT cancelled %.1f ms in: %s after %.1f ms (%s)\n",
                    kSize >> 20, delay_us / 1000.0, kvps_status_name(st), ms, kvps_last_error());
        if (st == KVPS_CANCELLED) {
            ++cancelled;
            worst_ms = std::max(worst_ms, ms);
        } else if (st == KVPS_OK) {
            ++completed;
            current = b;
        } else {
            fail_msg("a cancelled PUT ended %s: %s", kvps_status_name(st), kvps_last_error());
        }
        kvps_op_free(op);
        void *data;
        size_t size;
        ASSERT_OK(kvps_get(store, "cancel/big", &data, &size));
        const auto *p = static_cast<const unsigned char *>(data);
        if (size != kSize + current || p[0] != current || p[size - 1] != current ||
            std::memchr(data, 0, size) != nullptr ||
            std::count(p, p + size, current) != static_cast<long>(size))
            fail_msg("round %d: the key holds %zu bytes starting with %u; expected value %u whole",
                     round, size, p[0], current);
        kvps_free(data);
    }
    std::printf("[          ] %d cancelled (worst %.1f ms after kvps_op_cancel), %d completed\n",
                cancelled, worst_ms, completed);
    assert_true(cancelled > 0);
    ASSERT_OK(kvps_delete(store, "cancel/big"));
    kvps_close(store);
}

// Credentials that must be refreshed before a request are refreshed off the I/O thread: while
// the refresh hangs, the store's I/O thread still cancels an op at once; once it ends, the
// waiting op goes on.
void s3_credentials_refresh_off_io_thread(void **) {
    kvps::Url url = kvps::parse_url(g_base);
    std::string id = query_value(url, "access_key_id"),
                secret = query_value(url, "secret_access_key");
    char dir[] = "/tmp/kvps-async-creds-XXXXXX";
    assert_non_null(mkdtemp(dir));
    std::string d = dir, gate = d + "/gate", calls = d + "/calls";
    // The process answers once the gate file exists, with keys that expire in 30 s: inside the
    // last minute, so every request must wait for fresh ones.
    FILE *f = std::fopen((d + "/creds.sh").c_str(), "w");
    assert_non_null(f);
    std::fprintf(
        f,
        "while [ ! -f %s ]; do sleep 0.05; done\necho x >> %s\n"
        "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\", "
        "\"Expiration\": \"%%s\"}\\n' $(date -u -d '+30 seconds' +%%Y-%%m-%%dT%%H:%%M:%%SZ)\n",
        gate.c_str(), calls.c_str(), id.c_str(), secret.c_str());
    std::fclose(f);
    f = std::fopen((d + "/config").c_str(), "w");
    assert_non_null(f);
    std::fprintf(f, "[profile kvpsasync]\ncredential_process = sh %s/creds.sh\n", d.c_str());
    std::fclose(f);
    setenv("AWS_CONFIG_FILE", (d + "/config").c_str(), 1);
    std::string bare =
        "s3://" + url.host + "/" + g_prefix + "?endpoint=" + query_value(url, "endpoint") +
        "&region=" + query_value(url, "region") + "&path_style=true&profile=kvpsasync";
    ASSERT_OK(kvps_put(g_store, "creds/a", "value", 5));
    auto touch = [&] { std::fclose(std::fopen(gate.c_str(), "w")); };
    touch();
    kvps_store *store = nullptr;
    ASSERT_OK(kvps_open(bare.c_str(), &store));  // the process ran once, at open
    std::remove(gate.c_str());
    kvps_op *waiting = nullptr, *cancelled = nullptr;
    ASSERT_OK(kvps_get_async(store, "creds/a", nullptr, &waiting));
    ASSERT_OK(kvps_get_async(store, "creds/a", nullptr, &cancelled));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    assert_false(kvps_op_done(waiting));
    kvps_op_cancel(cancelled);
    // A blocked I/O thread would not see the cancellation before the gate opens.
    bool stopped = kvps_op_wait(cancelled, 20000);
    touch();
    assert_true(stopped);
    ASSERT_STATUS(KVPS_CANCELLED, kvps_op_status(cancelled));
    assert_true(kvps_op_wait(waiting, 60000));
    ASSERT_OK(kvps_op_status(waiting));
    void *data;
    size_t size;
    ASSERT_OK(kvps_op_value(waiting, &data, &size));
    assert_int_equal(size, 5);
    assert_memory_equal(data, "value", 5);
    kvps_free(data);
    kvps_op_free(waiting);
    kvps_op_free(cancelled);
    kvps_close(store);

    // Credentials the server refuses as expired are renewed off the I/O thread too: the process
    // first hands out keys MinIO does not know (with a session token, as temporary ones come),
    // then good ones; the asynchronous GET renews once and succeeds.
    f = std::fopen((d + "/creds.sh").c_str(), "w");
    assert_non_null(f);
    std::fprintf(f,
                 "echo x >> %s\nif [ $(wc -l < %s) -eq 1 ]; then\n"
                 "echo '{\"Version\": 1, \"AccessKeyId\": \"KVPSSTALEKEY000000\", "
                 "\"SecretAccessKey\": \"stale-secret\", \"SessionToken\": \"stale-token\"}'\n"
                 "else echo '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": "
                 "\"%s\"}'; fi\n",
                 (d + "/renewals").c_str(), (d + "/renewals").c_str(), id.c_str(), secret.c_str());
    std::fclose(f);
    ASSERT_OK(kvps_open((bare + "&max_attempts=1").c_str(), &store));
    ASSERT_OK(kvps_get_async(store, "creds/a", nullptr, &waiting));
    assert_true(kvps_op_wait(waiting, 60000));
    if (kvps_op_status(waiting) == KVPS_PERMISSION_DENIED &&
        std::strstr(kvps_last_error(), "InvalidToken")) {
        // versitygw calls an unknown session token malformed, not expired: no renewal (as in
        // the blocking path).
        std::printf("[          ] the server answers InvalidToken: renewal not exercised\n");
        std::remove((d + "/renewals").c_str());
        FILE *again = std::fopen((d + "/renewals").c_str(), "w");
        std::fputs("x\nx\n", again);
        std::fclose(again);
    } else {
        ASSERT_OK(kvps_op_status(waiting));
    }
    kvps_op_free(waiting);
    kvps_close(store);
    FILE *r = std::fopen((d + "/renewals").c_str(), "r");
    assert_non_null(r);
    int lines = 0;
    for (int c; (c = std::fgetc(r)) != EOF;) lines += c == '\n';
    std::fclose(r);
    assert_int_equal(lines, 2);
    unsetenv("AWS_CONFIG_FILE");
    ASSERT_OK(kvps_delete(g_store, "creds/a"));
    std::string rm = "rm -rf " + d;
    assert_int_equal(std::system(rm.c_str()), 0);
}

// ---- s3: 10,000 concurrent small GETs from this one thread run on the store's I/O thread
// (libcurl's multi interface), with a bounded number of threads and connections.

// This process's threads.
int thread_count() {
    int n = 0;
    if (DIR *d = opendir("/proc/self/task")) {
        while (dirent *e = readdir(d))
            if (e->d_name[0] != '.') ++n;
        closedir(d);
    }
    return n;
}

// This process's live TCP connections to `port` (ESTABLISHED sockets of our descriptors, in
// /proc/net/tcp*), less those in `before` (inodes): with `seen`, the inodes counted are added
// to it. A socket the server closed and libcurl has not reaped yet (CLOSE_WAIT) is not a
// connection.
int connections_to(unsigned port, const std::vector<unsigned long> *before = nullptr,
                   std::vector<unsigned long> *seen = nullptr) {
    std::vector<unsigned long> inodes;
    if (DIR *d = opendir("/proc/self/fd")) {
        while (dirent *e = readdir(d)) {
            char path[300], target[64];
            std::snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
            ssize_t n = readlink(path, target, sizeof target - 1);
            if (n <= 0) continue;
            target[n] = 0;
            unsigned long inode = 0;
            if (std::sscanf(target, "socket:[%lu]", &inode) == 1) inodes.push_back(inode);
        }
        closedir(d);
    }
    int count = 0;
    for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        FILE *f = std::fopen(table, "r");
        if (!f) continue;
        char line[512];
        if (!std::fgets(line, sizeof line, f)) {  // the header line
            std::fclose(f);
            continue;
        }
        while (std::fgets(line, sizeof line, f)) {
            char local[64], remote[64];
            unsigned state = 0;
            unsigned long inode = 0;
            if (std::sscanf(line, "%*d: %63s %63s %x %*s %*s %*s %*s %*s %lu", local, remote,
                            &state, &inode) != 4)
                continue;
            const char *colon = std::strrchr(remote, ':');
            if (!colon || std::strtoul(colon + 1, nullptr, 16) != port) continue;
            if (state != 0x01) continue;  // not ESTABLISHED
            if (before && std::find(before->begin(), before->end(), inode) != before->end())
                continue;
            for (unsigned long i : inodes)
                if (i == inode) {
                    ++count;
                    if (seen) seen->push_back(inode);
                }
        }
        std::fclose(f);
    }
    return count;
}

void s3_ten_thousand_gets(void **) {
    constexpr int kKeys = 100, kGets = 10000;
    constexpr unsigned kMaxConnections = 8;
    std::string endpoint = query_value(kvps::parse_url(g_base), "endpoint");
    unsigned port = static_cast<unsigned>(std::atoi(endpoint.c_str() + endpoint.rfind(':') + 1));
    assert_true(port > 0);
    for (int i = 0; i < kKeys; ++i) {
        std::string key = "many/" + std::to_string(i), value = "value " + std::to_string(i * 7);
        ASSERT_OK(kvps_put(g_store, key.c_str(), value.data(), value.size()));
    }
    kvps_store *store = nullptr;
    std::string url = g_url + "&max_connections=" + std::to_string(kMaxConnections);
    ASSERT_OK(kvps_open(url.c_str(), &store));
    kvps_queue *queue = nullptr;
    ASSERT_OK(kvps_queue_new(&queue));
    // The new store's connections: those open before (the main store's) are left out.
    std::vector<unsigned long> before;
    int threads_before = thread_count(),
        connections_before = connections_to(port, nullptr, &before);
    int peak_threads = threads_before, peak_connections = 0;
    auto sample = [&] {
        peak_threads = std::max(peak_threads, thread_count());
        peak_connections = std::max(peak_connections, connections_to(port, &before));
    };
    kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
    o.queue = queue;
    for (int i = 0; i < kGets; ++i) {
        std::string key = "many/" + std::to_string(i % kKeys);
        o.user = reinterpret_cast<void *>(static_cast<intptr_t>(i % kKeys));
        kvps_op *op = nullptr;
        ASSERT_OK(kvps_get_async(store, key.c_str(), &o, &op));
        if (i % 1000 == 0) sample();
    }
    int done = 0, ok = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (done < kGets && std::chrono::steady_clock::now() < deadline) {
        readable(queue, 100);
        while (kvps_op *op = kvps_queue_next(queue)) {
            ++done;
            int i = static_cast<int>(reinterpret_cast<intptr_t>(kvps_op_user(op)));
            void *data = nullptr;
            size_t size = 0;
            kvps_status st = kvps_op_value(op, &data, &size);
            std::string expected = "value " + std::to_string(i * 7);
            if (st == KVPS_OK && size == expected.size() &&
                !std::memcmp(data, expected.data(), size))
                ++ok;
            else if (ok + 10 > done)
                std::printf("[          ] get many/%d: %s %s\n", i, kvps_status_name(st),
                            kvps_last_error());
            kvps_free(data);
            kvps_op_free(op);
            if (done % 500 == 0) sample();
        }
    }
    sample();
    std::printf(
        "[          ] %d GETs: %d right; threads %d -> peak %d; the new store's connections "
        "to the server: peak %d (max_connections %u; %d of the main store's before)\n",
        kGets, ok, threads_before, peak_threads, peak_connections, kMaxConnections,
        connections_before);
    assert_int_equal(done, kGets);
    assert_int_equal(ok, kGets);
    // One I/O thread for the new store; no worker per operation.
    assert_true(peak_threads <= threads_before + 2);
    assert_true(peak_connections <= static_cast<int>(kMaxConnections));
    kvps_queue_free(queue);
    kvps_close(store);
    for (int i = 0; i < kKeys; ++i)
        ASSERT_OK(kvps_delete(g_store, ("many/" + std::to_string(i)).c_str()));
}

// ---- s3 helpers
std::string query_value(const kvps::Url &url, const std::string &name) {
    for (const auto &[n, v] : url.query)
        if (n == name) return v;
    return "";
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
        std::fprintf(stderr, "usage: async_test URL|'$NAME'\n");
        return 2;
    }
    char dir[] = "/tmp/kvps-async-XXXXXX";
    if (int code = async_support::resolve("kvps-async-test", argv[1], dir, g_target)) return code;
    g_url = g_target.url;
    g_s3 = g_target.s3;
    g_base = g_target.base;
    g_prefix = g_target.prefix;
    if (g_s3) {
        g_unit = 16 * 1024;
        g_url += (g_url.find('?') == std::string::npos ? "?" : "&") + std::string("part_size=5MiB");
    }
    const CMUnitTest tests[] = {
        cmocka_unit_test(callback_and_queue),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(cancel_before_start_and_deadline),
        cmocka_unit_test(callbacks_start_new_ops),
        cmocka_unit_test(close_with_ops_in_flight),
        cmocka_unit_test(random_cancellations),
    };
    const CMUnitTest s3_tests[] = {cmocka_unit_test(s3_cut_in_flight),
                                   cmocka_unit_test(s3_ten_thousand_gets),
                                   cmocka_unit_test(s3_put_async),
                                   cmocka_unit_test(s3_put_async_conditions),
                                   cmocka_unit_test(s3_put_cancel_mid_upload),
                                   cmocka_unit_test(s3_credentials_refresh_off_io_thread)};
    int failed = cmocka_run_group_tests_name(g_s3 ? "async s3" : argv[1], tests, setup, teardown);
    if (g_s3) failed += cmocka_run_group_tests_name("async s3 only", s3_tests, setup, teardown);
    if (g_target.temp) {
        std::string rm = std::string("rm -rf ") + dir;
        if (std::system(rm.c_str()) != 0) return 1;
    }
    return failed ? 1 : 0;
}
