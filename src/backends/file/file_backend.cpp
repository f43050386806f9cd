// file:// (aliases local://, path://): each value is one file under a folder. See README.md.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "spi/backend.hpp"
#include "spi/checksum.hpp"
#include "spi/error.hpp"
#include "checksums.hpp"
#include "lister.hpp"
#include "spi/registrar.hpp"
#include "store.hpp"
#include "streams.hpp"

namespace kvps::file {
namespace {

class FileBackend final : public Backend {
public:
    FileBackend(std::string path, Options options) : store_(std::move(path), options), lister_(store_) {}

    void put(std::string_view key, const void *data, size_t size) override {
        Location loc = store_.layout().locate(key);
        auto temp = store_.new_temp();
        if (int err = write_all(temp->fd(), data, size))
            fail_path(err, "cannot write key " + quote(key) + " to", store_.where(loc));
        store_checksum(temp->fd(), crc32c(data, size));
        store_.install(*temp, key, loc);
    }

    std::optional<Bytes> get(std::string_view key) override {
        return get_range(key, 0, KVPS_TO_END);
    }

    std::optional<Bytes> get_range(std::string_view key, uint64_t offset, uint64_t length) override {
        Location loc = store_.layout().locate(key);
        struct stat st;
        Fd fd = store_.open_value(key, loc, st);
        if (!fd) return std::nullopt;
        Span64 span = clamp_range(static_cast<uint64_t>(st.st_size), offset, length);
        Bytes out(static_cast<size_t>(span.count));
        size_t got = 0;
        while (got < out.size()) {
            ssize_t n = ::pread(fd.get(), out.data() + got, out.size() - got, static_cast<off_t>(span.start + got));
            if (n < 0) {
                if (errno == EINTR) continue;
                fail_path(errno, "cannot read key " + quote(key) + " at", store_.where(loc));
            }
            if (n == 0) break;  // shrank under us (a pathmapped file edited in place)
            got += static_cast<size_t>(n);
        }
        out.resize(got);
        return out;
    }

    std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset, uint64_t length) override {
        Location loc = store_.layout().locate(key);
        struct stat st;
        Fd fd = store_.open_value(key, loc, st);
        if (!fd) return nullptr;
        Span64 span = clamp_range(static_cast<uint64_t>(st.st_size), offset, length);
        return std::make_unique<FileReader>(std::move(fd), store_.where(loc), st, span);
    }

    std::unique_ptr<Writer> open_writer(std::string_view key) override {
        return std::make_unique<FileWriter>(store_, key);
    }

    std::optional<Metadata> stat(std::string_view key) override {
        Location loc = store_.layout().locate(key);
        struct stat st;
        Fd fd = store_.open_value(key, loc, st);
        if (!fd) return std::nullopt;
        return Metadata{static_cast<uint64_t>(st.st_size), ns_of(st.st_mtim), etag_of(st)};
    }

    void remove(std::string_view key) override { store_.remove(key, store_.layout().locate(key)); }

    ListResult list(std::string_view prefix, std::string_view token, size_t limit) override {
        return lister_.list(ListQuery{prefix, token, {}, {}, limit});
    }

    // ---- listing by level, reads into the caller's memory, checksums
    ListResult list_with(const ListQuery &query) override { return lister_.list(query); }

    std::optional<Bytes> get_checked(std::string_view key, std::optional<uint32_t> &crc) override {
        Location loc = store_.layout().locate(key);
        struct stat st;
        Fd fd = store_.open_value(key, loc, st);
        if (!fd) return std::nullopt;
        crc = stored_checksum(fd.get());
        Bytes out(static_cast<size_t>(st.st_size));
        out.resize(read_at(fd.get(), out.data(), out.size(), 0, key, loc));
        return out;
    }

    // pread straight into the caller's buffer: no allocation.
    std::optional<uint64_t> get_into(std::string_view key, uint64_t offset, void *buffer, size_t capacity,
                                     std::optional<uint32_t> &crc) override {
        Location loc = store_.layout().locate(key);
        struct stat st;
        Fd fd = store_.open_value(key, loc, st);
        if (!fd) return std::nullopt;
        Span64 span = clamp_range(static_cast<uint64_t>(st.st_size), offset, KVPS_TO_END);
        if (span.count > capacity) return span.count;
        if (offset == 0) crc = stored_checksum(fd.get());
        return read_at(fd.get(), static_cast<char *>(buffer), static_cast<size_t>(span.count), span.start, key, loc);
    }

private:
    // Reads up to size bytes at offset; fewer only when the file shrank meanwhile.
    size_t read_at(int fd, char *out, size_t size, uint64_t offset, std::string_view key, const Location &loc) {
        size_t got = 0;
        while (got < size) {
            ssize_t n = ::pread(fd, out + got, size - got, static_cast<off_t>(offset + got));
            if (n < 0) {
                if (errno == EINTR) continue;
                fail_path(errno, "cannot read key " + quote(key) + " at", store_.where(loc));
            }
            if (n == 0) break;  // shrank under us (a pathmapped file edited in place)
            got += static_cast<size_t>(n);
        }
        return got;
    }

    Store store_;
    Lister lister_;
};

const Registrar registrar{{
    .name = "file",
    .description = "A folder on local disk, one file per value, written atomically",
    .schemes = {"file", "local", "path"},
    .options =
        {
            {.name = "create",
             .type = KVPS_OPTION_BOOL,
             .default_value = "true",
             .description = "create the folder (and its parents) if it does not exist"},
            {.name = "fsync",
             .type = KVPS_OPTION_BOOL,
             .default_value = "true",
             .description = "false is faster, may lose the last writes on power loss, never tears a value"},
            {.name = "pathmapped",
             .type = KVPS_OPTION_BOOL,
             .default_value = "false",
             .description = "store key a/b/c as the file a/b/c (browsable) instead of encoded names"},
        },
    .capabilities = KVPS_CAP_RANGE | KVPS_CAP_READ_STREAM | KVPS_CAP_WRITE_STREAM | KVPS_CAP_LIST |
                    KVPS_CAP_PERSISTENT | KVPS_CAP_SHARED,
    .open = [](const Config &config) -> std::unique_ptr<Backend> {
        Options options{.create = config.boolean("create"),
                        .sync = config.boolean("fsync"),
                        .pathmapped = config.boolean("pathmapped")};
        return std::make_unique<FileBackend>(folder_of(config.url()), options);
    },
}};

}  // namespace
}  // namespace kvps::file
