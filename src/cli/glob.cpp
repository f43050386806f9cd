#include "glob.hpp"

namespace cli {

bool has_wildcards(std::string_view pattern) {
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\')
            ++i;
        else if (pattern[i] == '*' || pattern[i] == '?')
            return true;
    }
    return false;
}

std::string literal_prefix(std::string_view pattern) {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '*' || c == '?') break;
        if (c == '\\' && i + 1 < pattern.size()) c = pattern[++i];
        out += c;
    }
    return out;
}

// Backtracking on the last star seen keeps this linear in practice; '**' may cross '/', so a
// single star resumes only while the text it swallows has no '/'.
bool glob_match(std::string_view p, std::string_view t) {
    if (p.empty()) return t.empty();
    if (p[0] == '*') {
        bool deep = p.size() > 1 && p[1] == '*';
        std::string_view rest = p.substr(deep ? 2 : 1);
        // "**/" also matches no folder at all: "a/**/b" matches "a/b".
        if (deep && rest.starts_with('/') && glob_match(rest.substr(1), t)) return true;
        for (size_t i = 0; i <= t.size(); ++i) {
            if (glob_match(rest, t.substr(i))) return true;
            if (i < t.size() && t[i] == '/' && !deep) return false;
        }
        return false;
    }
    if (t.empty()) return false;
    if (p[0] == '?') return t[0] != '/' && glob_match(p.substr(1), t.substr(1));
    char c = p[0];
    size_t used = 1;
    if (c == '\\' && p.size() > 1) {
        c = p[1];
        used = 2;
    }
    return c == t[0] && glob_match(p.substr(used), t.substr(1));
}

}  // namespace cli
