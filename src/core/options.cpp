// The option types' parsers and the typed getters of Config (spi/options.hpp).
#include "spi/options.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps {
namespace {

// Splits "123abc" into the number and its unit; nullopt when there are no digits or overflow.
std::optional<std::pair<uint64_t, std::string>> number_and_unit(std::string_view text) {
    size_t i = 0;
    uint64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        unsigned digit = static_cast<unsigned>(text[i] - '0');
        if (n > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
        n = n * 10 + digit;
        ++i;
    }
    if (i == 0) return std::nullopt;
    std::string unit = lower(text.substr(i));
    while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
    return std::make_pair(n, unit);
}

}  // namespace

std::optional<bool> parse_bool(std::string_view text) {
    std::string t = lower(text);
    if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "0" || t == "no" || t == "off") return false;
    return std::nullopt;
}

std::optional<int64_t> parse_integer(std::string_view text) {
    bool negative = false;
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    auto nu = number_and_unit(text);
    if (!nu || !nu->second.empty()) return std::nullopt;
    uint64_t limit = negative ? uint64_t(std::numeric_limits<int64_t>::max()) + 1
                              : uint64_t(std::numeric_limits<int64_t>::max());
    if (nu->first > limit) return std::nullopt;
    return negative ? static_cast<int64_t>(0 - nu->first) : static_cast<int64_t>(nu->first);
}

std::optional<uint64_t> parse_size(std::string_view text) {
    auto nu = number_and_unit(text);
    if (!nu) return std::nullopt;
    static const std::pair<const char *, int> units[] = {
        {"", 0},    {"b", 0}, {"k", 1},  {"kb", 1},  {"kib", 1}, {"m", 2},  {"mb", 2},
        {"mib", 2}, {"g", 3}, {"gb", 3}, {"gib", 3}, {"t", 4},   {"tb", 4}, {"tib", 4}};
    for (const auto &[name, power] : units) {
        if (nu->second != name) continue;
        uint64_t n = nu->first;
        for (int i = 0; i < power; ++i) {
            if (n > std::numeric_limits<uint64_t>::max() / 1024) return std::nullopt;
            n *= 1024;
        }
        return n;
    }
    return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    auto nu = number_and_unit(text);
    if (!nu) return std::nullopt;
    static const std::pair<const char *, uint64_t> units[] = {
        {"", 1000}, {"s", 1000}, {"ms", 1}, {"m", 60'000}, {"min", 60'000}, {"h", 3'600'000}};
    for (const auto &[name, factor] : units) {
        if (nu->second != name) continue;
        if (nu->first > uint64_t(std::numeric_limits<int64_t>::max()) / factor) return std::nullopt;
        return std::chrono::milliseconds(static_cast<int64_t>(nu->first * factor));
    }
    return std::nullopt;
}

bool Config::given(std::string_view name) const { return values_.count(lower(name)) != 0; }

const std::string *Config::raw(std::string_view name) const {
    std::string key = lower(name);
    auto it = values_.find(key);
    if (it != values_.end()) return &it->second;
    for (const OptionSpec &spec : *specs_)
        if (spec.name == key) {
            if (spec.default_value) return &*spec.default_value;
            return nullptr;
        }
    fail(KVPS_INTERNAL, "backend asked for undeclared option \"" + key + "\"");
}

std::optional<std::string> Config::optional_string(std::string_view name) const {
    const std::string *v = raw(name);
    if (!v) return std::nullopt;
    return *v;
}

std::string Config::string(std::string_view name) const {
    const std::string *v = raw(name);
    if (!v) fail(KVPS_INTERNAL, "option \"" + std::string(name) + "\" has no value and no default");
    return *v;
}

bool Config::boolean(std::string_view name) const {
    std::string v = string(name);
    return v.empty() ? true : parse_bool(v).value_or(false);
}

int64_t Config::integer(std::string_view name) const {
    return parse_integer(string(name)).value_or(0);
}

uint64_t Config::size(std::string_view name) const { return parse_size(string(name)).value_or(0); }

std::chrono::milliseconds Config::duration(std::string_view name) const {
    return parse_duration(string(name)).value_or(std::chrono::milliseconds(0));
}

}  // namespace kvps
