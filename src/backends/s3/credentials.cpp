// Credential, region and endpoint resolution (see credentials.hpp for the order).
#include "credentials.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>

#include "spi/error.hpp"

namespace kvps::s3 {
namespace {

std::string env(const char *name) {
    const char *value = std::getenv(name);
    return value ? value : "";
}

std::string trim(std::string_view text) {
    size_t begin = text.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) return "";
    size_t end = text.find_last_not_of(" \t\r");
    return std::string(text.substr(begin, end - begin + 1));
}

std::string home_file(const char *override_var, const char *name) {
    std::string path = env(override_var);
    if (!path.empty()) return path;
    std::string home = env("HOME");
    return home.empty() ? "" : home + "/.aws/" + name;
}

std::string profile_name() {
    std::string name = env("AWS_PROFILE");
    return name.empty() ? "default" : name;
}

// The key = value pairs of one [section] of an INI file; empty when the file or section is
// missing. Keys are lowercased, as the AWS tools treat them.
std::map<std::string, std::string> read_section(const std::string &path, const std::string &section) {
    std::map<std::string, std::string> out;
    if (path.empty()) return out;
    std::ifstream in(path);
    bool inside = false;
    for (std::string line; std::getline(in, line);) {
        std::string text = trim(line);
        if (text.empty() || text[0] == '#' || text[0] == ';') continue;
        if (text.front() == '[') {
            inside = text.back() == ']' && trim(text.substr(1, text.size() - 2)) == section;
            continue;
        }
        size_t eq = text.find('=');
        if (!inside || eq == std::string::npos) continue;
        std::string key = trim(text.substr(0, eq));
        for (char &c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out[key] = trim(text.substr(eq + 1));
    }
    return out;
}

std::map<std::string, std::string> config_profile() {
    std::string name = profile_name();
    std::string path = home_file("AWS_CONFIG_FILE", "config");
    auto section = read_section(path, name == "default" ? "default" : "profile " + name);
    if (section.empty() && name != "default") section = read_section(path, name);
    return section;
}

// Fills out from one source; true when the source had credentials.
bool take(Credentials &out, std::string id, std::string secret, std::string token,
          const char *source) {
    if (id.empty() && secret.empty()) return false;
    if (id.empty() || secret.empty())
        fail(KVPS_INVALID_OPTION, std::string("s3: credentials from ") + source + ": " +
                                      (id.empty() ? "a secret access key without an access key id"
                                                  : "an access key id without a secret access key"));
    out = Credentials{std::move(id), std::move(secret), std::move(token), source};
    return true;
}

}  // namespace

Credentials resolve_credentials(const Config &config) {
    Credentials out;
    auto option = [&](const char *name) {
        return config.given(name) ? config.string(name) : std::string();
    };
    if (take(out, option("access_key_id"), option("secret_access_key"), option("session_token"),
             "the options"))
        return out;
    const Url &url = config.url();
    if (take(out, url.user, url.password, option("session_token"), "the URL"))
        return out;
    if (take(out, env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN"),
             "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"))
        return out;
    std::string profile = profile_name();
    auto creds = read_section(home_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"), profile);
    if (take(out, creds["aws_access_key_id"], creds["aws_secret_access_key"],
             creds["aws_session_token"], "the shared credentials file"))
        return out;
    auto conf = config_profile();
    if (take(out, conf["aws_access_key_id"], conf["aws_secret_access_key"],
             conf["aws_session_token"], "the shared config file"))
        return out;
    out.source = "none (anonymous requests)";
    return out;
}

std::string resolve_region(const Config &config) {
    if (config.given("region")) return config.string("region");
    for (const char *name : {"AWS_REGION", "AWS_DEFAULT_REGION"})
        if (std::string value = env(name); !value.empty()) return value;
    if (std::string value = config_profile()["region"]; !value.empty()) return value;
    return "us-east-1";
}

std::optional<std::string> resolve_endpoint(const Config &config) {
    if (config.given("endpoint")) return config.string("endpoint");
    for (const char *name : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"})
        if (std::string value = env(name); !value.empty()) return value;
    if (std::string value = config_profile()["endpoint_url"]; !value.empty()) return value;
    return std::nullopt;
}

}  // namespace kvps::s3
