// The op machinery of async.cpp, for the asynchronous operations defined in other files
// (async_more.cpp, async_streams.cpp): start an op around a blocking call, and read an op's own
// results once it completed. Core only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kvps.h"
#include "api/shim.hpp"
#include "spi/put_options.hpp"

namespace kvps::shim {

// The inputs and results an operation keeps beyond the ones every op has (a value, stat info).
// Its blocking call fills it on a worker; its accessors read it once the op completed.
struct OpExtra {
    virtual ~OpExtra() = default;
    // Called when the op completes without its blocking call having run (cancelled, or its
    // deadline passed, before it started), on the thread that cancelled it, before the op
    // completes: for an op that owes cleanup or a state change even then.
    virtual void not_run() noexcept {}
};

// A kvps_put_options copied (checked first, as the blocking call checks it), with the etag the
// write made kept in the op rather than written to the caller's memory.
struct PutOptionsCopy {
    int create_only = 0;
    std::optional<std::string> if_match, content_type;
    std::vector<std::string> metadata;  // name, value, name, value, ...
    bool has_metadata = false;          // a non-NULL metadata array, even of 0 pairs
    char etag[KVPS_ETAG_MAX] = {0};

    void copy(const kvps_put_options *options, const char *call) {
        if (!options) return;
        kvps::put_options_from(options);  // throws naming the culprit
        if (options->etag_out)
            kvps::fail(KVPS_INVALID_ARGUMENT,
                       std::string("kvps_put_options.etag_out is not used by ") + call +
                           ": read the etag from the completed op with kvps_op_etag");
        create_only = options->create_only;
        if (options->if_match) if_match = options->if_match;
        if (options->content_type) content_type = options->content_type;
        has_metadata = options->metadata != nullptr;
        for (size_t i = 0; has_metadata && i < options->metadata_count; ++i) {
            metadata.emplace_back(options->metadata[i].name);
            metadata.emplace_back(options->metadata[i].value);
        }
    }

    // The C options to run the blocking call with, borrowing from this copy (pairs is their
    // storage): the ones given, or the defaults (which mean what NULL options mean), with
    // etag_out always set so the op keeps the etag.
    const kvps_put_options *view(kvps_put_options &out, std::vector<kvps_option> &pairs) {
        out = KVPS_PUT_OPTIONS_INIT;
        out.create_only = create_only;
        out.if_match = if_match ? if_match->c_str() : nullptr;
        out.content_type = content_type ? content_type->c_str() : nullptr;
        pairs.clear();
        for (size_t i = 0; i + 1 < metadata.size(); i += 2)
            pairs.push_back({metadata[i].c_str(), metadata[i + 1].c_str()});
        static const kvps_option none{nullptr, nullptr};
        out.metadata = has_metadata ? (pairs.empty() ? &none : pairs.data()) : nullptr;
        out.metadata_count = pairs.size();
        out.etag_out = etag;
        return &out;
    }
};

// A write's inputs and the etag it made (put_with, copy, rename, writer commit).
struct WriteExtra : OpExtra {
    std::string to;  // copy, rename: the destination
    std::string payload;
    PutOptionsCopy options;
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
