#include "store.hpp"

#include <cstdlib>
#include <filesystem>
#include <pwd.h>
#include <system_error>
#include <unistd.h>

#include "errors.hpp"
#include "output.hpp"

namespace cli {
namespace {

// Percent-encodes a path for a file:// URL, keeping '/' and the unreserved characters.
std::string encode_path(const std::string &path) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : path) {
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
        if (keep) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string home_folder() {
    const char *home = std::getenv("HOME");
    if (home != nullptr && home[0] == '/')
        return home;
    if (const passwd *entry = getpwuid(getuid()); entry != nullptr && entry->pw_dir != nullptr &&
                                                  entry->pw_dir[0] == '/')
        return entry->pw_dir;
    throw Failure{EXIT_USAGE, "no home folder for the default store: give --store URL or set "
                              "KVPS_STORE"};
}

}  // namespace

std::string default_store_folder() {
    // The XDG base directory rules: a relative XDG_DATA_HOME is invalid and ignored.
    const char *data_home = std::getenv("XDG_DATA_HOME");
    std::string base = data_home != nullptr && data_home[0] == '/'
                           ? std::string(data_home)
                           : home_folder() + "/.local/share";
    return base + "/kvps/store";
}

std::string choose_store_url(const std::optional<std::string> &flag) {
    if (flag)
        return *flag;
    if (const char *env = std::getenv("KVPS_STORE"); env != nullptr && env[0] != '\0')
        return env;
    std::string folder = default_store_folder();
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error)
        throw Failure{EXIT_STORAGE,
                      "cannot create the default store folder " + folder + ": " + error.message()};
    return "file://" + encode_path(folder);
}

Store open_store(const std::string &url, bool verbose, const char *role) {
    kvps_store *raw = nullptr;
    kvps_status status = kvps_open(url.c_str(), &raw);
    if (status != KVPS_OK) {
        // Opening names no key: a missing store (a folder with create=false) is bad input.
        if (status == KVPS_NOT_FOUND) {
            std::string message = kvps_last_error();
            throw Failure{EXIT_USAGE, message.empty() ? "store not found" : message};
        }
        library_error(status);
    }
    Store store(raw);
    if (verbose)
        print_line(std::string(role) + ": " + kvps_store_url(store.get()));
    return store;
}

void commit(Writer writer, const std::string &context) {
    kvps_status status = kvps_writer_commit(writer.release());
    if (status != KVPS_OK)
        library_error(status, context);
}

}  // namespace cli
