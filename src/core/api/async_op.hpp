// The op machinery of async.cpp, for the asynchronous operations defined in other files
// (async_more.cpp): start an op around a blocking call, and read an op's own results once it
// completed. Core only.
#pragma once

#include <functional>
#include <memory>

#include "kvps.h"
#include "spi/backend.hpp"

namespace kvps::shim {

// The inputs and results an operation keeps beyond the ones every op has (a value, stat info).
// Its blocking call fills it on a worker; its accessors read it once the op completed.
struct OpExtra {
    virtual ~OpExtra() = default;
    // For an op its backend may run itself (Backend::start): fills request's kind and inputs
    // (borrowed from this extra) and returns true; false: the op runs on the pool.
    virtual bool backend_request(kvps::AsyncRequest &request) {
        (void)request;
        return false;
    }
    // The outcome of such an op, when it succeeded, before the op completes (its etag, say).
    virtual void backend_done(kvps::AsyncResult &result) { (void)result; }
};

// Where an op's blocking call leaves its results: the op's value (kvps_op_value), its stat info
// (kvps_op_stat), and its extra.
struct OpSlots {
    kvps_store *store;
    void **data;
    size_t *size;
    kvps_stat_info *info;
    OpExtra *extra;
};

// Which of the common accessors an op answers: none, kvps_op_value, or both kvps_op_value and
// kvps_op_stat.
enum class OpResults { none, value, value_and_stat };

// Starts an op as the calls of async.cpp do: checks store, out, key (NULL: none) and options,
// arms the deadline and queues run, the blocking call, on the pool. name is the blocking call's
// log name (static storage). Throws as the calls of shim.hpp do.
kvps_status start_op(kvps_store *store, const char *name, const char *key,
                     const kvps_async_options *options, kvps_op **out, OpResults results,
                     std::shared_ptr<OpExtra> extra,
                     std::function<kvps_status(const OpSlots &)> run);

// Runs read(status, extra) on a completed op under its lock, after setting this thread's message
// to the op's; returns what read returns. KVPS_INVALID_ARGUMENT (thrown) when op is pending or
// has no extra.
kvps_status read_done_op(kvps_op *op, const char *what,
                         const std::function<kvps_status(kvps_status, OpExtra *)> &read);

}  // namespace kvps::shim
