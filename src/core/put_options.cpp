#include "spi/put_options.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "spi/error.hpp"

namespace kvps {
namespace {

// S3 servers differ on whether the x-amz-meta- prefix counts toward the 2 KiB (MinIO counts
// it): kvps counts it, so a value written anywhere can be copied to any S3 server.
constexpr std::string_view kMetadataPrefix = "x-amz-meta-";

bool is_token_char(unsigned char c) {
    return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_printable(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

}  // namespace

Properties PutOptions::properties() const {
    return Properties{content_type.value_or(""), metadata.value_or(MetadataList{})};
}

Properties PutOptions::properties_over(const Properties &source) const {
    return Properties{content_type.value_or(source.content_type),
                      metadata.value_or(source.metadata)};
}

PutOptions PutOptions::without_condition() const {
    PutOptions copy = *this;
    copy.create_only = false;
    copy.if_match.clear();
    return copy;
}

std::string describe_condition(const PutOptions &options) {
    if (options.create_only) return "create_only";
    return "if_match \"" + options.if_match + "\"";
}

void fail_condition(std::string_view key, const PutOptions &options, std::string_view why) {
    fail(KVPS_PRECONDITION_FAILED, "key " + quote(key) + ": condition " +
                                       describe_condition(options) +
                                       " failed: " + std::string(why));
}

void check_condition(std::string_view key, const PutOptions &options,
                     const std::string *current_etag) {
    if (options.create_only && current_etag) fail_condition(key, options, "the key exists");
    if (options.if_match.empty()) return;
    if (!current_etag) fail_condition(key, options, "the key does not exist");
    if (*current_etag != options.if_match)
        fail_condition(key, options, "the value's etag is \"" + *current_etag + "\"");
}

void check_content_type(std::string_view content_type) {
    if (content_type.empty() || content_type.size() >= KVPS_CONTENT_TYPE_MAX ||
        !is_printable(content_type))
        fail(KVPS_INVALID_ARGUMENT, "content type " + quote(content_type) + " is not 1 to " +
                                        std::to_string(KVPS_CONTENT_TYPE_MAX - 1) +
                                        " bytes of printable ASCII");
}

MetadataList checked_metadata(std::vector<std::pair<std::string, std::string>> pairs) {
    size_t total = 0;
    for (auto &[name, value] : pairs) {
        if (name.empty() ||
            !std::all_of(name.begin(), name.end(), [](char c) { return is_token_char(c); }))
            fail(KVPS_INVALID_ARGUMENT,
                 "metadata name " + quote(name) +
                     " is not made of letters, digits and !#$%&'*+-.^_`|~ (S3's rule)");
        if (!is_printable(value) ||
            (!value.empty() && (value.front() == ' ' || value.back() == ' ')))
            fail(KVPS_INVALID_ARGUMENT,
                 "metadata " + quote(name) + " has value " + quote(value) +
                     ": values are printable ASCII without leading or trailing spaces");
        for (char &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name.starts_with("kvps-"))
            fail(KVPS_INVALID_ARGUMENT,
                 "metadata name " + quote(name) +
                     " starts with \"kvps-\", which kvps keeps for its own (checksums)");
        total += kMetadataPrefix.size() + name.size() + value.size();
    }
    if (total > KVPS_METADATA_MAX)
        fail(KVPS_INVALID_ARGUMENT,
             "metadata is " + std::to_string(total) +
                 " bytes (names with their x-amz-meta- prefix, and values); at most " +
                 std::to_string(KVPS_METADATA_MAX) + " are allowed (S3's limit)");
    std::sort(pairs.begin(), pairs.end());
    for (size_t i = 1; i < pairs.size(); ++i)
        if (pairs[i].first == pairs[i - 1].first)
            fail(KVPS_INVALID_ARGUMENT, "metadata name " + quote(pairs[i].first) +
                                            " is given twice (names are case-insensitive)");
    return pairs;
}

PutOptions put_options_from(const kvps_put_options *options) {
    PutOptions out;
    if (!options) return out;
    if (options->version != KVPS_PUT_OPTIONS_VERSION)
        fail(KVPS_INVALID_ARGUMENT, "kvps_put_options.version is " +
                                        std::to_string(options->version) +
                                        "; initialize it with KVPS_PUT_OPTIONS_INIT");
    out.create_only = options->create_only != 0;
    if (options->if_match) {
        out.if_match = options->if_match;
        if (out.if_match.empty() || out.if_match.size() >= KVPS_ETAG_MAX ||
            !is_printable(out.if_match))
            fail(KVPS_INVALID_ARGUMENT,
                 "if_match " + quote(out.if_match) + " is not an etag (1 to " +
                     std::to_string(KVPS_ETAG_MAX - 1) + " printable bytes)");
        if (out.create_only)
            fail(KVPS_INVALID_ARGUMENT,
                 "create_only and if_match \"" + out.if_match +
                     "\" cannot be combined: a key cannot both be missing and have an etag");
    }
    if (options->content_type) {
        check_content_type(options->content_type);
        out.content_type = options->content_type;
    }
    if (options->metadata_count && !options->metadata)
        fail(KVPS_INVALID_ARGUMENT, "kvps_put_options.metadata is NULL but metadata_count is " +
                                        std::to_string(options->metadata_count));
    if (options->metadata) {
        std::vector<std::pair<std::string, std::string>> pairs;
        for (size_t i = 0; i < options->metadata_count; ++i) {
            const kvps_option &o = options->metadata[i];
            if (!o.name)
                fail(KVPS_INVALID_ARGUMENT, "metadata[" + std::to_string(i) + "].name is NULL");
            if (!o.value)
                fail(KVPS_INVALID_ARGUMENT, "value of metadata " + quote(o.name) + " is NULL");
            pairs.emplace_back(o.name, o.value);
        }
        out.metadata = checked_metadata(std::move(pairs));
    }
    return out;
}

std::string encode_properties(const Properties &properties) {
    std::string out = "kvps1\n";
    out += properties.content_type;
    out += '\0';
    for (const auto &[name, value] : properties.metadata) {
        out += name;
        out += '\0';
        out += value;
        out += '\0';
    }
    return out;
}

std::optional<Properties> decode_properties(std::string_view blob) {
    if (!blob.starts_with("kvps1\n")) return std::nullopt;
    blob.remove_prefix(6);
    std::vector<std::string> fields;
    while (!blob.empty()) {
        size_t nul = blob.find('\0');
        if (nul == std::string_view::npos) return std::nullopt;
        fields.emplace_back(blob.substr(0, nul));
        blob.remove_prefix(nul + 1);
    }
    if (fields.empty() || fields.size() % 2 != 1) return std::nullopt;
    Properties out;
    out.content_type = fields[0];
    for (size_t i = 1; i < fields.size(); i += 2)
        out.metadata.emplace_back(fields[i], fields[i + 1]);
    return out;
}

}  // namespace kvps
