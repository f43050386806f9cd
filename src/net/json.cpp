// A recursive-descent JSON reader (RFC 8259), enough for small credential documents.
#include "json.hpp"

#include <cstdint>

#include "spi/error.hpp"

namespace kvps::net {
namespace {

struct Parser {
    std::string_view in;
    size_t at = 0;
    std::string_view what;
    int depth = 0;

    [[noreturn]] void bad(const char *why) {
        fail(KVPS_REMOTE, std::string(what) + " is not valid JSON (" + why + " at byte " +
                              std::to_string(at) + ")");
    }

    void space() {
        while (at < in.size() &&
               (in[at] == ' ' || in[at] == '\t' || in[at] == '\n' || in[at] == '\r'))
            ++at;
    }

    bool take(char c) {
        space();
        if (at < in.size() && in[at] == c) {
            ++at;
            return true;
        }
        return false;
    }

    void expect(char c) {
        if (!take(c)) bad((std::string("expected '") + c + "'").c_str());
    }

    void append_utf8(std::string &out, uint32_t cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (cp >> 18));
            out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    uint32_t hex4() {
        if (at + 4 > in.size()) bad("a short \\u escape");
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            char c = in[at++];
            v <<= 4;
            if (c >= '0' && c <= '9')
                v |= static_cast<uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f')
                v |= static_cast<uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                v |= static_cast<uint32_t>(c - 'A' + 10);
            else
                bad("a bad \\u escape");
        }
        return v;
    }

    std::string string() {
        expect('"');
        std::string out;
        while (true) {
            if (at >= in.size()) bad("an unterminated string");
            char c = in[at++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) bad("a control character in a string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (at >= in.size()) bad("an unterminated string");
            switch (char e = in[at++]) {
            case '"':
            case '\\':
            case '/': out += e; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                uint32_t cp = hex4();
                if (cp >= 0xD800 && cp < 0xDC00 && at + 1 < in.size() && in[at] == '\\' &&
                    in[at + 1] == 'u') {
                    at += 2;
                    uint32_t low = hex4();
                    if (low < 0xDC00 || low > 0xDFFF) bad("a bad surrogate pair");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                }
                append_utf8(out, cp);
                break;
            }
            default: bad("a bad escape");
            }
        }
    }

    JsonValue value() {
        if (++depth > 64) bad("nesting too deep");
        space();
        if (at >= in.size()) bad("a missing value");
        JsonValue v;
        char c = in[at];
        if (c == '{') {
            v.kind = JsonValue::Kind::Object;
            ++at;
            if (!take('}')) {
                do {
                    space();
                    std::string name = string();
                    expect(':');
                    v.members[name] = value();
                } while (take(','));
                expect('}');
            }
        } else if (c == '[') {
            v.kind = JsonValue::Kind::Array;
            ++at;
            if (!take(']')) {
                do v.items.push_back(value());
                while (take(','));
                expect(']');
            }
        } else if (c == '"') {
            v.kind = JsonValue::Kind::String;
            v.text = string();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            v.kind = JsonValue::Kind::Number;
            size_t start = at;
            while (at < in.size() &&
                   std::string_view("+-.eE0123456789").find(in[at]) != std::string_view::npos)
                ++at;
            v.text = std::string(in.substr(start, at - start));
        } else {
            for (std::string_view word : {"true", "false", "null"}) {
                if (in.substr(at, word.size()) == word) {
                    at += word.size();
                    v.kind = word == "null" ? JsonValue::Kind::Null : JsonValue::Kind::Bool;
                    v.text = std::string(word);
                    --depth;
                    return v;
                }
            }
            bad("an unexpected character");
        }
        --depth;
        return v;
    }
};

}  // namespace

const JsonValue *JsonValue::get(const std::string &name) const {
    auto it = members.find(name);
    return it == members.end() ? nullptr : &it->second;
}

std::string JsonValue::text_of(const std::string &name) const {
    const JsonValue *v = get(name);
    return v ? v->text : "";
}

JsonValue parse_json(std::string_view text, std::string_view what) {
    Parser p{text, 0, what};
    JsonValue v = p.value();
    p.space();
    if (p.at != text.size()) p.bad("text after the document");
    return v;
}

}  // namespace kvps::net
