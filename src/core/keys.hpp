// Key rules shared by every backend, checked once in the core: non-empty UTF-8 of at most
// KVPS_KEY_MAX bytes without control characters.
#pragma once

#include <string_view>

namespace kvps {

// Throws KVPS_INVALID_ARGUMENT for NULL and KVPS_INVALID_KEY naming the key otherwise.
std::string_view check_key(const char *key);

// True when text is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool is_utf8(std::string_view text);

}  // namespace kvps
