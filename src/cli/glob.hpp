// Glob patterns on keys: '*' matches any run of characters but '/', '?' one character but '/',
// '**' any run including '/', and '\' makes the next character literal.
#pragma once

#include <string>
#include <string_view>

namespace cli {

bool has_wildcards(std::string_view pattern);

// The pattern's text before its first wildcard, unescaped: the prefix to list.
std::string literal_prefix(std::string_view pattern);

bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace cli
