// A small JSON reader for the services that answer in JSON (the S3 credential sources:
// credential_process, container and instance metadata endpoints, the SSO portal and its token
// cache; the cloud stores' APIs).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kvps::net {

struct JsonValue {
    enum class Kind { Null, Bool, Number, String, Object, Array } kind = Kind::Null;
    std::string text;  // a string's value, a number's or a bool's spelling
    std::map<std::string, JsonValue> members;
    std::vector<JsonValue> items;

    // A member of an object; nullptr when absent or when this is not an object.
    const JsonValue *get(const std::string &name) const;
    // A member's text ("" when absent or an object/array).
    std::string text_of(const std::string &name) const;
};

// Parses a whole document. Throws KVPS_REMOTE "<what> is not valid JSON (...)" without
// repeating the text, which may hold secrets.
JsonValue parse_json(std::string_view text, std::string_view what);

}  // namespace kvps::net
