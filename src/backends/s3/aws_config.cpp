// The shared config and credentials files (see aws_config.hpp).
#include "aws_config.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string_view>

namespace kvps::s3 {
namespace {

std::string trim(std::string_view text) {
    size_t begin = text.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) return "";
    size_t end = text.find_last_not_of(" \t\r");
    return std::string(text.substr(begin, end - begin + 1));
}

std::string lower(std::string text) {
    for (char &c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

std::string aws_file(const char *override_var, const char *name) {
    std::string path = env(override_var);
    if (!path.empty()) return path;
    std::string home = env("HOME");
    return home.empty() ? "" : home + "/.aws/" + name;
}

// Every section of an INI text by its (trimmed) header.
void parse_ini(std::string_view text, std::map<std::string, IniSection> &out) {
    IniSection *section = nullptr;
    std::string parent;  // the key of a nested block ("s3 =" with its value on indented lines)
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        std::string trimmed = trim(line);
        if (trimmed.empty() || trimmed[0] == '#' || trimmed[0] == ';') continue;
        if (trimmed.front() == '[') {
            section = nullptr;
            parent.clear();
            if (trimmed.back() == ']') section = &out[trim(trimmed.substr(1, trimmed.size() - 2))];
            continue;
        }
        size_t eq = trimmed.find('=');
        if (!section || eq == std::string::npos) continue;
        std::string key = lower(trim(trimmed.substr(0, eq)));
        std::string value = trim(trimmed.substr(eq + 1));
        bool indented = line[0] == ' ' || line[0] == '\t';
        if (indented && !parent.empty()) {
            (*section)[parent + "." + key] = value;
            continue;
        }
        parent = value.empty() ? key : "";
        (*section)[key] = value;
    }
}

// The whole file; false when it cannot be read.
bool read_file(const std::string &path, std::string &out) {
    if (path.empty()) return false;
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

std::string lookup(const std::map<std::string, IniSection> &sections, const std::string &profile,
                   const std::string &name) {
    auto it = sections.find(profile);
    if (it == sections.end()) return "";
    auto value = it->second.find(name);
    return value == it->second.end() ? "" : value->second;
}

}  // namespace

std::string env(const char *name) {
    const char *value = std::getenv(name);
    return value ? value : "";
}

AwsFiles AwsFiles::load() {
    std::string credentials, config;
    std::string credentials_path = aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    std::string config_path = aws_file("AWS_CONFIG_FILE", "config");
    bool credentials_found = read_file(credentials_path, credentials);
    bool config_found = read_file(config_path, config);
    AwsFiles files = parse(credentials, config);
    files.credentials_path_ = credentials_path;
    files.config_path_ = config_path;
    files.credentials_found_ = credentials_found;
    files.config_found_ = config_found;
    return files;
}

AwsFiles AwsFiles::parse(std::string_view credentials, std::string_view config) {
    AwsFiles files;
    parse_ini(credentials, files.credentials_);
    std::map<std::string, IniSection> raw;
    parse_ini(config, raw);
    // [profile NAME] wins over a bare [NAME] (which the AWS CLI also accepts); [default] and
    // [profile default] are the same profile.
    for (auto &[header, settings] : raw) {
        if (header.starts_with("sso-session ")) {
            files.sso_sessions_[trim(header.substr(12))] = settings;
        } else if (header.starts_with("profile ")) {
            files.config_[trim(header.substr(8))] = settings;
        } else if (!raw.contains("profile " + header)) {
            files.config_[header] = settings;
        }
    }
    return files;
}

bool AwsFiles::has_profile(const std::string &name) const {
    return credentials_.contains(name) || config_.contains(name);
}

std::string AwsFiles::get(const std::string &profile, const std::string &name) const {
    std::string value = from_credentials(profile, name);
    return value.empty() ? from_config(profile, name) : value;
}

std::string AwsFiles::from_credentials(const std::string &profile, const std::string &name) const {
    return lookup(credentials_, profile, name);
}

std::string AwsFiles::from_config(const std::string &profile, const std::string &name) const {
    return lookup(config_, profile, name);
}

std::optional<IniSection> AwsFiles::sso_session(const std::string &name) const {
    auto it = sso_sessions_.find(name);
    if (it == sso_sessions_.end()) return std::nullopt;
    return it->second;
}

std::string AwsFiles::describe() const {
    auto one = [](const std::string &path, bool found) {
        if (path.empty()) return std::string("(no HOME: no shared file)");
        return path + (found ? "" : " (missing)");
    };
    return one(credentials_path_, credentials_found_) + " and " + one(config_path_, config_found_);
}

ProfileChoice choose_profile(const std::optional<std::string> &option) {
    if (option && !option->empty()) return {*option, "option profile"};
    for (const char *name : {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"})
        if (std::string value = env(name); !value.empty()) return {value, name};
    return {"default", ""};
}

}  // namespace kvps::s3
