#include "cursor.hpp"

#include "kvps.h"

#include <cstdint>

#include "spi/error.hpp"

namespace kvps {
namespace {

constexpr std::string_view kMagic = "kv1.";
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

uint32_t fnv1a(std::string_view data) {
    uint32_t h = 2166136261u;
    for (unsigned char c : data) h = (h ^ c) * 16777619u;
    return h;
}

std::string base64url(std::string_view in) {
    std::string out;
    uint32_t bits = 0;
    int count = 0;
    for (unsigned char c : in) {
        bits = (bits << 8) | c;
        count += 8;
        while (count >= 6) {
            count -= 6;
            out += kAlphabet[(bits >> count) & 63];
        }
    }
    if (count > 0) out += kAlphabet[(bits << (6 - count)) & 63];
    return out;
}

bool unbase64url(std::string_view in, std::string &out) {
    uint32_t bits = 0;
    int count = 0;
    for (char c : in) {
        int v;
        if (c >= 'A' && c <= 'Z') v = c - 'A';
        else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
        else if (c >= '0' && c <= '9') v = c - '0' + 52;
        else if (c == '-') v = 62;
        else if (c == '_') v = 63;
        else return false;
        bits = (bits << 6) | static_cast<uint32_t>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>((bits >> count) & 0xff);
        }
    }
    return true;
}

}  // namespace

std::string make_cursor(std::string_view store_id, std::string_view prefix, std::string_view token) {
    std::string payload;
    payload.append(store_id).append(1, '\0').append(prefix).append(1, '\0').append(token);
    uint32_t sum = fnv1a(payload);
    std::string sum_bytes{static_cast<char>(sum >> 24), static_cast<char>(sum >> 16),
                          static_cast<char>(sum >> 8), static_cast<char>(sum)};
    return std::string(kMagic) + base64url(sum_bytes + payload);
}

std::string read_cursor(std::string_view cursor, std::string_view store_id, std::string_view prefix) {
    auto garbled = [&]() {
        fail(KVPS_INVALID_ARGUMENT,
             "invalid cursor " + quote(cursor) + ": not a cursor this library made (garbled or truncated)");
    };
    if (cursor.substr(0, kMagic.size()) != kMagic) garbled();
    std::string raw;
    if (!unbase64url(cursor.substr(kMagic.size()), raw) || raw.size() < 6) garbled();
    uint32_t sum = (uint32_t(uint8_t(raw[0])) << 24) | (uint32_t(uint8_t(raw[1])) << 16) |
                   (uint32_t(uint8_t(raw[2])) << 8) | uint32_t(uint8_t(raw[3]));
    std::string_view payload = std::string_view(raw).substr(4);
    if (fnv1a(payload) != sum) garbled();
    size_t a = payload.find('\0');
    size_t b = a == std::string_view::npos ? a : payload.find('\0', a + 1);
    if (b == std::string_view::npos) garbled();
    if (payload.substr(0, a) != store_id)
        fail(KVPS_INVALID_ARGUMENT, "invalid cursor: it belongs to another store");
    if (payload.substr(a + 1, b - a - 1) != prefix)
        fail(KVPS_INVALID_ARGUMENT, "invalid cursor: it was made for prefix " +
                                        quote(payload.substr(a + 1, b - a - 1)) + ", not " + quote(prefix));
    return std::string(payload.substr(b + 1));
}

}  // namespace kvps
