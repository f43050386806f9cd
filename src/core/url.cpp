#include "url.hpp"

#include "kvps.h"

#include <cctype>

#include "spi/error.hpp"

namespace kvps {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char &c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::string percent_decode(std::string_view text, std::string_view what) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        int hi = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
        int lo = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            fail(KVPS_INVALID_URL, "invalid URL: bad percent escape \"" +
                                       std::string(text.substr(i, 3)) + "\" in the " +
                                       std::string(what));
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

std::string percent_encode(std::string_view text, std::string_view keep) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
            keep.find(static_cast<char>(c)) != std::string_view::npos) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

Url parse_url(std::string_view text) {
    Url url;
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f)
            fail(KVPS_INVALID_URL, "invalid URL: it contains a control character");
    size_t colon = text.find(':');
    if (colon == std::string_view::npos || colon == 0)
        fail(KVPS_INVALID_URL, "invalid URL \"" + std::string(text.substr(0, 64)) +
                                   "\": expected scheme://..., e.g. file:///path or memory://");
    std::string_view scheme = text.substr(0, colon);
    if (!std::isalpha(static_cast<unsigned char>(scheme[0])))
        fail(KVPS_INVALID_URL, "invalid URL: the scheme must start with a letter");
    for (unsigned char c : scheme)
        if (!std::isalnum(c) && c != '+' && c != '-' && c != '.')
            fail(KVPS_INVALID_URL, "invalid URL: bad character in scheme \"" +
                                       std::string(scheme) + "\"");
    url.scheme = lower(scheme);
    std::string_view rest = text.substr(colon + 1);
    if (rest.substr(0, 2) != "//")
        fail(KVPS_INVALID_URL, "invalid URL: expected \"//\" after \"" + url.scheme +
                                   ":\", e.g. " + url.scheme + "://...");
    rest.remove_prefix(2);

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
    url.path = percent_decode(url.raw_path, "path");

    size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        std::string_view userinfo = authority.substr(0, at);
        authority = authority.substr(at + 1);
        size_t pc = userinfo.find(':');
        url.user = percent_decode(userinfo.substr(0, pc), "user name");
        if (pc != std::string_view::npos) {
            url.has_password = true;
            // Decoded without naming it: a bad escape must not echo the password.
            try {
                url.password = percent_decode(userinfo.substr(pc + 1), "password");
            } catch (const Error &) {
                fail(KVPS_INVALID_URL, "invalid URL: bad percent escape in the password");
            }
        }
    }
    std::string_view host = authority;
    if (!host.empty() && host.front() == '[') {
        size_t close = host.find(']');
        if (close == std::string_view::npos)
            fail(KVPS_INVALID_URL, "invalid URL: unterminated IPv6 address in \"" +
                                       std::string(authority) + "\"");
        std::string_view after = host.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                fail(KVPS_INVALID_URL, "invalid URL: unexpected text after the IPv6 address");
            url.port = std::string(after.substr(1));
        }
        host = host.substr(0, close + 1);
    } else {
        size_t pc = host.rfind(':');
        if (pc != std::string_view::npos) {
            url.port = std::string(host.substr(pc + 1));
            host = host.substr(0, pc);
        }
    }
    if (!url.port.empty() || authority.ends_with(':')) {
        bool ok = !url.port.empty() && url.port.size() <= 5;
        for (char c : url.port) ok = ok && std::isdigit(static_cast<unsigned char>(c));
        if (ok && std::stoi(url.port) > 65535) ok = false;
        if (!ok)
            fail(KVPS_INVALID_URL, "invalid URL: bad port \"" + url.port + "\" (expected 1-65535)");
    }
    url.host = percent_decode(host, "host");
    for (unsigned char c : url.host)
        if (c == ' ' || c == '/' || c == '\\')
            fail(KVPS_INVALID_URL, "invalid URL: bad character in host \"" + url.host + "\"");

    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        std::string name = percent_decode(pair.substr(0, eq), "query");
        if (name.empty()) fail(KVPS_INVALID_URL, "invalid URL: a query parameter has no name");
        std::string value;
        if (eq != std::string_view::npos) {
            try {
                value = percent_decode(pair.substr(eq + 1), "query");
            } catch (const Error &) {
                // The value may be a secret: name only the option.
                fail(KVPS_INVALID_URL, "invalid URL: bad percent escape in the value of option \"" +
                                           name + "\"");
            }
        }
        url.query.emplace_back(std::move(name), std::move(value));
    }
    return url;
}

}  // namespace kvps
