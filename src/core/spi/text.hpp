// Text helpers shared by the core, the backends and the tool: each written once.
#pragma once

#include <string>
#include <string_view>

namespace kvps {

// Percent-decoding; throws KVPS_INVALID_URL on a malformed escape naming `what` (e.g. "path").
// '+' is kept as is.
std::string percent_decode(std::string_view text, std::string_view what);

// Percent-encodes everything but unreserved characters (A-Z a-z 0-9 - . _ ~) and `keep`,
// with uppercase hex digits (as RFC 3986 and SigV4 want).
std::string percent_encode(std::string_view text, std::string_view keep = "");

// ASCII lowercase (locale-independent); other bytes are kept.
std::string lower(std::string_view text);

}  // namespace kvps
