#include "url.hpp"

#include "spi/text.hpp"

#include "kvps.h"

#include <cctype>

#include "spi/error.hpp"

namespace kvps {
namespace {

// Where the user info of a URL may lie: from just after "//" (or the start) to the last '@'.
// Empty when there is no '@' there, or the authority is empty ("file:///a@b").
std::pair<size_t, size_t> userinfo_zone(std::string_view text) {
    size_t slashes = text.find("//");
    size_t start = slashes == std::string_view::npos ? 0 : slashes + 2;
    size_t at = text.rfind('@');
    if (at == std::string_view::npos || at < start || text.substr(start).starts_with("/"))
        return {0, 0};
    return {start, at};
}

bool has_control(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7f) return true;
    return false;
}

}  // namespace

std::string redact_userinfo(std::string_view text) {
    auto [start, end] = userinfo_zone(text);
    if (start == end) return std::string(text);
    return std::string(text.substr(0, start)) + "***" + std::string(text.substr(end));
}

std::string percent_decode(std::string_view text, std::string_view what) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        int hi = i + 1 < text.size() ? hex_digit_value(text[i + 1]) : -1;
        int lo = i + 2 < text.size() ? hex_digit_value(text[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            fail(KVPS_INVALID_URL, "invalid URL: bad percent escape \"" +
                                       std::string(text.substr(i, 3)) + "\" in the " +
                                       std::string(what));
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

Url parse_url(std::string_view text) {
    Url url;
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f)
            fail(KVPS_INVALID_URL, "invalid URL: it contains a control character");
    // A piece of the text is quoted in a message only when it lies outside what may be the user
    // info (a password with an unencoded '/' or '?' shifts every part that follows it).
    const std::pair<size_t, size_t> zone = userinfo_zone(text);
    auto secret = [&](std::string_view piece) {
        size_t at = static_cast<size_t>(piece.data() - text.data());
        return zone.first != zone.second && at < zone.second && at + piece.size() > zone.first;
    };
    auto shown = [&](std::string_view piece) {
        return secret(piece) ? std::string("(in the user info, not shown)")
                             : "\"" + std::string(piece) + "\"";
    };
    // Decodes a part; an encoded NUL would cut it short wherever it becomes a C string.
    auto decode = [&](std::string_view part, const char *what) {
        std::string out;
        try {
            out = percent_decode(part, what);
        } catch (const Error &) {
            if (!secret(part)) throw;
            fail(KVPS_INVALID_URL, std::string("invalid URL: bad percent escape in the ") + what);
        }
        if (out.find('\0') != std::string::npos)
            fail(KVPS_INVALID_URL,
                 std::string("invalid URL: the ") + what + " contains an encoded NUL (%00)");
        return out;
    };
    size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0)
        fail(KVPS_INVALID_URL, "invalid URL \"" + redact_userinfo(text).substr(0, 64) +
                                   "\": expected scheme://..., e.g. file:///path or memory://");
    std::string_view scheme = text.substr(0, colon);
    if (!std::isalpha(static_cast<unsigned char>(scheme[0])))
        fail(KVPS_INVALID_URL, "invalid URL: the scheme must start with a letter");
    for (unsigned char c : scheme)
        if (!std::isalnum(c) && c != '+' && c != '-' && c != '.')
            fail(KVPS_INVALID_URL, "invalid URL: bad character in scheme " + shown(scheme));
    url.scheme = lower(scheme);
    std::string_view rest = text.substr(colon + 1);
    if (rest.substr(0, 2) != "//") {
        if (secret(scheme)) fail(KVPS_INVALID_URL, "invalid URL: expected scheme://...");
        fail(KVPS_INVALID_URL, "invalid URL: expected \"//\" after \"" + url.scheme + ":\", e.g. " +
                                   url.scheme + "://...");
    }
    rest.remove_prefix(2);

    // "s3://ID:se/cret@bucket": a '/', '?' or '#' the password needed encoded. Refused, since
    // every part after it would be read wrong.
    size_t delimiter = rest.find_first_of("/?#");
    size_t user_colon = rest.find(':');
    size_t last_at = rest.rfind('@');
    if (delimiter != std::string_view::npos && last_at != std::string_view::npos &&
        last_at > delimiter && user_colon < delimiter) {
        std::string_view after = rest.substr(user_colon + 1, delimiter - user_colon - 1);
        bool port = !after.empty() && rest[delimiter] == '/' &&
                    after.find_first_not_of("0123456789") == std::string_view::npos;
        if (!port)
            fail(KVPS_INVALID_URL,
                 "invalid URL: the user info (before '@') holds a '/', '?' or "
                 "'#': percent-encode them in the password (%2F, %3F, %23)");
    }

    size_t hash = rest.find('#');
    if (hash != std::string_view::npos)
        fail(KVPS_INVALID_URL, "invalid URL: fragments (#...) are not allowed in a store URL");
    std::string_view query;
    size_t qmark = rest.find('?');
    if (qmark != std::string_view::npos) {
        query = rest.substr(qmark + 1);
        rest = rest.substr(0, qmark);
    }
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    url.raw_path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
    url.path = decode(rest.substr(authority.size()), "path");
    if (authority.empty() && url.path.starts_with("//"))
        fail(KVPS_INVALID_URL, "invalid URL: the path starts with \"//\" after an empty host");

    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        size_t pc = userinfo.find(':');
        url.user = decode(userinfo.substr(0, pc), "user name");
        if (pc != std::string_view::npos) {
            url.has_password = true;
            url.password = decode(userinfo.substr(pc + 1), "password");
        }
        // Credentials end up in request headers: no CR, LF or other control character.
        if (has_control(url.user) || has_control(url.password))
            fail(KVPS_INVALID_URL, "invalid URL: the user info holds an encoded control character");
    }
    std::string_view host = authority;
    std::string_view port;
    if (!host.empty() && host.front() == '[') {
        size_t close = host.find(']');
        if (close == std::string_view::npos)
            fail(KVPS_INVALID_URL, "invalid URL: unterminated IPv6 address in " + shown(authority));
        std::string_view after = host.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                fail(KVPS_INVALID_URL, "invalid URL: unexpected text after the IPv6 address");
            port = after.substr(1);
        }
        host = host.substr(0, close + 1);
    } else {
        size_t pc = host.rfind(':');
        if (pc != std::string_view::npos) {
            port = host.substr(pc + 1);
            host = host.substr(0, pc);
        }
    }
    url.port = std::string(port);
    if (!url.port.empty() || authority.ends_with(':')) {
        bool ok = !url.port.empty() && url.port.size() <= 5;
        for (char c : url.port) ok = ok && std::isdigit(static_cast<unsigned char>(c));
        if (ok && (std::stoi(url.port) > 65535 || std::stoi(url.port) < 1)) ok = false;
        if (!ok)
            fail(KVPS_INVALID_URL, "invalid URL: bad port " + shown(port) + " (expected 1-65535)");
    }
    url.host = decode(host, "host");
    for (unsigned char c : url.host)
        if (c == ' ' || c == '/' || c == '\\' || c < 0x20 || c == 0x7f)
            fail(KVPS_INVALID_URL, "invalid URL: bad character in host " + shown(host));

    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        std::string name = decode(pair.substr(0, eq), "query");
        if (name.empty()) fail(KVPS_INVALID_URL, "invalid URL: a query parameter has no name");
        std::string value;
        if (eq != std::string_view::npos) {
            try {
                value = percent_decode(pair.substr(eq + 1), "query");
            } catch (const Error &) {
                // The value may be a secret: name only the option.
                fail(KVPS_INVALID_URL,
                     "invalid URL: bad percent escape in the value of option \"" + name + "\"");
            }
            if (value.find('\0') != std::string::npos)
                fail(KVPS_INVALID_URL, "invalid URL: the value of option \"" + name +
                                           "\" contains an encoded NUL (%00)");
        }
        url.query.emplace_back(std::move(name), std::move(value));
    }
    return url;
}

}  // namespace kvps
