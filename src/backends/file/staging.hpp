// Temporary files for atomic writes. Every value is first written to a file in the store's
// staging directory (.kvps-staging, in the store folder, hence on the same file system), then
// renamed over its key's file. A temporary file is locked (flock) by its writer for its whole
// life, so a stale one -- left by a crashed process -- is recognised by its free lock and
// removed when a store is opened, while live writers' files are left alone.
#pragma once

#include <string>

#include "fs.hpp"

namespace kvps::file {

class TempFile {
public:
    // Creates and locks a new temporary file; throws naming staging_path on failure.
    TempFile(int staging_fd, const std::string &staging_path);
    TempFile(const TempFile &) = delete;
    TempFile &operator=(const TempFile &) = delete;
    ~TempFile() { discard(); }

    int fd() const { return fd_.get(); }
    const std::string &name() const { return name_; }
    std::string path() const { return join_path(staging_path_, name_); }
    int staging_fd() const { return staging_fd_; }

    // Call once the file was renamed away: the name no longer belongs to us.
    void renamed() {
        name_.clear();
        fd_.reset();
    }
    // Unlinks (if still ours) and closes; never throws.
    void discard() noexcept;

private:
    int staging_fd_;
    std::string staging_path_;
    std::string name_;
    Fd fd_;
};

// Removes temporary files whose writer is gone. Never throws; best effort.
void remove_stale_temps(int staging_fd) noexcept;

}  // namespace kvps::file
