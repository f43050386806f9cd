// Text helpers shared by the core, the backends and the tool, each written once. text.cpp
// depends on nothing else of the core, so the tool (a user of kvps.h only) compiles it in too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kvps {

// Percent-encodes everything but unreserved characters (A-Z a-z 0-9 - . _ ~) and `keep`, with
// uppercase hex digits (as RFC 3986 and SigV4 want).
std::string percent_encode(std::string_view text, std::string_view keep = "");

// Percent-decoding (core's URL parser); throws KVPS_INVALID_URL on a malformed escape naming
// `what` (e.g. "path"). '+' is kept as is.
std::string percent_decode(std::string_view text, std::string_view what);

// Lowercase hex of bytes ("00ff...").
std::string to_hex(std::string_view bytes);
// The value of one hex digit (either case), or -1.
int hex_digit_value(char c);
// One lowercase hex digit for 0..15.
inline char hex_digit(unsigned value) { return "0123456789abcdef"[value & 15]; }

// Base64 (RFC 4648): the standard alphabet with '=' padding, or with url = true the URL-safe
// alphabet without padding. Decoding returns nullopt on a character outside the alphabet.
std::string base64_encode(std::string_view bytes, bool url = false);
std::optional<std::string> base64_decode(std::string_view text, bool url = false);

// ASCII lowercase (locale-independent); other bytes are kept.
std::string lower(std::string_view text);

// text without one pair of surrounding double quotes ("\"abc\"" -> "abc"); else text as is.
std::string_view strip_quotes(std::string_view text);

}  // namespace kvps
