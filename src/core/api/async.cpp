// The C API, section Asynchronous operations. Each operation is its blocking call, run on the
// library's pool (async/pool.hpp) with the op's cancellation flag in reach of the HTTP layer
// (spi/cancel.hpp); a deadline is a cancellation the timer thread makes.
#include "api/shim.hpp"
#include "api/async_op.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>

#include "async/pool.hpp"
#include "keys.hpp"
#include "spi/checksum.hpp"

using namespace kvps::shim;

struct kvps_queue {
    std::atomic<size_t> refs{1};  // the caller's, and one per op that names the queue
    int fd = -1;
    std::mutex mutex;
    std::deque<kvps_op *> ready;  // completed ops, not owned
    bool closed = false;          // kvps_queue_free was called
    ~kvps_queue() {
        if (fd >= 0) ::close(fd);
    }
};

namespace {

void release_queue(kvps_queue *queue) noexcept {
    if (queue->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete queue;
}

enum class Kind { value, stat, page, none };
enum class State { queued, running, done };

}  // namespace

struct kvps_op {
    std::atomic<size_t> refs{1};  // the caller's, the pool job's, the armed deadline's
    kvps::shim::StoreRef store;
    kvps_store *raw_store;
    const char *name;  // the blocking call's log name, for messages
    std::string key;
    Kind kind = Kind::none;
    std::function<kvps_status(kvps_op &)> run;  // the blocking call, on a worker
    kvps_op_fn callback = nullptr;
    void *user = nullptr;
    kvps_queue *queue = nullptr;
    uint64_t timeout_ms = 0;
    std::atomic<int> cancel{0};  // 0, or KVPS_CANCELLED / KVPS_TIMEOUT: the first reason wins

    std::mutex mutex;  // guards what follows, up to the queue's part
    std::condition_variable finished;
    State state = State::queued;
    kvps::async::TimerId timer = 0;
    kvps_status status = KVPS_OK;
    std::string message;
    void *data = nullptr;  // a get's value until taken
    size_t size = 0;
    bool taken = false;
    kvps_stat_info info = KVPS_STAT_INIT;
    kvps_list_page *page = nullptr;
    // Set while the backend runs the op itself (Backend::start), not the pool.
    std::shared_ptr<kvps::AsyncOperation> backend_op;

    // Guarded by queue->mutex.
    bool freed = false, in_queue = false;

    // Inputs of the blocking call.
    std::string payload;
    uint64_t offset = 0, length = 0;
    std::optional<std::string> prefix, cursor, start_after, delimiter;
    size_t page_size = 0;

    // Operations of async_more.cpp (api/async_op.hpp): their own inputs and results, and
    // whether kvps_op_stat answers a value op too (kvps_get_with_async).
    std::shared_ptr<kvps::shim::OpExtra> extra;
    bool stat_too = false;

    explicit kvps_op(kvps_store *s) : store(s), raw_store(s) {}
    ~kvps_op() {
        kvps_free(data);
        kvps_list_page_free(page);
        if (queue) release_queue(queue);
    }
};

namespace {

void unref(kvps_op *op) noexcept {
    if (op->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete op;
}

// A counted reference, copyable so it fits in a std::function.
class OpRef {
public:
    explicit OpRef(kvps_op *op) noexcept : op_(op) {
        op_->refs.fetch_add(1, std::memory_order_relaxed);
    }
    OpRef(const OpRef &other) noexcept : OpRef(other.op_) {}
    OpRef &operator=(const OpRef &) = delete;
    ~OpRef() { unref(op_); }
    kvps_op *get() const noexcept { return op_; }

private:
    kvps_op *op_;
};

void wake(int fd) noexcept {
    uint64_t one = 1;
    while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void drain(int fd) noexcept {
    uint64_t count;
    while (::read(fd, &count, sizeof count) < 0 && errno == EINTR) {
    }
}

// Fixes op's result and tells whoever waits. The caller holds a reference.
void complete(kvps_op *op, kvps_status status, std::string message) noexcept {
    kvps::async::TimerId timer;
    {
        std::lock_guard lock(op->mutex);
        op->status = status;
        op->message = std::move(message);
        op->state = State::done;
        timer = op->timer;
    }
    op->finished.notify_all();
    if (timer) kvps::async::disarm(timer);
    if (kvps_queue *q = op->queue) {
        std::lock_guard lock(q->mutex);
        if (!op->freed && !q->closed) {
            try {
                q->ready.push_back(op);
                op->in_queue = true;
                if (q->ready.size() == 1) wake(q->fd);
            } catch (...) {  // no memory for the entry: the op is done, its waiters were told
            }
        }
    }
    if (op->callback) op->callback(op->user, op);
}

std::string stopped_message(const kvps_op *op, int reason, const std::string &when) {
    std::string what = std::string(op->name) + (op->key.empty() ? "" : " " + kvps::quote(op->key));
    if (reason == KVPS_TIMEOUT)
        return what + ": its deadline of " + std::to_string(op->timeout_ms) + " ms passed " + when;
    return what + ": cancelled " + when;
}

// Asks op to stop for `reason`; completes it here when it has not started.
void cancel(kvps_op *op, int reason) noexcept {
    int none = 0;
    op->cancel.compare_exchange_strong(none, reason, std::memory_order_acq_rel);
    {
        std::unique_lock lock(op->mutex);
        if (op->state == State::running && op->backend_op) {
            std::shared_ptr<kvps::AsyncOperation> running = op->backend_op;
            lock.unlock();
            running->cancel();
            return;
        }
        if (op->state != State::queued) return;
        op->state = State::running;  // claimed: the worker will skip it
    }
    int first = op->cancel.load(std::memory_order_acquire);
    std::string message;
    try {
        message = stopped_message(op, first, "before it started");
    } catch (...) {
    }
    OpRef hold(op);
    if (op->extra) op->extra->not_run();
    complete(op, static_cast<kvps_status>(first), std::move(message));
}

void run(kvps_op *op) noexcept {
    {
        std::lock_guard lock(op->mutex);
        if (op->state != State::queued) return;  // cancelled before it started
        op->state = State::running;
    }
    kvps_status status;
    std::string message;
    try {
        kvps::async::CancelScope scope(&op->cancel);
        status = op->run(*op);
        message = kvps_last_error();
        if (status == KVPS_CANCELLED &&
            op->cancel.load(std::memory_order_acquire) == KVPS_TIMEOUT) {
            status = KVPS_TIMEOUT;
            message = stopped_message(op, KVPS_TIMEOUT, "while it ran (" + message + ")");
        }
    } catch (...) {
        status = KVPS_NO_MEMORY;
        message = "out of memory";
    }
    complete(op, status, std::move(message));
}

// The outcome of an op the backend ran itself, turned into what the blocking call gives.
void finish_on_backend(kvps_op *op, kvps::AsyncResult result) noexcept {
    kvps_status status = result.status;
    std::string message = std::move(result.message);
    try {
        if (status == KVPS_CANCELLED &&
            op->cancel.load(std::memory_order_acquire) == KVPS_TIMEOUT) {
            status = KVPS_TIMEOUT;
            message = stopped_message(op, KVPS_TIMEOUT, "while it ran (" + message + ")");
        } else if (status == KVPS_OK && result.value) {
            kvps::Bytes &value = *result.value;
            if (result.crc32c && op->store->verify_checksums)
                kvps::check_crc32c(op->key, *result.crc32c,
                                   kvps::crc32c(value.data(), value.size()));
            op->size = value.size();
            op->data = value.release();
        } else if (status == KVPS_OK && result.meta) {
            fill_stat(*result.meta, &op->info);
        } else if (status == KVPS_OK && op->extra) {
            op->extra->backend_done(result);
        }
    } catch (const kvps::Error &e) {
        status = e.status();
        message = e.message();
    } catch (...) {
        status = KVPS_NO_MEMORY;
        message = "out of memory";
    }
    complete(op, status, std::move(message));
}

// Hands op to its backend's own asynchronous path when it has one for this operation
// (Backend::start); false leaves it for the pool.
bool start_on_backend(kvps_op *op) {
    // The backend may complete the op on its own thread before start() returns, and a
    // completion callback may free the caller's handle: this reference keeps op alive here.
    OpRef keep(op);
    kvps::AsyncRequest request;
    std::string_view name = op->name;
    request.key = op->key;
    if (name == "get" || (name == "get_range" && op->offset == 0 && op->length == KVPS_TO_END)) {
        request.kind = kvps::AsyncKind::get;
    } else if (name == "get_range") {
        request.kind = kvps::AsyncKind::get_range;
        request.offset = op->offset;
        request.length = op->length;
    } else if (name == "stat") {
        request.kind = kvps::AsyncKind::stat;
    } else if (name == "delete") {
        request.kind = kvps::AsyncKind::remove;
    } else if (name == "put") {
        request.kind = kvps::AsyncKind::put;
        request.data = op->payload.data();
        request.size = op->payload.size();
    } else if (!op->extra || !op->extra->backend_request(request)) {
        return false;
    }
    {
        std::lock_guard lock(op->mutex);
        if (op->state != State::queued) return true;  // cancelled already
        op->state = State::running;
    }
    std::shared_ptr<kvps::AsyncOperation> handle;
    try {
        handle = op->store->backend->start(request, [ref = OpRef(op)](kvps::AsyncResult result) {
            finish_on_backend(ref.get(), std::move(result));
        });
    } catch (...) {  // refused at once (a key the backend cannot hold, say): the op's outcome
        std::string message;
        kvps_status status = kvps::record_failure(message);
        complete(op, status, std::move(message));
        return true;
    }
    if (!handle) {
        {
            std::lock_guard lock(op->mutex);
            op->state = State::queued;
        }
        // A cancel() that came meanwhile found it running: it completes it now.
        if (int reason = op->cancel.load(std::memory_order_acquire)) cancel(op, reason);
        return false;
    }
    {
        std::lock_guard lock(op->mutex);
        if (op->state == State::done) return true;
        op->backend_op = handle;
    }
    if (op->cancel.load(std::memory_order_acquire)) handle->cancel();
    return true;
}

const kvps_async_options kDefaults = KVPS_ASYNC_OPTIONS_INIT;

// Makes the op, arms its deadline and queues it; run is its blocking call.
kvps_status start(kvps_store *store, const char *name, const char *key,
                  const kvps_async_options *options, kvps_op **out, Kind kind,
                  std::function<kvps_status(kvps_op &)> run_call,
                  const std::function<void(kvps_op &)> &fill = nullptr) {
    require(store, "store");
    require(out, "op");
    std::string_view k = key ? kvps::check_key(key) : std::string_view();
    if (!options) options = &kDefaults;
    if (options->version != KVPS_ASYNC_OPTIONS_VERSION)
        kvps::fail(KVPS_INVALID_ARGUMENT,
                   "kvps_async_options.version is " + std::to_string(options->version) +
                       "; this library knows " + std::to_string(KVPS_ASYNC_OPTIONS_VERSION) +
                       " (use KVPS_ASYNC_OPTIONS_INIT)");
    auto op = std::make_unique<kvps_op>(store);
    op->name = name;
    op->key = k;
    op->kind = kind;
    op->run = std::move(run_call);
    op->callback = options->callback;
    op->user = options->user;
    op->timeout_ms = options->timeout_ms;
    if (fill) fill(*op);
    if (options->queue) {
        op->queue = options->queue;
        op->queue->refs.fetch_add(1, std::memory_order_relaxed);
    }
    kvps_op *raw = op.release();
    try {
        if (raw->timeout_ms) {
            auto when =
                std::chrono::steady_clock::now() +
                std::chrono::milliseconds(std::min<uint64_t>(raw->timeout_ms, uint64_t{1} << 40));
            std::lock_guard lock(raw->mutex);
            raw->timer =
                kvps::async::arm(when, [ref = OpRef(raw)] { cancel(ref.get(), KVPS_TIMEOUT); });
        }
        if (!start_on_backend(raw)) kvps::async::submit([ref = OpRef(raw)] { run(ref.get()); });
    } catch (...) {
        kvps::async::TimerId timer;
        {
            std::lock_guard lock(raw->mutex);
            timer = raw->timer;
            raw->state = State::done;
        }
        if (timer) kvps::async::disarm(timer);
        unref(raw);
        throw;
    }
    *out = raw;
    return KVPS_OK;
}

// The checks every result accessor shares; returns with op->mutex held by `lock`.
void check_done(kvps_op *op, Kind kind, const char *what) {
    if (op->state != State::done)
        kvps::fail(KVPS_INVALID_ARGUMENT,
                   std::string(op->name) + " " + kvps::quote(op->key) + " is still pending");
    if (op->kind != kind && !(kind == Kind::stat && op->stat_too))
        kvps::fail(KVPS_INVALID_ARGUMENT,
                   std::string("this op is a ") + op->name + ", which has no " + what);
}

}  // namespace

extern "C" {

KVPS_API kvps_status kvps_get_async(kvps_store *store, const char *key,
                                    const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        require(key, "key");
        return start(store, "get", key, options, op, Kind::value, [](kvps_op &o) {
            return kvps_get(o.raw_store, o.key.c_str(), &o.data, &o.size);
        });
    });
}

KVPS_API kvps_status kvps_get_range_async(kvps_store *store, const char *key, uint64_t offset,
                                          uint64_t length, const kvps_async_options *options,
                                          kvps_op **op) {
    return guard([&] {
        require(key, "key");
        return start(
            store, "get_range", key, options, op, Kind::value,
            [](kvps_op &o) {
                return kvps_get_range(o.raw_store, o.key.c_str(), o.offset, o.length, &o.data,
                                      &o.size);
            },
            [&](kvps_op &o) {
                o.offset = offset;
                o.length = length;
            });
    });
}

KVPS_API kvps_status kvps_put_async(kvps_store *store, const char *key, const void *data,
                                    size_t size, const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        require(key, "key");
        if (size) require(data, "data");
        return start(
            store, "put", key, options, op, Kind::none,
            [](kvps_op &o) {
                return kvps_put(o.raw_store, o.key.c_str(), o.payload.data(), o.payload.size());
            },
            [&](kvps_op &o) {
                if (size) o.payload.assign(static_cast<const char *>(data), size);
            });
    });
}

KVPS_API kvps_status kvps_stat_async(kvps_store *store, const char *key,
                                     const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        require(key, "key");
        return start(store, "stat", key, options, op, Kind::stat,
                     [](kvps_op &o) { return kvps_stat(o.raw_store, o.key.c_str(), &o.info); });
    });
}

KVPS_API kvps_status kvps_delete_async(kvps_store *store, const char *key,
                                       const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        require(key, "key");
        return start(store, "delete", key, options, op, Kind::none,
                     [](kvps_op &o) { return kvps_delete(o.raw_store, o.key.c_str()); });
    });
}

KVPS_API kvps_status kvps_list_async(kvps_store *store, const kvps_list_options *list_options,
                                     const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        if (list_options && list_options->version != KVPS_LIST_OPTIONS_VERSION)
            kvps::fail(KVPS_INVALID_ARGUMENT,
                       "kvps_list_options.version is " + std::to_string(list_options->version) +
                           "; this library knows " + std::to_string(KVPS_LIST_OPTIONS_VERSION));
        auto keep = [](const char *text) {
            return text ? std::optional<std::string>(text) : std::nullopt;
        };
        return start(
            store, "list", nullptr, options, op, Kind::page,
            [](kvps_op &o) {
                kvps_list_options l = KVPS_LIST_OPTIONS_INIT;
                auto view = [](const std::optional<std::string> &s) {
                    return s ? s->c_str() : nullptr;
                };
                l.prefix = view(o.prefix);
                l.cursor = view(o.cursor);
                l.start_after = view(o.start_after);
                l.delimiter = view(o.delimiter);
                l.page_size = o.page_size;
                return kvps_list_with(o.raw_store, &l, &o.page);
            },
            [&](kvps_op &o) {
                if (!list_options) return;
                o.prefix = keep(list_options->prefix);
                o.cursor = keep(list_options->cursor);
                o.start_after = keep(list_options->start_after);
                o.delimiter = keep(list_options->delimiter);
                o.page_size = list_options->page_size;
            });
    });
}

KVPS_API int kvps_op_done(const kvps_op *op) {
    if (!op) return 0;
    std::lock_guard lock(const_cast<kvps_op *>(op)->mutex);
    return op->state == State::done;
}

KVPS_API int kvps_op_wait(kvps_op *op, int64_t timeout_ms) {
    if (!op) return 0;
    std::unique_lock lock(op->mutex);
    auto done = [&] { return op->state == State::done; };
    if (timeout_ms < 0) {
        op->finished.wait(lock, done);
        return 1;
    }
    return op->finished.wait_for(lock, std::chrono::milliseconds(timeout_ms), done);
}

KVPS_API kvps_status kvps_op_status(kvps_op *op) {
    return guard([&] {
        require(op, "op");
        std::lock_guard lock(op->mutex);
        check_done(op, op->kind, "");
        set_error(op->message);
        return op->status;
    });
}

KVPS_API kvps_status kvps_op_value(kvps_op *op, void **data, size_t *size) {
    return guard([&] {
        require(op, "op");
        require(data, "data");
        require(size, "size");
        std::lock_guard lock(op->mutex);
        check_done(op, Kind::value, "value");
        if (op->status != KVPS_OK) {
            set_error(op->message);
            return op->status;
        }
        if (op->taken)
            kvps::fail(KVPS_INVALID_ARGUMENT, "the value of " + std::string(op->name) + " " +
                                                  kvps::quote(op->key) + " was already taken");
        *data = op->data;
        *size = op->size;
        op->data = nullptr;
        op->taken = true;
        return KVPS_OK;
    });
}

KVPS_API kvps_status kvps_op_stat(kvps_op *op, kvps_stat_info *out) {
    return guard([&] {
        require(op, "op");
        require(out, "out");
        check_stat_version(out);
        std::lock_guard lock(op->mutex);
        check_done(op, Kind::stat, "stat info");
        if (op->status != KVPS_OK) {
            set_error(op->message);
            return op->status;
        }
        out->size = op->info.size;
        out->mtime_ns = op->info.mtime_ns;
        std::memcpy(out->etag, op->info.etag, sizeof out->etag);
        if (out->version >= 2) {
            std::memcpy(out->content_type, op->info.content_type, sizeof out->content_type);
            out->metadata_count = op->info.metadata_count;
            std::memcpy(out->metadata, op->info.metadata, sizeof out->metadata);
        }
        return KVPS_OK;
    });
}

KVPS_API kvps_status kvps_op_page(kvps_op *op, kvps_list_page **out) {
    return guard([&] {
        require(op, "op");
        require(out, "out");
        std::lock_guard lock(op->mutex);
        check_done(op, Kind::page, "page");
        if (op->status != KVPS_OK) {
            set_error(op->message);
            return op->status;
        }
        if (!op->page) kvps::fail(KVPS_INVALID_ARGUMENT, "the page of this list was already taken");
        *out = op->page;
        op->page = nullptr;
        return KVPS_OK;
    });
}

KVPS_API void *kvps_op_user(const kvps_op *op) { return op ? op->user : nullptr; }

KVPS_API void kvps_op_cancel(kvps_op *op) {
    if (op) cancel(op, KVPS_CANCELLED);
}

KVPS_API void kvps_op_free(kvps_op *op) {
    if (!op) return;
    if (kvps_queue *q = op->queue) {
        std::lock_guard lock(q->mutex);
        op->freed = true;
        if (op->in_queue) {
            std::erase(q->ready, op);
            op->in_queue = false;
            if (q->ready.empty()) drain(q->fd);
        }
    }
    cancel(op, KVPS_CANCELLED);
    unref(op);
}

KVPS_API kvps_status kvps_queue_new(kvps_queue **out) {
    return guard([&] {
        require(out, "out");
        auto queue = std::make_unique<kvps_queue>();
        queue->fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (queue->fd < 0) kvps::fail_errno(errno, "kvps_queue_new: eventfd");
        *out = queue.release();
        return KVPS_OK;
    });
}

KVPS_API int kvps_queue_fd(const kvps_queue *queue) { return queue ? queue->fd : -1; }

KVPS_API kvps_op *kvps_queue_next(kvps_queue *queue) {
    if (!queue) return nullptr;
    std::lock_guard lock(queue->mutex);
    if (queue->ready.empty()) return nullptr;
    kvps_op *op = queue->ready.front();
    queue->ready.pop_front();
    op->in_queue = false;
    if (queue->ready.empty()) drain(queue->fd);
    return op;
}

KVPS_API void kvps_queue_free(kvps_queue *queue) {
    if (!queue) return;
    {
        std::lock_guard lock(queue->mutex);
        queue->closed = true;
        for (kvps_op *op : queue->ready) op->in_queue = false;
        queue->ready.clear();
        drain(queue->fd);
    }
    release_queue(queue);
}

}  // extern "C"

// ---- For the operations of async_more.cpp (api/async_op.hpp)

namespace kvps::shim {

kvps_status start_op(kvps_store *store, const char *name, const char *key,
                     const kvps_async_options *options, kvps_op **out, OpResults results,
                     std::shared_ptr<OpExtra> extra,
                     std::function<kvps_status(const OpSlots &)> run_call) {
    return start(
        store, name, key, options, out, results == OpResults::none ? Kind::none : Kind::value,
        [run_call = std::move(run_call)](kvps_op &o) {
            return run_call(OpSlots{o.raw_store, &o.data, &o.size, &o.info, o.extra.get()});
        },
        [&](kvps_op &o) {
            o.extra = std::move(extra);
            o.stat_too = results == OpResults::value_and_stat;
        });
}

kvps_status read_done_op(kvps_op *op, const char *what,
                         const std::function<kvps_status(kvps_status, OpExtra *)> &read) {
    require(op, "op");
    std::lock_guard lock(op->mutex);
    check_done(op, op->kind, what);
    if (!op->extra)
        kvps::fail(KVPS_INVALID_ARGUMENT,
                   std::string("this op is a ") + op->name + ", which has no " + what);
    set_error(op->message);
    return read(op->status, op->extra.get());
}

}  // namespace kvps::shim
