#include "codec.hpp"

#include <array>
#include <cstdint>

namespace kvps::file {
namespace {

constexpr std::string_view kSymbols = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
static_assert(kSymbols.size() == 64);

constexpr std::array<int8_t, 256> make_values() {
    std::array<int8_t, 256> values{};
    for (auto &v : values) v = -1;
    for (size_t i = 0; i < kSymbols.size(); ++i) values[static_cast<unsigned char>(kSymbols[i])] = static_cast<int8_t>(i);
    return values;
}
constexpr std::array<int8_t, 256> kValues = make_values();

int bit_of_bytes(std::string_view bytes, size_t i) {
    return (static_cast<unsigned char>(bytes[i / 8]) >> (7 - i % 8)) & 1;
}
int bit_of_symbols(std::string_view symbols, size_t i) {
    return (kValues[static_cast<unsigned char>(symbols[i / 6])] >> (5 - i % 6)) & 1;
}

}  // namespace

bool is_ob64_symbol(char c) { return kValues[static_cast<unsigned char>(c)] >= 0; }

std::string ob64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 8 + 5) / 6);
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : bytes) {
        acc = (acc << 8) | c;
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out += kSymbols[(acc >> bits) & 63];
        }
    }
    if (bits > 0) out += kSymbols[(acc << (6 - bits)) & 63];
    return out;
}

std::optional<std::string> ob64_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;  // no byte count encodes to 4n+1 symbols
    std::string out;
    out.reserve(text.size() * 6 / 8);
    uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = kValues[static_cast<unsigned char>(c)];
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

int compare_bits(std::string_view symbols, std::string_view bytes) {
    size_t n = std::min(symbols.size() * 6, bytes.size() * 8);
    for (size_t i = 0; i < n; ++i) {
        int a = bit_of_symbols(symbols, i), b = bit_of_bytes(bytes, i);
        if (a != b) return a - b;
    }
    return 0;
}

}  // namespace kvps::file
