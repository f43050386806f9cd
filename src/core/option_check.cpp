// Checking the options given to kvps_open against a backend's table (option_check.hpp).
#include "option_check.hpp"

#include <algorithm>

#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = up;
        }
    }
    return row[b.size()];
}

const char *type_hint(kvps_option_type type) {
    switch (type) {
    case KVPS_OPTION_BOOL: return "a bool (true/false, 1/0, yes/no, on/off)";
    case KVPS_OPTION_INTEGER: return "an integer";
    case KVPS_OPTION_SIZE: return "a size (e.g. 1048576, 512k, 8MiB, 1G)";
    case KVPS_OPTION_DURATION: return "a duration (e.g. 250ms, 30s, 5m, 1h)";
    case KVPS_OPTION_URL: return "a URL (e.g. http://127.0.0.1:9000)";
    default: return "a string";
    }
}

bool value_fits(kvps_option_type type, const std::string &value) {
    switch (type) {
    case KVPS_OPTION_BOOL: return value.empty() || parse_bool(value).has_value();
    case KVPS_OPTION_INTEGER: return parse_integer(value).has_value();
    case KVPS_OPTION_SIZE: return parse_size(value).has_value();
    case KVPS_OPTION_DURATION: return parse_duration(value).has_value();
    case KVPS_OPTION_URL: {
        size_t sep = value.find("://");
        return sep != std::string::npos && sep > 0 && sep + 3 < value.size();
    }
    default: return true;
    }
}

// An integer, size (bytes) or duration (ms) as a number to compare with its bounds; long
// double holds every int64 and uint64 exactly.
std::optional<long double> magnitude(kvps_option_type type, const std::string &text) {
    switch (type) {
    case KVPS_OPTION_INTEGER:
        if (auto v = parse_integer(text)) return static_cast<long double>(*v);
        break;
    case KVPS_OPTION_SIZE:
        if (auto v = parse_size(text)) return static_cast<long double>(*v);
        break;
    case KVPS_OPTION_DURATION:
        if (auto v = parse_duration(text)) return static_cast<long double>(v->count());
        break;
    default: break;
    }
    return std::nullopt;
}

// "" when value is within spec's bounds, else what was expected ("between 1 and 64").
std::string range_miss(const OptionSpec &spec, const std::string &value) {
    if (!spec.min && !spec.max) return "";
    std::optional<long double> v = magnitude(spec.type, value);
    if (!v) return "";
    auto below = [&](const std::optional<std::string> &bound) {
        auto b = bound ? magnitude(spec.type, *bound) : std::nullopt;
        if (bound && !b)
            fail(KVPS_INTERNAL, "option \"" + spec.name + "\" has a bad bound \"" + *bound + "\"");
        return b;
    };
    std::optional<long double> low = below(spec.min), high = below(spec.max);
    if ((!low || *v >= *low) && (!high || *v <= *high)) return "";
    if (low && high) return "between " + *spec.min + " and " + *spec.max;
    return low ? "at least " + *spec.min : "at most " + *spec.max;
}

}  // namespace

std::map<std::string, std::string> check_options(
    std::string_view scheme, const std::vector<OptionSpec> &specs,
    const std::vector<std::pair<std::string, std::string>> &url_options,
    const std::vector<std::pair<std::string, std::string>> &extra_options) {
    std::string valid;
    for (const OptionSpec &spec : specs) valid += (valid.empty() ? "" : ", ") + spec.name;
    if (valid.empty()) valid = "none";

    std::map<std::string, std::string> values;
    auto take = [&](const std::string &given_name, const std::string &value, bool from_url) {
        std::string as_given = lower(given_name);
        const OptionSpec *spec = nullptr;
        for (const OptionSpec &s : specs)
            if (s.name == as_given ||
                std::find(s.aliases.begin(), s.aliases.end(), as_given) != s.aliases.end())
                spec = &s;
        std::string name = spec ? spec->name : as_given;
        if (!spec) {
            std::string message =
                "unknown option \"" + given_name + "\" for " + std::string(scheme) + "://";
            const OptionSpec *nearest = nullptr;
            size_t best = SIZE_MAX;
            for (const OptionSpec &s : specs) {
                size_t d = edit_distance(name, s.name);
                if (d < best) best = d, nearest = &s;
            }
            if (nearest && best <= std::max<size_t>(2, nearest->name.size() / 3))
                message += "; did you mean \"" + nearest->name + "\"?";
            fail(KVPS_INVALID_OPTION, message + " (valid options: " + valid + ")");
        }
        // Option values reach request headers, paths and file names: a CR or LF would add a
        // header line. The value is not repeated (it may be a secret).
        for (unsigned char c : value)
            if (c < 0x20 || c == 0x7f)
                fail(KVPS_INVALID_OPTION,
                     "option \"" + name + "\" contains a control character (CR, LF, tab...)");
        if (from_url && values.count(name))
            fail(KVPS_INVALID_OPTION,
                 "option \"" + name + "\" is given more than once in the URL" +
                     (as_given != name ? " (once as its alias \"" + as_given + "\")" : ""));
        if (!value_fits(spec->type, value)) {
            std::string shown = spec->type == KVPS_OPTION_SECRET ? "(secret)" : "\"" + value + "\"";
            fail(KVPS_INVALID_OPTION, "option \"" + name + "\" has value " + shown + ", expected " +
                                          type_hint(spec->type));
        }
        std::string expected = range_miss(*spec, value);
        std::string noun(type_hint(spec->type));
        noun = noun.substr(0, noun.find(" ("));
        if (!expected.empty())
            fail(KVPS_INVALID_OPTION, "option \"" + name + "\" has value \"" + value +
                                          "\", expected " + noun + " " + expected);
        values[name] = value;
    };
    for (const auto &[name, value] : url_options) take(name, value, true);
    for (const auto &[name, value] : extra_options) take(name, value, false);
    for (const OptionSpec &spec : specs)
        if (spec.required && !values.count(spec.name))
            fail(KVPS_INVALID_OPTION, "missing required option \"" + spec.name + "\" for " +
                                          std::string(scheme) + "://: " + spec.description);
    return values;
}

}  // namespace kvps
