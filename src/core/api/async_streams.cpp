// The C API, section Asynchronous operations, continued: the asynchronous forms of the stream
// calls (open a reader, read, open a writer, write, commit), on the op machinery of async.cpp
// (api/async_op.hpp). Each runs its blocking call on the pool; the reader or writer it works on
// belongs to the op until the op completes.
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "api/async_op.hpp"
#include "api/shim.hpp"
#include "async/pool.hpp"

using namespace kvps::shim;

namespace {

// kvps_reader_open_async: the reader it opened, until taken.
struct ReaderOpenExtra : OpExtra {
    kvps_reader *reader = nullptr;
    ~ReaderOpenExtra() override { kvps_reader_close(reader); }
};

// kvps_writer_open(_with)_async: the options copied, and the writer it opened, until taken.
struct WriterOpenExtra : OpExtra {
    PutOptionsCopy options;
    bool with = false;  // kvps_writer_open_with_async
    kvps_writer *writer = nullptr;
    ~WriterOpenExtra() override { kvps_writer_abort(writer); }
};

// kvps_reader_read_async: the caller's buffer and the count read into it.
struct ReadExtra : OpExtra {
    kvps_reader *reader = nullptr;
    void *buffer = nullptr;
    size_t capacity = 0, count = 0;
};

// kvps_writer_write_async: the data copied. A write that never ran fails its writer, as a
// failed write does, so a writer never goes on with a hole in what it wrote.
struct WriteChunkExtra : OpExtra {
    kvps_writer *writer = nullptr;
    std::string data;
    void not_run() noexcept override { writer->failed = true; }
};

// kvps_writer_commit_async: owns the writer until the commit ran. A commit that never ran
// aborts it on the pool (on s3:// an abort may be a request: not on the cancelling thread).
struct CommitExtra : WriteExtra {
    kvps_writer *writer = nullptr;
    void not_run() noexcept override {
        kvps_writer *w = std::exchange(writer, nullptr);
        try {
            kvps::async::submit([w] { kvps_writer_abort(w); });
        } catch (...) {
            kvps_writer_abort(w);
        }
    }
    ~CommitExtra() override { kvps_writer_abort(writer); }  // no op was made
};

const char *key_of(const kvps_reader *r) { return r->key.c_str(); }
const char *key_of(const kvps_writer *w) { return w->key.c_str(); }

// The extra of a completed op of type T; throws when op is another kind of op.
template <typename T>
T &extra_of(OpExtra *extra, const char *what) {
    auto *typed = dynamic_cast<T *>(extra);
    if (!typed) kvps::fail(KVPS_INVALID_ARGUMENT, std::string("this op has no ") + what);
    return *typed;
}

kvps_status writer_open_async(kvps_store *store, const char *key,
                              const kvps_put_options *put_options,
                              const kvps_async_options *options, kvps_op **op, bool with) {
    require(key, "key");
    auto extra = std::make_shared<WriterOpenExtra>();
    extra->with = with;
    if (with) extra->options.copy(put_options, "kvps_writer_open_with_async");
    return start_op(store, with ? "writer_open_with" : "writer_open", key, options, op,
                    OpResults::none, extra, [key = std::string(key)](const OpSlots &s) {
                        auto &x = static_cast<WriterOpenExtra &>(*s.extra);
                        if (!x.with) return kvps_writer_open(s.store, key.c_str(), &x.writer);
                        kvps_put_options o;
                        std::vector<kvps_option> pairs;
                        kvps_status st = kvps_writer_open_with(s.store, key.c_str(),
                                                               x.options.view(o, pairs), &x.writer);
                        // The etag goes to the commit op, not to this op's memory.
                        if (st == KVPS_OK) x.writer->etag_out = nullptr;
                        return st;
                    });
}

}  // namespace

extern "C" {

KVPS_API kvps_status kvps_reader_open_async(kvps_store *store, const char *key, uint64_t offset,
                                            uint64_t length, const kvps_async_options *options,
                                            kvps_op **op) {
    return guard([&] {
        require(key, "key");
        return start_op(store, "reader_open", key, options, op, OpResults::none,
                        std::make_shared<ReaderOpenExtra>(),
                        [key = std::string(key), offset, length](const OpSlots &s) {
                            auto &x = static_cast<ReaderOpenExtra &>(*s.extra);
                            return kvps_reader_open(s.store, key.c_str(), offset, length,
                                                    &x.reader);
                        });
    });
}

KVPS_API kvps_status kvps_reader_read_async(kvps_reader *reader, void *buffer, size_t capacity,
                                            const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        require(reader, "reader");
        if (capacity) require(buffer, "buffer");
        auto extra = std::make_shared<ReadExtra>();
        extra->reader = reader;
        extra->buffer = buffer;
        extra->capacity = capacity;
        return start_op(reader->store.get(), "reader_read", key_of(reader), options, op,
                        OpResults::none, extra, [](const OpSlots &s) {
                            auto &x = static_cast<ReadExtra &>(*s.extra);
                            return kvps_reader_read(x.reader, x.buffer, x.capacity, &x.count);
                        });
    });
}

KVPS_API kvps_status kvps_writer_open_async(kvps_store *store, const char *key,
                                            const kvps_async_options *options, kvps_op **op) {
    return guard([&] { return writer_open_async(store, key, nullptr, options, op, false); });
}

KVPS_API kvps_status kvps_writer_open_with_async(kvps_store *store, const char *key,
                                                 const kvps_put_options *put_options,
                                                 const kvps_async_options *options, kvps_op **op) {
    return guard([&] { return writer_open_async(store, key, put_options, options, op, true); });
}

KVPS_API kvps_status kvps_writer_write_async(kvps_writer *writer, const void *data, size_t size,
                                             const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        require(writer, "writer");
        if (size) require(data, "data");
        auto extra = std::make_shared<WriteChunkExtra>();
        extra->writer = writer;
        if (size) extra->data.assign(static_cast<const char *>(data), size);
        return start_op(writer->store.get(), "writer_write", key_of(writer), options, op,
                        OpResults::none, extra, [](const OpSlots &s) {
                            auto &x = static_cast<WriteChunkExtra &>(*s.extra);
                            return kvps_writer_write(x.writer, x.data.data(), x.data.size());
                        });
    });
}

KVPS_API kvps_status kvps_writer_commit_async(kvps_writer *writer,
                                              const kvps_async_options *options, kvps_op **op) {
    return guard([&] {
        require(writer, "writer");
        auto extra = std::make_shared<CommitExtra>();
        extra->writer = writer;  // from here on, the writer is aborted unless committed
        kvps_store *store = writer->store.get();
        std::string key = writer->key;
        return start_op(store, "commit", key.c_str(), options, op, OpResults::none,
                        std::move(extra), [](const OpSlots &s) {
                            auto &x = static_cast<CommitExtra &>(*s.extra);
                            kvps_writer *w = std::exchange(x.writer, nullptr);
                            char *caller = w->etag_out;  // kvps_writer_open_with's etag_out
                            w->etag_out = x.options.etag;
                            kvps_status st = kvps_writer_commit(w);  // frees w
                            if (st == KVPS_OK && caller)
                                std::memcpy(caller, x.options.etag, KVPS_ETAG_MAX);
                            return st;
                        });
    });
}

KVPS_API kvps_status kvps_op_reader(kvps_op *op, kvps_reader **out) {
    return guard([&] {
        require(out, "out");
        return read_done_op(op, "reader", [&](kvps_status status, OpExtra *extra) {
            auto &x = extra_of<ReaderOpenExtra>(extra, "reader: it is not a reader_open");
            if (status != KVPS_OK) return status;
            if (!x.reader)
                kvps::fail(KVPS_INVALID_ARGUMENT, "the reader of this op was already taken");
            *out = std::exchange(x.reader, nullptr);
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_op_writer(kvps_op *op, kvps_writer **out) {
    return guard([&] {
        require(out, "out");
        return read_done_op(op, "writer", [&](kvps_status status, OpExtra *extra) {
            auto &x = extra_of<WriterOpenExtra>(extra, "writer: it is not a writer_open");
            if (status != KVPS_OK) return status;
            if (!x.writer)
                kvps::fail(KVPS_INVALID_ARGUMENT, "the writer of this op was already taken");
            *out = std::exchange(x.writer, nullptr);
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_op_count(kvps_op *op, size_t *n) {
    return guard([&] {
        require(n, "n");
        return read_done_op(op, "count", [&](kvps_status status, OpExtra *extra) {
            auto &x = extra_of<ReadExtra>(extra, "count: it is not a reader_read");
            if (status == KVPS_OK) *n = x.count;
            return status;
        });
    });
}

}  // extern "C"
