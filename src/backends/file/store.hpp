// The open store: its folder, layout and options, shared by the backend's operations, its
// readers, writers and lister. Immutable after open, so safe from many threads.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "spi/backend.hpp"
#include "spi/options.hpp"
#include "fs.hpp"
#include "layout.hpp"
#include "spi/put_options.hpp"
#include "staging.hpp"

namespace kvps::file {

struct Settings {
    bool create = true;
    bool sync = true;
    LayoutKind layout = LayoutKind::encoded;
};

class Store {
public:
    // Opens (with create, makes) the folder, checks or writes its format marker and removes
    // stale temporary files. With create=false nothing is written until the first write.
    Store(std::string path, Settings settings);

    const std::string &path() const { return path_; }
    const Layout &layout() const { return *layout_; }
    bool sync() const { return settings_.sync; }
    int root() const { return root_.get(); }
    // The path of a key's file, for messages.
    std::string where(const Location &loc) const { return join_path(path_, loc.path()); }

    // The key's file opened for reading (its stat in st), or an invalid Fd when the key has no
    // value. Symbolic links and non-regular files are never opened as values.
    Fd open_value(std::string_view key, const Location &loc, struct stat &st) const;

    std::unique_ptr<TempFile> new_temp() const;
    // fsyncs (with sync) and renames a temporary file over key's file, making its directories
    // as needed, then fsyncs the directory. Throws naming the key; the old value stays on failure
    // before the rename. Every write and delete holds the lock (flock) of the key's folder from
    // its check to its rename, so a condition in options is atomic with the write, across
    // threads and processes. Returns the etag of the value installed.
    std::string install(TempFile &temp, std::string_view key, const Location &loc,
                        const PutOptions *options = nullptr) const;
    // Removes key's file and the directories the removal left empty.
    void remove(std::string_view key, const Location &loc) const;
    // Removes many keys' files (delete_many): per folder one open, one lock and, with sync, one
    // fsync after all of its removals, where removing them one by one fsyncs once per key. Each
    // item gets its own status; the folders a removal emptied are removed as by remove.
    void remove_many(std::span<DeleteItem> items) const;
    // Moves from's file over to's (one rename under both folders' locks), options' condition
    // applying to `to`. Throws KVPS_NOT_FOUND for a missing from. Returns the etag at `to`.
    std::string move(std::string_view from, const Location &from_loc, std::string_view to,
                     const Location &to_loc, const PutOptions &options) const;

private:
    void remove_empty_dirs(std::vector<std::string> dirs) const;
    // The etag of the key's file in its open (locked) folder dir; nullopt when it has none.
    std::optional<std::string> current_etag(int dir, const Location &loc,
                                            std::string_view key) const;
    void open_root();
    // Checks the marker, writing it when missing and may_write; false when it is missing.
    bool check_marker(bool may_write);
    void open_staging();
    // create=false: writes the marker and opens the staging folder once, at the first write.
    void prepare_writes() const;
    [[noreturn]] void fail_key(int err, std::string_view what, std::string_view key,
                               const Location &loc) const;

    std::string path_;
    Settings settings_;
    std::unique_ptr<Layout> layout_;
    Fd root_;
    Fd staging_;
    std::string staging_error_;  // why the staging directory could not be made (read-only store)
    int staging_errno_ = 0;
    mutable std::once_flag writes_prepared_;
};

// A value's etag and times, from its file's stat.
std::string etag_of(const struct stat &st);
int64_t ns_of(const struct timespec &t);

// The folder a file://, local:// or path:// URL names: file:///abs, file://localhost/abs, and
// (KVPSButter's rule, where RFC 8089 would name a remote host kvps cannot reach) any other
// host starts a relative path: file://./rel, file://../rel, file://kb/plain = "kb/plain".
// Throws KVPS_INVALID_URL.
std::string folder_of(const Url &url);

}  // namespace kvps::file
