#include "store.hpp"

#include <cstdlib>
#include <filesystem>
#include <pwd.h>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

#include "aliases.hpp"
#include "errors.hpp"
#include "glob.hpp"
#include "output.hpp"
#include "spi/text.hpp"

namespace cli {
namespace {

// Percent-encodes a path for a file:// URL, keeping '/' and the unreserved characters.
std::string encode_path(const std::string &path) { return kvps::percent_encode(path, "/"); }

bool is_plain_path(const std::string &arg) {
    for (std::string_view start : {"/", "./", "../", "~/"})
        if (arg.starts_with(start)) return true;
    return arg == "." || arg == "..";
}

// ~ expanded, made absolute and lexically normal ("./a/../b/" -> "/cwd/b"), no trailing '/'.
std::string absolute_path(const std::string &arg) {
    std::string path = arg;
    if (path == "~" || path.starts_with("~/")) path = home_folder() + path.substr(1);
    std::error_code error;
    std::filesystem::path absolute = std::filesystem::absolute(path, error);
    if (error)
        throw Failure{EXIT_USAGE, "cannot resolve the path '" + arg + "': " + error.message()};
    std::string out = absolute.lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

std::string folder_url(const std::string &folder) { return "file://" + encode_path(folder); }

Location plain_path(const std::string &arg, MissingPath missing) {
    // "./photos/2024/*.jpg": the folder before the first wildcard, and a pattern on its keys.
    if (has_wildcards(arg)) {
        std::string literal = literal_prefix(arg);
        size_t slash = literal.rfind('/');
        Location folder = plain_path(slash == std::string::npos ? "." : arg.substr(0, slash + 1),
                                     MissingPath::folder);
        folder.key = arg.substr(slash + 1);
        folder.whole_store = false;
        return folder;
    }
    std::string path = absolute_path(arg);
    struct stat info {};
    bool exists = ::stat(path.c_str(), &info) == 0;
    bool folder = arg.ends_with('/') || arg == "." || arg == ".." ||
                  (exists ? S_ISDIR(info.st_mode) : missing == MissingPath::folder);
    if (folder || path == "/") return {folder_url(path), "", true, false, true, path};
    std::string parent = path.substr(0, path.rfind('/'));
    if (parent.empty()) parent = "/";
    return {folder_url(parent), base_name(path), false, false, true, parent};
}

// "NAME:rest" where NAME is a defined alias.
std::optional<Location> alias_location(const std::string &arg) {
    size_t colon = arg.find(':');
    if (colon == std::string::npos || colon == 0 || arg.compare(colon, 3, "://") == 0)
        return std::nullopt;
    std::string name = arg.substr(0, colon);
    if (!valid_alias_name(name)) return std::nullopt;
    std::optional<std::string> url = find_alias(name);
    if (!url) return std::nullopt;
    std::string key = arg.substr(colon + 1);
    return Location{*url, key, key.empty(), false, false, ""};
}

bool has_option(const std::string &url, std::string_view name) {
    size_t query = url.find('?');
    if (query == std::string::npos) return false;
    std::string_view rest = std::string_view(url).substr(query + 1);
    while (!rest.empty()) {
        std::string_view pair = rest.substr(0, rest.find('&'));
        if (pair.substr(0, pair.find('=')) == name) return true;
        rest.remove_prefix(std::min(rest.size(), pair.size() + 1));
    }
    return false;
}

std::string with_option(const std::string &url, std::string_view name, std::string_view value) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + std::string(name) + "=" +
           std::string(value);
}

bool backend_has_option(const kvps_backend_info *backend, std::string_view name) {
    for (size_t i = 0; backend != nullptr && i < backend->option_count; ++i)
        if (const kvps_option_info *option = kvps_backend_option(backend, i);
            option != nullptr && option->name == name)
            return true;
    return false;
}

kvps_status try_open(const std::string &url, kvps_store **out) {
    *out = nullptr;
    return kvps_open(url.c_str(), out);
}

}  // namespace

std::string home_folder() {
    const char *home = std::getenv("HOME");
    if (home != nullptr && home[0] == '/') return home;
    if (const passwd *entry = getpwuid(getuid());
        entry != nullptr && entry->pw_dir != nullptr && entry->pw_dir[0] == '/')
        return entry->pw_dir;
    throw Failure{EXIT_USAGE, "no home folder: set HOME, or give --store"};
}

std::string base_name(const std::string &key) {
    size_t slash = key.rfind('/');
    return slash == std::string::npos ? key : key.substr(slash + 1);
}

std::string default_store_folder() {
    // The XDG base directory rules: a relative XDG_DATA_HOME is invalid and ignored.
    const char *data_home = std::getenv("XDG_DATA_HOME");
    std::string base = data_home != nullptr && data_home[0] == '/'
                           ? std::string(data_home)
                           : home_folder() + "/.local/share";
    return base + "/kvps/store";
}

Location current_store(const std::optional<std::string> &store_flag) {
    std::string given;
    if (store_flag)
        given = *store_flag;
    else if (const char *env = std::getenv("KVPS_STORE"); env != nullptr && env[0] != '\0')
        given = env;
    else  // the tool's own store keeps the encoded layout it always had
        return {
            folder_url(default_store_folder()) + "?pathmapped=false", "", true, true, false, ""};

    if (given.find("://") != std::string::npos) return {given, "", true, false, false, ""};
    if (valid_alias_name(given))
        if (std::optional<std::string> url = find_alias(given))
            return {*url, "", true, false, false, ""};
    struct stat info {};
    if (is_plain_path(given) || (::stat(given.c_str(), &info) == 0 && S_ISDIR(info.st_mode))) {
        std::string folder = absolute_path(given);
        return {folder_url(folder), "", true, false, true, folder};
    }
    // Text with an '@' may carry a password (user:secret@host without its scheme): not shown.
    std::string shown = given.find('@') == std::string::npos
                            ? "'" + given + "'"
                            : "(not shown: it may hold a password)";
    throw Failure{EXIT_USAGE, "store " + shown +
                                  " is not a URL (scheme://...), an alias (kvps alias ls) or a "
                                  "folder path (./dir, /abs/dir, ~/dir)"};
}

Location locate(const std::string &argument, const std::optional<std::string> &store_flag,
                MissingPath missing) {
    if (argument.find("://") != std::string::npos) return {argument, "", true, false, false, ""};
    if (std::optional<Location> alias = alias_location(argument)) return *alias;
    if (is_plain_path(argument)) return plain_path(argument, missing);
    Location store = current_store(store_flag);
    store.key = argument;
    store.whole_store = false;
    return store;
}

Store open_store(const Location &where, Role role, bool verbose, const char *name,
                 bool empty_is_fine) {
    std::string url = where.url;
    std::string scheme = url.substr(0, url.find(':'));
    const kvps_backend_info *backend = kvps_backend_find(scheme.c_str());
    // The default store before its first write, or a new folder in a dry run: empty, and
    // not created by reading it.
    bool default_missing =
        role == Role::source &&
        ((where.is_default && !std::filesystem::exists(default_store_folder())) ||
         (where.plain_path && where.whole_store && empty_is_fine &&
          !std::filesystem::exists(where.folder)));
    if (default_missing) {
        url = "memory://";
        backend = kvps_backend_find("memory");
    } else if (role == Role::source && backend_has_option(backend, "create") &&
               !has_option(url, "create"))
        url = with_option(url, "create", "false");
    bool layout_chosen =
        !backend_has_option(backend, "pathmapped") || has_option(url, "pathmapped");

    kvps_store *raw = nullptr;
    kvps_status status =
        try_open(layout_chosen ? url : with_option(url, "pathmapped", "true"), &raw);
    if (status == KVPS_INVALID_OPTION && !layout_chosen)  // already an encoded store
        status = try_open(with_option(url, "pathmapped", "false"), &raw);
    if (status != KVPS_OK) {
        std::string message = kvps_last_error();
        if (message.empty()) message = kvps_status_name(status);
        // Opening names no key: a store that does not exist is a store error, not "not found".
        throw Failure{status == KVPS_NOT_FOUND ? EXIT_STORAGE : exit_code_for(status), message};
    }
    Store store(raw);
    if (verbose)
        print_line(std::string(name) + ": " +
                   (default_missing ? redact_url(where.url) : kvps_store_url(store.get())));
    return store;
}

void commit(Writer writer, const std::string &context) {
    kvps_status status = kvps_writer_commit(writer.release());
    if (status != KVPS_OK)
        store_error(status, context);  // a write names no missing key: the store is missing
}

kvps_status delete_batch(kvps_store *store, std::span<const std::string> keys,
                         std::vector<kvps_status> &statuses) {
    std::vector<const char *> names;
    names.reserve(keys.size());
    for (const std::string &key : keys) names.push_back(key.c_str());
    statuses.assign(keys.size(), KVPS_OK);
    return kvps_delete_many(store, keys.size(), names.data(), statuses.data());
}

}  // namespace cli
