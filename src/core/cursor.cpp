#include "cursor.hpp"

#include "kvps.h"

#include <cstdint>

#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps {
namespace {

constexpr std::string_view kMagic = "kv1.";

uint32_t fnv1a(std::string_view data) {
    uint32_t h = 2166136261u;
    for (unsigned char c : data) h = (h ^ c) * 16777619u;
    return h;
}

}  // namespace

std::string make_cursor(std::string_view store_id, std::string_view prefix,
                        std::string_view token) {
    std::string payload;
    payload.append(store_id).append(1, '\0').append(prefix).append(1, '\0').append(token);
    uint32_t sum = fnv1a(payload);
    std::string sum_bytes{static_cast<char>(sum >> 24), static_cast<char>(sum >> 16),
                          static_cast<char>(sum >> 8), static_cast<char>(sum)};
    return std::string(kMagic) + base64_encode(sum_bytes + payload, true);
}

std::string read_cursor(std::string_view cursor, std::string_view store_id,
                        std::string_view prefix) {
    auto garbled = [&]() {
        fail(KVPS_INVALID_ARGUMENT, "invalid cursor " + quote(cursor) +
                                        ": not a cursor this library made (garbled or truncated)");
    };
    if (cursor.substr(0, kMagic.size()) != kMagic) garbled();
    std::optional<std::string> decoded = base64_decode(cursor.substr(kMagic.size()), true);
    if (!decoded || decoded->size() < 6) garbled();
    const std::string &raw = *decoded;
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
                                        quote(payload.substr(a + 1, b - a - 1)) + ", not " +
                                        quote(prefix));
    return std::string(payload.substr(b + 1));
}

}  // namespace kvps
