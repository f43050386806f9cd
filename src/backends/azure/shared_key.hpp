// Shared Key authorization of Blob service requests (version 2009-09-19 and later): an
// HMAC-SHA256, keyed with the account key, over the request's canonical form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvps::azure {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct SignedRequest {
    std::string_view method;
    std::string_view account;
    std::string_view path;  // the URL's path as sent (percent-encoded), e.g. "/container/a%20b"
    const Pairs &query;     // decoded names and values
    const Pairs &headers;   // every header sent but Authorization (Content-Length aside)
    uint64_t content_length = 0;
};

// The string to sign: the verb, the standard headers (Content-Length empty when 0), the
// x-ms-* headers (names lower-cased, sorted, values trimmed), then the canonicalized resource
// "/ACCOUNT" + path and one "\nname:value[,value]" line per query parameter (names lower-cased
// and sorted; a parameter's values sorted and joined by commas).
std::string string_to_sign(const SignedRequest &request);

// Base64 of HMAC-SHA256(key, string_to_sign), key being the decoded account key.
std::string shared_key_signature(std::string_view key, std::string_view to_sign);

// "SharedKey ACCOUNT:SIGNATURE".
std::string shared_key_authorization(const SignedRequest &request, std::string_view key);

}  // namespace kvps::azure
