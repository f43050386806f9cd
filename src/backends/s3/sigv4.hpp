// AWS Signature Version 4 for header-signed requests (the Authorization header), as S3 wants
// it: no path normalization, the path URI-encoded once.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvps::s3 {

// The current UTC time as SigV4 wants it: "20150830T123600Z".
std::string amz_date_now();

// Lowercase hex of SHA-256(data).
std::string sha256_hex(const void *data, size_t size);
inline std::string sha256_hex(std::string_view text) {
    return sha256_hex(text.data(), text.size());
}

// SigV4's URI encoding: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase hex);
// '/' is kept when keep_slash is set (object paths), encoded otherwise (query values).
std::string uri_encode(std::string_view text, bool keep_slash);

struct SigningRequest {
    std::string_view method;  // "GET"
    std::string_view path;    // already URI-encoded, as sent on the wire ("/bucket/a%20b")
    std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
    std::vector<std::pair<std::string, std::string>> headers;  // every header to sign, incl. host
    std::string_view payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
    std::string_view amz_date;      // "20150830T123600Z"
    std::string_view region;
    std::string_view service;  // "s3"
};

struct Signature {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;      // hex
    std::string authorization;  // the Authorization header's value
};

Signature sign(const SigningRequest &request, std::string_view access_key_id,
               std::string_view secret_access_key);

// The canonical query string: names and values encoded, sorted by name then value.
std::string canonical_query(const std::vector<std::pair<std::string, std::string>> &query);

}  // namespace kvps::s3
