// The C API, section Asynchronous operations, continued: the asynchronous forms of put_with,
// get_with, copy, rename and the batch calls, on the op machinery of async.cpp
// (api/async_op.hpp). Each copies its inputs, checks them as its blocking call would, and runs
// that blocking call on the pool.
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "api/async_op.hpp"
#include "api/shim.hpp"
#include "keys.hpp"
#include "spi/put_options.hpp"

using namespace kvps::shim;

namespace {

// A batch call's inputs and per-item results.
struct BatchExtra : kvps::shim::OpExtra {
    size_t n = 0;
    std::vector<std::optional<std::string>> keys;
    std::vector<std::string> payloads;  // put_many
    bool values = false;                // get_many: item values to hand over
    bool ran = false;                   // the blocking call ran (else: cancelled before start)
    std::vector<kvps_status> statuses;
    std::vector<std::string> errors;
    std::vector<void *> data;  // get_many, until taken
    std::vector<size_t> sizes;
    ~BatchExtra() override {
        for (void *d : data) kvps_free(d);
    }

    // Runs the blocking batch call, which fills the arrays; keeps each item's message.
    template <typename Call>
    kvps_status run(Call call) {
        std::vector<const char *> k(n);
        for (size_t i = 0; i < n; ++i) k[i] = keys[i] ? keys[i]->c_str() : nullptr;
        statuses.assign(n, KVPS_OK);
        kvps_status status = call(k.data());
        errors.resize(n);
        for (size_t i = 0; i < n; ++i) errors[i] = kvps_last_item_error(i);
        ran = true;
        return status;
    }
};

std::shared_ptr<BatchExtra> batch_extra(size_t n, const char *const *keys) {
    if (n) require(keys, "keys");
    auto extra = std::make_shared<BatchExtra>();
    extra->n = n;
    for (size_t i = 0; i < n; ++i)
        extra->keys.push_back(keys[i] ? std::optional<std::string>(keys[i]) : std::nullopt);
    return extra;
}

kvps_status copy_or_rename_async(kvps_store *store, const char *from, const char *to,
                                 const kvps_put_options *put_options,
                                 const kvps_async_options *options, kvps_op **op, bool rename) {
    require(from, "from");
    require(to, "to");
    kvps::check_key(to);
    auto extra = std::make_shared<WriteExtra>();
    extra->to = to;
    extra->options.copy(put_options, rename ? "kvps_rename_async" : "kvps_copy_async");
    auto call = rename ? kvps_rename : kvps_copy;
    return start_op(store, rename ? "rename" : "copy", from, options, op, OpResults::none, extra,
                    [call, from = std::string(from)](const OpSlots &s) {
                        auto &x = static_cast<WriteExtra &>(*s.extra);
                        kvps_put_options o;
                        std::vector<kvps_option> pairs;
                        return call(s.store, from.c_str(), x.to.c_str(), x.options.view(o, pairs));
                    });
}

// The batch extra of a completed batch op; throws when op is something else.
BatchExtra &batch_of(OpExtra *extra, const char *what) {
    auto *batch = dynamic_cast<BatchExtra *>(extra);
    if (!batch)
        kvps::fail(KVPS_INVALID_ARGUMENT,
                   std::string("this op is not a batch call: it has no ") + what);
    return *batch;
}

}  // namespace

extern "C" {

KVPS_API kvps_status kvps_put_with_async(kvps_store *store, const char *key, const void *data,
                                         size_t size, const kvps_put_options *put_options,
                                         const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        require(key, "key");
        if (size) require(data, "data");
        auto extra = std::make_shared<WriteExtra>();
        extra->options.copy(put_options, "kvps_put_with_async");
        if (size) extra->payload.assign(static_cast<const char *>(data), size);
        return start_op(store, "put_with", key, options, op, OpResults::none, extra,
                        [key = std::string(key)](const OpSlots &s) {
                            auto &x = static_cast<WriteExtra &>(*s.extra);
                            kvps_put_options o;
                            std::vector<kvps_option> pairs;
                            return kvps_put_with(s.store, key.c_str(), x.payload.data(),
                                                 x.payload.size(), x.options.view(o, pairs));
                        });
    });
}

KVPS_API kvps_status kvps_get_with_async(kvps_store *store, const char *key,
                                         const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        require(key, "key");
        return start_op(store, "get_with", key, options, op, OpResults::value_and_stat, nullptr,
                        [key = std::string(key)](const OpSlots &s) {
                            return kvps_get_with(s.store, key.c_str(), s.data, s.size, s.info);
                        });
    });
}

KVPS_API kvps_status kvps_copy_async(kvps_store *store, const char *from, const char *to,
                                     const kvps_put_options *put_options,
                                     const kvps_async_options *options, kvps_op **op) {
    return guard(
        [&] { return copy_or_rename_async(store, from, to, put_options, options, op, false); });
}

KVPS_API kvps_status kvps_rename_async(kvps_store *store, const char *from, const char *to,
                                       const kvps_put_options *put_options,
                                       const kvps_async_options *options, kvps_op **op) {
    return guard(
        [&] { return copy_or_rename_async(store, from, to, put_options, options, op, true); });
}

KVPS_API kvps_status kvps_op_etag(kvps_op *op, char *etag) {
    return guard([&] {
        require(etag, "etag");
        return read_done_op(op, "etag", [&](kvps_status status, OpExtra *extra) {
            auto *write = dynamic_cast<WriteExtra *>(extra);
            if (!write)
                kvps::fail(
                    KVPS_INVALID_ARGUMENT,
                    "this op is not a put_with, copy, rename or writer commit: it has no etag");
            if (status == KVPS_OK) std::memcpy(etag, write->options.etag, KVPS_ETAG_MAX);
            return status;
        });
    });
}

KVPS_API kvps_status kvps_put_many_async(kvps_store *store, size_t n, const char *const *keys,
                                         const void *const *data, const size_t *sizes,
                                         const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        auto extra = batch_extra(n, keys);
        if (n) {
            require(data, "data");
            require(sizes, "sizes");
        }
        for (size_t i = 0; i < n; ++i) {
            if (sizes[i] && !data[i])
                kvps::fail(KVPS_INVALID_ARGUMENT, "data[" + std::to_string(i) + "] is NULL");
            extra->payloads.emplace_back(sizes[i] ? static_cast<const char *>(data[i]) : "",
                                         sizes[i]);
        }
        return start_op(
            store, "put_many", nullptr, options, op, OpResults::none, extra, [](const OpSlots &s) {
                auto &x = static_cast<BatchExtra &>(*s.extra);
                return x.run([&](const char *const *k) {
                    std::vector<const void *> d(x.n);
                    std::vector<size_t> z(x.n);
                    for (size_t i = 0; i < x.n; ++i) {
                        d[i] = x.payloads[i].data();
                        z[i] = x.payloads[i].size();
                    }
                    return kvps_put_many(s.store, x.n, k, d.data(), z.data(), x.statuses.data());
                });
            });
    });
}

KVPS_API kvps_status kvps_get_many_async(kvps_store *store, size_t n, const char *const *keys,
                                         const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        auto extra = batch_extra(n, keys);
        extra->values = true;
        return start_op(store, "get_many", nullptr, options, op, OpResults::none, extra,
                        [](const OpSlots &s) {
                            auto &x = static_cast<BatchExtra &>(*s.extra);
                            x.data.assign(x.n, nullptr);
                            x.sizes.assign(x.n, 0);
                            return x.run([&](const char *const *k) {
                                return kvps_get_many(s.store, x.n, k, x.data.data(), x.sizes.data(),
                                                     x.statuses.data());
                            });
                        });
    });
}

KVPS_API kvps_status kvps_delete_many_async(kvps_store *store, size_t n, const char *const *keys,
                                            const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        auto extra = batch_extra(n, keys);
        return start_op(store, "delete_many", nullptr, options, op, OpResults::none, extra,
                        [](const OpSlots &s) {
                            auto &x = static_cast<BatchExtra &>(*s.extra);
                            return x.run([&](const char *const *k) {
                                return kvps_delete_many(s.store, x.n, k, x.statuses.data());
                            });
                        });
    });
}

KVPS_API kvps_status kvps_op_statuses(kvps_op *op, kvps_status *statuses) {
    return guard([&] {
        return read_done_op(op, "item statuses", [&](kvps_status status, OpExtra *extra) {
            BatchExtra &batch = batch_of(extra, "item statuses");
            if (batch.n) require(statuses, "statuses");
            for (size_t i = 0; i < batch.n; ++i)
                statuses[i] = batch.ran ? batch.statuses[i] : status;
            return status;
        });
    });
}

KVPS_API const char *kvps_op_item_error(kvps_op *op, size_t i) {
    const char *message = "";
    kvps_status got = guard([&] {
        return read_done_op(op, "item errors", [&](kvps_status, OpExtra *extra) {
            BatchExtra &batch = batch_of(extra, "item errors");
            if (batch.ran && i < batch.errors.size()) message = batch.errors[i].c_str();
            return KVPS_OK;
        });
    });
    (void)got;
    return message;
}

KVPS_API kvps_status kvps_op_item_value(kvps_op *op, size_t i, void **data, size_t *size) {
    return guard([&] {
        require(data, "data");
        require(size, "size");
        return read_done_op(op, "item values", [&](kvps_status status, OpExtra *extra) {
            BatchExtra &batch = batch_of(extra, "item values");
            if (i >= batch.n)
                kvps::fail(KVPS_INVALID_ARGUMENT, "item " + std::to_string(i) +
                                                      " is out of range (" +
                                                      std::to_string(batch.n) + " items)");
            if (!batch.values)
                kvps::fail(KVPS_INVALID_ARGUMENT, "this op is not a get_many: it has no values");
            if (!batch.ran) return status;
            set_error(batch.errors[i]);
            if (batch.statuses[i] != KVPS_OK) return batch.statuses[i];
            if (!batch.data[i])
                kvps::fail(KVPS_INVALID_ARGUMENT,
                           "the value of item " + std::to_string(i) + " was already taken");
            *data = batch.data[i];
            *size = batch.sizes[i];
            batch.data[i] = nullptr;
            return KVPS_OK;
        });
    });
}

}  // extern "C"
