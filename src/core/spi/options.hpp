// Option declarations and the typed values a backend opens with. A backend declares its
// options (name, type, default, required, description) in its BackendSpec; the core checks
// every option given in the URL query or kvps_open_with against that table, once, before the
// backend opens, and hands the backend a Config of typed values.
//
// One word, one meaning: an option is one name=value a caller gives (declared by an
// OptionSpec); a Config is the checked, typed options one store opens with; a backend's
// Settings is its own struct built from its Config. PutOptions are per call (kvps_put_options).
#pragma once

#include "kvps.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "url.hpp"

namespace kvps {

struct OptionSpec {
    std::string name;  // lowercase
    kvps_option_type type = KVPS_OPTION_STRING;
    std::optional<std::string> default_value;
    bool required = false;
    std::string description;
    // Bounds for integer, size and duration options, written as values of the option's type
    // ("1", "5MiB", "24h"); a value outside them is KVPS_INVALID_OPTION, so a backend never
    // checks its own ranges. nullopt = unbounded on that side.
    std::optional<std::string> min = std::nullopt;
    std::optional<std::string> max = std::nullopt;
    // Other accepted names (lowercase), e.g. KVPSButter's; a value given under an alias is the
    // option's value. Shown by introspection; never both an alias and the name in one open.
    std::vector<std::string> aliases = {};
};

// One row of a backend's option table, the same style in every backend (nullptr: no default,
// no bound):
//     option_spec("part_size", KVPS_OPTION_SIZE, "8MiB", "multipart part size", "5MiB", "5GiB")
inline OptionSpec option_spec(std::string name, kvps_option_type type, const char *default_value,
                              std::string description, const char *min = nullptr,
                              const char *max = nullptr, std::vector<std::string> aliases = {}) {
    auto maybe = [](const char *s) { return s ? std::optional<std::string>(s) : std::nullopt; };
    return OptionSpec{std::move(name),        type,       maybe(default_value), false,
                      std::move(description), maybe(min), maybe(max),           std::move(aliases)};
}

class Config {
public:
    Config(Url url, std::map<std::string, std::string> values, const std::vector<OptionSpec> *specs)
        : url_(std::move(url)), values_(std::move(values)), specs_(specs) {}

    const Url &url() const { return url_; }

    // True when the option was given (in the URL or kvps_open_with), not just defaulted.
    bool given(std::string_view name) const;
    // The typed value of a declared option: given, else its default. Asking for an option
    // with neither is a bug in the backend (KVPS_INTERNAL); check given() first.
    std::string string(std::string_view name) const;  // string, url and secret options
    std::optional<std::string> optional_string(std::string_view name) const;
    bool boolean(std::string_view name) const;
    int64_t integer(std::string_view name) const;
    uint64_t size(std::string_view name) const;
    std::chrono::milliseconds duration(std::string_view name) const;

private:
    const std::string *raw(std::string_view name) const;
    Url url_;
    std::map<std::string, std::string> values_;  // lowercase name -> text as given
    const std::vector<OptionSpec> *specs_;
};

// The option types' parsers, shared by the validation step, Config's getters and backends that
// read values of their own (e.g. a connection string's). Each returns nullopt when the text is
// not of the type.
std::optional<bool> parse_bool(std::string_view text);
std::optional<int64_t> parse_integer(std::string_view text);
std::optional<uint64_t> parse_size(std::string_view text);
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace kvps
