#include "aliases.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.hpp"
#include "kvps.h"
#include "output.hpp"
#include "store.hpp"

namespace cli {
namespace {

bool is_secret_option(const kvps_backend_info *backend, std::string_view name) {
    for (size_t i = 0; backend != nullptr && i < backend->option_count; ++i)
        if (const kvps_option_info *option = kvps_backend_option(backend, i);
            option != nullptr && option->name == name)
            return option->type == KVPS_OPTION_SECRET;
    return false;
}

}  // namespace

bool valid_alias_name(const std::string &name) {
    if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0])))
        return false;
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
            return false;
    return true;
}

std::string aliases_file() {
    // The XDG base directory rules: a relative XDG_CONFIG_HOME is invalid and ignored.
    const char *config_home = std::getenv("XDG_CONFIG_HOME");
    std::string base = config_home != nullptr && config_home[0] == '/' ? std::string(config_home)
                                                                       : home_folder() + "/.config";
    return base + "/kvps/aliases";
}

std::map<std::string, std::string> load_aliases() {
    std::map<std::string, std::string> aliases;
    std::ifstream in(aliases_file());
    std::string line;
    while (std::getline(in, line)) {
        size_t space = line.find(' ');
        if (line.empty() || line[0] == '#' || space == std::string::npos) continue;
        aliases[line.substr(0, space)] = line.substr(space + 1);
    }
    return aliases;
}

std::optional<std::string> find_alias(const std::string &name) {
    static const std::map<std::string, std::string> aliases = load_aliases();
    auto found = aliases.find(name);
    if (found == aliases.end()) return std::nullopt;
    return found->second;
}

void save_aliases(const std::map<std::string, std::string> &aliases) {
    std::string path = aliases_file();
    std::string folder = path.substr(0, path.rfind('/'));
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error) throw Failure{EXIT_STORAGE, "cannot create " + folder + ": " + error.message()};
    std::string text = "# kvps aliases: NAME URL (kvps alias set/rm edit this file)\n";
    for (const auto &[name, url] : aliases) text += name + " " + url + "\n";
    // Written beside, then renamed: never half a file; 0600 from the start, as URLs may hold
    // secret keys.
    std::string temp = path + "." + std::to_string(::getpid()) + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && ::fchmod(fd, 0600) == 0 && write_all(fd, text.data(), text.size()) &&
              ::fsync(fd) == 0;
    int saved = errno;
    if (fd >= 0 && ::close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && ::rename(temp.c_str(), path.c_str()) != 0) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        ::unlink(temp.c_str());
        throw Failure{EXIT_STORAGE, "cannot write " + path + ": " + std::strerror(saved)};
    }
}

std::string redact_url(const std::string &url) {
    std::string out = url;
    size_t scheme_end = out.find("://");
    if (scheme_end == std::string::npos) return out;
    const kvps_backend_info *backend = kvps_backend_find(out.substr(0, scheme_end).c_str());
    // user:password@ in the authority
    size_t authority = scheme_end + 3;
    size_t authority_end = out.find_first_of("/?#", authority);
    size_t at = out.rfind('@', authority_end);
    if (at != std::string::npos && at >= authority) {
        size_t colon = out.find(':', authority);
        if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
    // secret options in the query
    size_t query = out.find('?');
    if (query == std::string::npos) return out;
    std::string result = out.substr(0, query + 1);
    std::string rest = out.substr(query + 1);
    size_t start = 0;
    while (start <= rest.size()) {
        size_t end = rest.find('&', start);
        if (end == std::string::npos) end = rest.size();
        std::string pair = rest.substr(start, end - start);
        size_t eq = pair.find('=');
        if (eq != std::string::npos && is_secret_option(backend, pair.substr(0, eq)))
            pair = pair.substr(0, eq + 1) + "***";
        result += pair;
        if (end < rest.size()) result += '&';
        start = end + 1;
    }
    return result;
}

}  // namespace cli
