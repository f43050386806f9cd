// The C API, section Streams.
#include "api/shim.hpp"

#include <algorithm>
#include <utility>
#include "keys.hpp"
#include "spi/checksum.hpp"

using namespace kvps::shim;

namespace {

// A reader whose backend reader could not follow a seek gets a new one at its position; it
// must read the same version of the value, so a reader never mixes two versions.
void reopen(kvps_reader &reader) {
    auto fresh = reader.store->backend->open_reader(reader.key, reader.position,
                                                    reader.range_end - reader.position);
    if (!fresh)
        kvps::fail(KVPS_NOT_FOUND,
                   "key " + kvps::quote(reader.key) + " was deleted while being read");
    if (fresh->etag() != reader.etag || fresh->value_size() != reader.value_size)
        kvps::fail(KVPS_PRECONDITION_FAILED, "key " + kvps::quote(reader.key) +
                                                 " changed while being read; open a new reader");
    reader.reader = std::move(fresh);
}

// One read at the reader's position of up to capacity bytes: read(want) returns the bytes it
// read (their address and count, 0 only at the end). Checks that a value does not end early,
// verifies a whole value read in order, and moves on. Returns the count; 0 at the end.
template <typename Read>
size_t advance(kvps_reader &reader, size_t capacity, Read &&read) {
    if (reader.position >= reader.range_end || capacity == 0) return 0;
    if (!reader.reader) reopen(reader);
    uint64_t left = reader.range_end - reader.position;
    auto [bytes, got] = read(static_cast<size_t>(std::min<uint64_t>(capacity, left)));
    if (got == 0)
        kvps::fail(KVPS_IO, "value of key " + kvps::quote(reader.key) + " ended after " +
                                std::to_string(reader.position) + " of " +
                                std::to_string(reader.range_end) +
                                " bytes (it changed or was truncated)");
    if (reader.expected) {  // reading the whole value in order: verify it at its end
        reader.running = kvps::crc32c(bytes, got, reader.running);
        if (reader.position + got == reader.value_size) {
            std::optional<uint32_t> expected = std::exchange(reader.expected, std::nullopt);
            kvps::check_crc32c(reader.key, *expected, reader.running);
        }
    }
    reader.position += got;
    return got;
}

// Runs write (size bytes) on a writer that has not failed; a write that throws fails it.
template <typename Write>
kvps_status append(kvps_writer &writer, uint64_t size, Write &&write) {
    if (writer.failed)
        kvps::fail(KVPS_INVALID_ARGUMENT,
                   "writer of key " + kvps::quote(writer.key) + " failed earlier; abort it");
    try {
        write();
        writer.written += size;
    } catch (...) {
        writer.failed = true;
        throw;
    }
    return KVPS_OK;
}

}  // namespace

extern "C" {

KVPS_API kvps_status kvps_reader_open(kvps_store *store, const char *key, uint64_t offset,
                                      uint64_t length, kvps_reader **out) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        return logged("reader_open", k, [&](uint64_t &amount) {
            std::unique_ptr<kvps::Reader> reader = store->backend->open_reader(k, offset, length);
            if (!reader) return KVPS_NOT_FOUND;
            uint64_t size = reader->value_size();
            kvps::Span64 span = kvps::clamp_range(size, offset, length);
            std::string etag = reader->etag();
            std::optional<uint32_t> expected;
            if (store->verify_checksums && span.start == 0 && span.count == size)
                expected = reader->checksum();
            *out = new kvps_reader{
                StoreRef(store),         std::string(k), std::move(reader), span.start,
                span.start + span.count, size,           std::move(etag),   expected};
            amount = span.count;
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_reader_read(kvps_reader *reader, void *buffer, size_t capacity,
                                      size_t *n) {
    return guard([&] {
        require(reader, "reader");
        require(n, "n");
        if (capacity) require(buffer, "buffer");
        *n = advance(*reader, capacity, [&](size_t want) {
            return std::pair{static_cast<const char *>(buffer), reader->reader->read(buffer, want)};
        });
        return KVPS_OK;
    });
}

KVPS_API kvps_status kvps_reader_read_blob(kvps_reader *reader, size_t max, kvps_blob **out) {
    return guard([&] {
        require(reader, "reader");
        require(out, "out");
        *out = nullptr;
        if (max == 0) kvps::fail(KVPS_INVALID_ARGUMENT, "max is 0: a blob read needs room");
        std::optional<kvps::SharedBytes> block;
        size_t got = advance(*reader, max, [&](size_t want) {
            block = reader->reader->read_shared(want);
            if (!block) {  // no block to share: read into one of the reader's own
                kvps::Bytes bytes(want);
                size_t filled = 0;
                while (filled < want) {
                    size_t more = reader->reader->read(bytes.data() + filled, want - filled);
                    if (!more) break;
                    filled += more;
                }
                bytes.resize(filled);
                block = kvps::SharedBytes::adopt(std::move(bytes));
            }
            return std::pair{block->data(), block->size};
        });
        if (got) *out = new kvps_blob{std::move(*block)};
        return KVPS_OK;
    });
}

// Seeking only moves: it never fails because the value changed. The read that follows
// either reads the reader's version or fails (KVPS_PRECONDITION_FAILED / KVPS_NOT_FOUND).
KVPS_API kvps_status kvps_reader_seek(kvps_reader *reader, uint64_t offset) {
    return guard([&] {
        require(reader, "reader");
        uint64_t target = std::min(offset, reader->range_end);
        if (target == reader->position) return KVPS_OK;
        reader->expected.reset();  // no longer reading the whole value in order
        if (reader->reader && target != reader->range_end &&
            !reader->reader->seek(target, reader->range_end))
            reader->reader.reset();  // reopened by the next read
        reader->position = target;
        return KVPS_OK;
    });
}

KVPS_API uint64_t kvps_reader_value_size(const kvps_reader *reader) {
    return reader ? reader->value_size : 0;
}

KVPS_API void kvps_reader_close(kvps_reader *reader) { delete reader; }

KVPS_API kvps_status kvps_writer_open(kvps_store *store, const char *key, kvps_writer **out) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        auto writer = store->backend->open_writer(k);
        *out = new kvps_writer{StoreRef(store), std::move(writer), std::string(k)};
        return KVPS_OK;
    });
}

KVPS_API kvps_status kvps_writer_write(kvps_writer *writer, const void *data, size_t size) {
    return guard([&] {
        require(writer, "writer");
        if (size) require(data, "data");
        return append(*writer, size, [&] { writer->writer->write(data, size); });
    });
}

KVPS_API kvps_status kvps_writer_write_blob(kvps_writer *writer, const kvps_blob *blob) {
    return guard([&] {
        require(writer, "writer");
        require(blob, "blob");
        return append(*writer, blob->bytes.size,
                      [&] { writer->writer->write_shared(blob->bytes); });
    });
}

KVPS_API kvps_status kvps_writer_commit(kvps_writer *writer) {
    return guard([&] {
        require(writer, "writer");
        std::unique_ptr<kvps_writer> owned(writer);
        if (owned->failed) {
            owned->writer->abort();
            kvps::fail(KVPS_INVALID_ARGUMENT, "writer of key " + kvps::quote(owned->key) +
                                                  " failed earlier; nothing was committed");
        }
        return logged("commit", owned->key, [&](uint64_t &amount) {
            amount = owned->written;
            try {
                owned->writer->commit();
            } catch (...) {
                owned->writer->abort();
                throw;
            }
            copy_etag(owned->writer->etag(), owned->etag_out);
            return KVPS_OK;
        });
    });
}

KVPS_API void kvps_writer_abort(kvps_writer *writer) {
    if (!writer) return;
    writer->writer->abort();
    delete writer;
}

}  // extern "C"
