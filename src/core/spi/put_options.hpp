// Conditional writes and value properties (content type, user metadata) as backends see them.
// The C shims build a PutOptions from a kvps_put_options, validating every field, so a backend
// only ever sees well-formed names and values (lower-case names, in byte order, within limits).
#pragma once

#include "kvps.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvps {

// User metadata: names in lower case, sorted by name, each once.
using MetadataList = std::vector<std::pair<std::string, std::string>>;

struct Properties {
    std::string content_type;  // "" = none stored: reported as application/octet-stream
    MetadataList metadata;
    bool operator==(const Properties &) const = default;
};

inline constexpr std::string_view kDefaultContentType = "application/octet-stream";

struct PutOptions {
    bool create_only = false;
    std::string if_match;                     // "" = no condition
    std::optional<std::string> content_type;  // put: nullopt = none; copy: the source's
    std::optional<MetadataList> metadata;     // put: nullopt = none; copy: the source's

    bool conditional() const { return create_only || !if_match.empty(); }
    bool sets_properties() const { return content_type.has_value() || metadata.has_value(); }
    // What a put stores: the given properties, else none.
    Properties properties() const;
    // What a copy stores: the given properties over the source's.
    Properties properties_over(const Properties &source) const;
    // The same options with the condition dropped (a copy's source side, say).
    PutOptions without_condition() const;
};

// "create_only" or "if_match \"etag\"", for messages.
std::string describe_condition(const PutOptions &options);

// Throws KVPS_PRECONDITION_FAILED, naming the key and the condition, unless the condition holds
// for the key's current value (current_etag nullptr: the key has no value).
void check_condition(std::string_view key, const PutOptions &options,
                     const std::string *current_etag);
[[noreturn]] void fail_condition(std::string_view key, const PutOptions &options,
                                 std::string_view why);

// Validates and converts the C options (nullptr: no options). Throws KVPS_INVALID_ARGUMENT
// naming the culprit.
PutOptions put_options_from(const kvps_put_options *options);

// Checks one metadata list / content type; throws KVPS_INVALID_ARGUMENT naming the culprit.
// Names come back in lower case, sorted.
MetadataList checked_metadata(std::vector<std::pair<std::string, std::string>> pairs);
void check_content_type(std::string_view content_type);

// A compact, self-delimiting text form of properties, for backends that keep them as one blob
// (file:// in an extended attribute): "kvps1\n" then the content type, then name/value pairs,
// each field followed by a NUL. decode_properties returns nullopt for anything else.
std::string encode_properties(const Properties &properties);
std::optional<Properties> decode_properties(std::string_view blob);

}  // namespace kvps
