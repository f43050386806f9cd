// Named stores, like mc aliases and rclone remotes: "kvps alias set NAME URL" keeps them in
// ${XDG_CONFIG_HOME:-~/.config}/kvps/aliases, one "NAME URL" a line, a file of mode 0600 (a URL
// may hold a secret key).
#pragma once

#include <map>
#include <optional>
#include <string>

namespace cli {

// NAME: letters, digits, '_', '-', '.', starting with a letter or digit.
bool valid_alias_name(const std::string &name);

std::string aliases_file();
std::map<std::string, std::string> load_aliases();
std::optional<std::string> find_alias(const std::string &name);
void save_aliases(const std::map<std::string, std::string> &aliases);

// The URL with its password and every secret option replaced by "***".
std::string redact_url(const std::string &url);

}  // namespace cli
