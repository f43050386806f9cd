#include "codec.hpp"

#include <array>
#include <cstdint>

namespace kvps::file {
namespace {

// One base64 alphabet: its 64 symbols and the value of each byte (-1: not a symbol).
struct Alphabet {
    std::string_view symbols;
    std::array<int8_t, 256> values{};
    constexpr explicit Alphabet(std::string_view s) : symbols(s) {
        for (auto &v : values) v = -1;
        for (size_t i = 0; i < s.size(); ++i)
            values[static_cast<unsigned char>(s[i])] = static_cast<int8_t>(i);
    }
};
constexpr Alphabet kOrdered("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz");
constexpr Alphabet kStandard("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
static_assert(kOrdered.symbols.size() == 64 && kStandard.symbols.size() == 64);
constexpr const std::array<int8_t, 256> &kValues = kOrdered.values;

std::string encode(const Alphabet &a, std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 8 + 5) / 6 + 2);
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += a.symbols[(acc >> bits) & 63];
        }
    }
    if (bits > 0) out += a.symbols[(acc << (6 - bits)) & 63];
    return out;
}

std::optional<std::string> decode(const Alphabet &a, std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;  // no byte count encodes to 4n+1 symbols
    std::string out;
    out.reserve(text.size() * 6 / 8);
    uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = a.values[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xff);
        }
    }
    if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;  // padding must be zero
    return out;
}

int bit_of_bytes(std::string_view bytes, size_t i) {
    return (static_cast<unsigned char>(bytes[i / 8]) >> (7 - i % 8)) & 1;
}
int bit_of_symbols(std::string_view symbols, size_t i) {
    return (kValues[static_cast<unsigned char>(symbols[i / 6])] >> (5 - i % 6)) & 1;
}

}  // namespace

bool is_ob64_symbol(char c) { return kValues[static_cast<unsigned char>(c)] >= 0; }

std::string ob64_encode(std::string_view bytes) { return encode(kOrdered, bytes); }

std::optional<std::string> ob64_decode(std::string_view text) { return decode(kOrdered, text); }

std::string base64_encode(std::string_view bytes) {
    std::string out = encode(kStandard, bytes);
    out.append((4 - out.size() % 4) % 4, '=');
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    return decode(kStandard, text.substr(0, text.size() - pad));
}

int compare_bits(std::string_view symbols, std::string_view bytes) {
    size_t n = std::min(symbols.size() * 6, bytes.size() * 8);
    for (size_t i = 0; i < n; ++i) {
        int a = bit_of_symbols(symbols, i), b = bit_of_bytes(bytes, i);
        if (a != b) return a - b;
    }
    return 0;
}

}  // namespace kvps::file
