// The C API, section Streams.
#include "api/shim.hpp"

#include <algorithm>
#include <utility>
#include "keys.hpp"
#include "spi/checksum.hpp"

using namespace kvps::shim;

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
            if (store->verify_checksums && span.start == 0 && span.count == size) expected = reader->checksum();
            *out = new kvps_reader{store, std::string(k), std::move(reader), span.start,
                                   span.start + span.count, size, std::move(etag), expected};
            amount = span.count;
            return KVPS_OK;
        });
    });
}

KVPS_API kvps_status kvps_reader_read(kvps_reader *reader, void *buffer, size_t capacity, size_t *n) {
    return guard([&] {
        require(reader, "reader");
        require(n, "n");
        if (capacity) require(buffer, "buffer");
        *n = 0;
        if (reader->position >= reader->range_end || capacity == 0) return KVPS_OK;
        uint64_t left = reader->range_end - reader->position;
        size_t got = reader->reader->read(buffer, static_cast<size_t>(std::min<uint64_t>(capacity, left)));
        if (got == 0)
            kvps::fail(KVPS_IO, "value of key " + kvps::quote(reader->key) + " ended after " +
                                    std::to_string(reader->position) + " of " +
                                    std::to_string(reader->range_end) + " bytes (it changed or was truncated)");
        if (reader->expected) {  // reading the whole value in order: verify it at its end
            reader->running = kvps::crc32c(buffer, got, reader->running);
            if (reader->position + got == reader->value_size) {
                std::optional<uint32_t> expected = std::exchange(reader->expected, std::nullopt);
                kvps::check_crc32c(reader->key, *expected, reader->running);
            }
        }
        reader->position += got;
        *n = got;
        return KVPS_OK;
    });
}

KVPS_API kvps_status kvps_reader_seek(kvps_reader *reader, uint64_t offset) {
    return guard([&] {
        require(reader, "reader");
        uint64_t target = std::min(offset, reader->range_end);
        if (target == reader->position) return KVPS_OK;
        reader->expected.reset();  // no longer reading the whole value in order
        if (target == reader->range_end || reader->reader->seek(target, reader->range_end)) {
            reader->position = target;
            return KVPS_OK;
        }
        // The backend's reader cannot seek: open a new one, and make sure it reads the same
        // version of the value, so a reader never mixes two versions.
        auto fresh = reader->store->backend->open_reader(reader->key, target, reader->range_end - target);
        if (!fresh)
            kvps::fail(KVPS_NOT_FOUND, "key " + kvps::quote(reader->key) + " was deleted while being read");
        if (fresh->etag() != reader->etag || fresh->value_size() != reader->value_size)
            kvps::fail(KVPS_PRECONDITION_FAILED,
                       "key " + kvps::quote(reader->key) + " changed while being read; open a new reader");
        reader->reader = std::move(fresh);
        reader->position = target;
        return KVPS_OK;
    });
}

KVPS_API uint64_t kvps_reader_value_size(const kvps_reader *reader) { return reader ? reader->value_size : 0; }

KVPS_API void kvps_reader_close(kvps_reader *reader) { delete reader; }

KVPS_API kvps_status kvps_writer_open(kvps_store *store, const char *key, kvps_writer **out) {
    return guard([&] {
        require(store, "store");
        std::string_view k = kvps::check_key(key);
        require(out, "out");
        auto writer = store->backend->open_writer(k);
        *out = new kvps_writer{std::move(writer), std::string(k)};
        return KVPS_OK;
    });
}

KVPS_API kvps_status kvps_writer_write(kvps_writer *writer, const void *data, size_t size) {
    return guard([&] {
        require(writer, "writer");
        if (size) require(data, "data");
        if (writer->failed)
            kvps::fail(KVPS_INVALID_ARGUMENT, "writer of key " + kvps::quote(writer->key) +
                                                  " failed earlier; abort it");
        try {
            writer->writer->write(data, size);
            writer->written += size;
        } catch (...) {
            writer->failed = true;
            throw;
        }
        return KVPS_OK;
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
