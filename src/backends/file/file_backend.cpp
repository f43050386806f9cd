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
#include "properties.hpp"
#include "spi/registrar.hpp"
#include "spi/text.hpp"
#include "store.hpp"
#include "streams.hpp"

namespace kvps::file {
namespace {

class FileBackend final : public Backend {
public:
    FileBackend(std::string path, Settings settings)
        : store_(std::move(path), settings), lister_(store_) {}

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

    std::optional<Bytes> get_range(std::string_view key, uint64_t offset,
                                   uint64_t length) override {
        Location loc = store_.layout().locate(key);
        struct stat st;
        Fd fd = store_.open_value(key, loc, st);
        if (!fd) return std::nullopt;
        Span64 span = clamp_range(static_cast<uint64_t>(st.st_size), offset, length);
        Bytes out(static_cast<size_t>(span.count));
        size_t got = 0;
        while (got < out.size()) {
            ssize_t n = ::pread(fd.get(), out.data() + got, out.size() - got,
                                static_cast<off_t>(span.start + got));
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

    std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset,
                                        uint64_t length) override {
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
        return metadata_of(fd, st, loc);
    }

    // ---- conditional writes, properties, copy and rename. Conditions hold through
    // Store::install's folder lock; the properties live in an attribute of the value's file.
    std::string put_with(std::string_view key, const void *data, size_t size,
                         const PutOptions &options) override {
        Location loc = store_.layout().locate(key);
        auto temp = store_.new_temp();
        if (int err = write_all(temp->fd(), data, size))
            fail_path(err, "cannot write key " + quote(key) + " to", store_.where(loc));
        store_checksum(temp->fd(), crc32c(data, size));
        write_properties(temp->fd(), options.properties(), store_.where(loc));
        return store_.install(*temp, key, loc, &options);
    }

    std::unique_ptr<Writer> open_writer_with(std::string_view key,
                                             const PutOptions &options) override {
        return std::make_unique<FileWriter>(store_, key, options);
    }

    std::optional<Bytes> get_with(std::string_view key, Metadata &meta) override {
        Location loc = store_.layout().locate(key);
        struct stat st;
        Fd fd = store_.open_value(key, loc, st);
        if (!fd) return std::nullopt;
        meta = metadata_of(fd, st, loc);  // the open file is one version: bytes and all
        meta.crc32c = stored_checksum(fd.get());
        return read_all(fd, static_cast<size_t>(st.st_size), key, loc);
    }

    std::string copy(std::string_view from, std::string_view to,
                     const PutOptions &options) override {
        Location from_loc = store_.layout().locate(from);
        Location to_loc = store_.layout().locate(to);
        struct stat st;
        Fd fd = store_.open_value(from, from_loc, st);
        if (!fd) fail(KVPS_NOT_FOUND, "cannot copy key " + quote(from) + ": it does not exist");
        auto temp = store_.new_temp();
        copy_bytes(fd.get(), temp->fd(), static_cast<uint64_t>(st.st_size), from, from_loc);
        if (std::optional<uint32_t> crc = stored_checksum(fd.get()))
            store_checksum(temp->fd(), *crc);
        Properties properties =
            options.properties_over(read_properties(fd.get(), store_.where(from_loc)));
        write_properties(temp->fd(), properties, store_.where(to_loc));
        return store_.install(*temp, to, to_loc, &options);
    }

    std::string rename(std::string_view from, std::string_view to,
                       const PutOptions &options) override {
        // New properties need a new file: then a copy and a delete, as the fallback does.
        if (options.sets_properties()) return Backend::rename(from, to, options);
        return store_.move(from, store_.layout().locate(from), to, store_.layout().locate(to),
                           options);
    }

    void remove(std::string_view key) override { store_.remove(key, store_.layout().locate(key)); }

    void delete_many(std::span<DeleteItem> items) override { store_.remove_many(items); }

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
    std::optional<uint64_t> get_into(std::string_view key, uint64_t offset, void *buffer,
                                     size_t capacity, std::optional<uint32_t> &crc) override {
        Location loc = store_.layout().locate(key);
        struct stat st;
        Fd fd = store_.open_value(key, loc, st);
        if (!fd) return std::nullopt;
        Span64 span = clamp_range(static_cast<uint64_t>(st.st_size), offset, KVPS_TO_END);
        if (span.count > capacity) return span.count;
        if (offset == 0) crc = stored_checksum(fd.get());
        return read_at(fd.get(), static_cast<char *>(buffer), static_cast<size_t>(span.count),
                       span.start, key, loc);
    }

private:
    Metadata metadata_of(const Fd &fd, const struct stat &st, const Location &loc) const {
        Metadata meta{static_cast<uint64_t>(st.st_size), ns_of(st.st_mtim), etag_of(st)};
        meta.properties = read_properties(fd.get(), store_.where(loc));
        return meta;
    }

    Bytes read_all(const Fd &fd, size_t size, std::string_view key, const Location &loc) const {
        Bytes out(size);
        out.resize(read_at(fd.get(), out.data(), size, 0, key, loc));
        return out;
    }

    // Copies size bytes of the open file in to out, in the kernel where it can.
    void copy_bytes(int in, int out, uint64_t size, std::string_view key,
                    const Location &loc) const {
        off_t at_in = 0;
        while (static_cast<uint64_t>(at_in) < size) {
            ssize_t n =
                ::copy_file_range(in, &at_in, out, nullptr, static_cast<size_t>(size - at_in), 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 &&
                (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
                char buffer[1 << 16];
                ssize_t r;
                while ((r = ::pread(in, buffer, sizeof buffer, at_in)) > 0) {
                    if (int err = write_all(out, buffer, static_cast<size_t>(r)))
                        fail_path(err, "cannot copy key " + quote(key) + " from",
                                  store_.where(loc));
                    at_in += r;
                }
                if (r < 0)
                    fail_path(errno, "cannot copy key " + quote(key) + " from", store_.where(loc));
                return;
            }
            if (n < 0)
                fail_path(errno, "cannot copy key " + quote(key) + " from", store_.where(loc));
            if (n == 0) return;  // shrank under us (a pathmapped file edited in place)
        }
    }

    // Reads up to size bytes at offset; fewer only when the file shrank meanwhile.
    size_t read_at(int fd, char *out, size_t size, uint64_t offset, std::string_view key,
                   const Location &loc) const {
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

LayoutKind layout_option(const Config &config) {
    LayoutKind by_flag =
        config.boolean("pathmapped") ? LayoutKind::pathmapped : LayoutKind::encoded;
    if (!config.given("layout")) return by_flag;
    std::string name = lower(config.string("layout"));
    for (LayoutKind kind : {LayoutKind::encoded, LayoutKind::pathmapped, LayoutKind::kvpsbutter}) {
        if (name != layout_name(kind)) continue;
        if (config.given("pathmapped") &&
            config.boolean("pathmapped") != (kind == LayoutKind::pathmapped))
            fail(KVPS_INVALID_OPTION, "file: options layout=" + name + " and pathmapped=" +
                                          (config.boolean("pathmapped") ? "true" : "false") +
                                          " disagree");
        return kind;
    }
    fail(KVPS_INVALID_OPTION, "file: option layout has value " + quote(config.string("layout")) +
                                  ", expected encoded, pathmapped or kvpsbutter");
}

const Registrar registrar{{
    .name = "file",
    .description = "A folder on local disk, one file per value, written atomically",
    .schemes = {"file", "local", "path"},
    .options =
        {
            option_spec("create", KVPS_OPTION_BOOL, "true",
                        "create the folder (and its parents) if it does not exist"),
            option_spec("fsync", KVPS_OPTION_BOOL, "true",
                        "false is faster, may lose the last writes on power loss, never tears a "
                        "value"),
            option_spec("pathmapped", KVPS_OPTION_BOOL, "false",
                        "store key a/b/c as the file a/b/c (browsable) instead of encoded names"),
            option_spec("layout", KVPS_OPTION_STRING, nullptr,
                        "encoded (default), pathmapped (as pathmapped=true), or kvpsbutter: "
                        "KVPSButter's folder of base64-named files, read and written as it does"),
        },
    .capabilities = KVPS_CAP_RANGE | KVPS_CAP_READ_STREAM | KVPS_CAP_WRITE_STREAM | KVPS_CAP_LIST |
                    KVPS_CAP_PERSISTENT | KVPS_CAP_SHARED,
    .open = [](const Config &config) -> std::unique_ptr<Backend> {
        Settings settings{.create = config.boolean("create"),
                          .sync = config.boolean("fsync"),
                          .layout = layout_option(config)};
        return std::make_unique<FileBackend>(folder_of(config.url()), settings);
    },
}};

}  // namespace
}  // namespace kvps::file
