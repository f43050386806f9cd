#include "spi/checksum.hpp"

#include <array>
#include <cstring>

#include "spi/error.hpp"

namespace kvps {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78;  // CRC32C, reflected

// Slicing-by-8 tables for machines without the instruction.
struct Tables {
    uint32_t t[8][256];
    Tables() {
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (c & 1 ? kPolynomial : 0);
            t[0][i] = c;
        }
        for (uint32_t i = 0; i < 256; ++i)
            for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
};

uint32_t crc_software(const unsigned char *p, size_t n, uint32_t c) {
    static const Tables tables;
    const auto &t = tables.t;
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);  // little-endian hosts only: guarded below
        w ^= c;
        c = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^
            t[4][(w >> 24) & 0xff] ^ t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^
            t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
    return c;
}

#if defined(__x86_64__)
// Three interleaved streams: the crc32 instruction has a latency of 3 cycles and a throughput
// of 1, so three independent lanes of kLane bytes run about three times as fast as one. A lane's
// register is moved past the next lane's kLane bytes with the linear map "kLane zero bytes",
// tabulated once (4 x 256 entries), then combined by xor.
constexpr size_t kLane = 4096;

__attribute__((target("sse4.2"))) uint32_t past_zeros(uint32_t c, size_t n) {
    uint64_t c64 = c;
    for (size_t i = 0; i < n; i += 8) c64 = __builtin_ia32_crc32di(c64, 0);
    return static_cast<uint32_t>(c64);
}

struct LaneShift {
    uint32_t t[4][256];
    LaneShift() {
        uint32_t basis[32];
        for (int i = 0; i < 32; ++i) basis[i] = past_zeros(uint32_t{1} << i, kLane);
        for (int k = 0; k < 4; ++k)
            for (uint32_t v = 0; v < 256; ++v) {
                uint32_t bits = v << (8 * k), out = 0;
                for (int i = 0; i < 32; ++i)
                    if (bits >> i & 1) out ^= basis[i];
                t[k][v] = out;
            }
    }
    uint32_t operator()(uint32_t c) const {
        return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^ t[3][c >> 24];
    }
};

__attribute__((target("sse4.2"))) uint32_t crc_hardware(const unsigned char *p, size_t n,
                                                        uint32_t c) {
    if (n >= 3 * kLane) {
        static const LaneShift shift;
        while (n >= 3 * kLane) {
            uint64_t a = c, b = 0, d = 0;
            for (size_t i = 0; i < kLane; i += 8) {
                uint64_t wa, wb, wd;
                std::memcpy(&wa, p + i, 8);
                std::memcpy(&wb, p + kLane + i, 8);
                std::memcpy(&wd, p + 2 * kLane + i, 8);
                a = __builtin_ia32_crc32di(a, wa);
                b = __builtin_ia32_crc32di(b, wb);
                d = __builtin_ia32_crc32di(d, wd);
            }
            c = shift(shift(static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b)) ^
                static_cast<uint32_t>(d);
            p += 3 * kLane;
            n -= 3 * kLane;
        }
    }
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        c64 = __builtin_ia32_crc32di(c64, w);
        p += 8;
        n -= 8;
    }
    c = static_cast<uint32_t>(c64);
    while (n--) c = __builtin_ia32_crc32qi(c, *p++);
    return c;
}
bool have_hardware() {
    static const bool yes = __builtin_cpu_supports("sse4.2");
    return yes;
}
#else
uint32_t crc_hardware(const unsigned char *p, size_t n, uint32_t c) {
    return crc_software(p, n, c);
}
bool have_hardware() { return false; }
#endif

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "crc32c: slicing-by-8 assumes little-endian");

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

uint32_t crc32c(const void *data, size_t size, uint32_t crc) {
    const auto *p = static_cast<const unsigned char *>(data);
    uint32_t c = ~crc;
    c = have_hardware() ? crc_hardware(p, size, c) : crc_software(p, size, c);
    return ~c;
}

// Combining: appending n bytes to A multiplies A's register by x^(8n) modulo the polynomial
// (the initial and final inversions cancel out between the two CRCs), so the register of A is
// moved past B with one product by x^(8n), built from the squares x^(2^k).
namespace {

// a * b modulo the CRC32C polynomial, both reflected (bit 31 is x^0).
uint32_t multiply_mod(uint32_t a, uint32_t b) {
    uint32_t product = 0;
    for (uint32_t bit = uint32_t{1} << 31; bit != 0; bit >>= 1) {
        if (a & bit) product ^= b;
        b = b & 1 ? (b >> 1) ^ kPolynomial : b >> 1;
    }
    return product;
}

// x^(8 * bytes) modulo the polynomial.
uint32_t power_for_bytes(uint64_t bytes) {
    static const auto squares = [] {  // squares[k] = x^(2^k)
        std::array<uint32_t, 64> out{};
        out[0] = uint32_t{1} << 30;  // x^1
        for (size_t k = 1; k < out.size(); ++k) out[k] = multiply_mod(out[k - 1], out[k - 1]);
        return out;
    }();
    uint32_t power = uint32_t{1} << 31;  // x^0
    for (size_t k = 3; bytes != 0; bytes >>= 1, ++k)
        if (bytes & 1) power = multiply_mod(squares[k], power);
    return power;
}

}  // namespace

uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t size_b) {
    return multiply_mod(power_for_bytes(size_b), crc_a) ^ crc_b;
}

std::string crc32c_hex(uint32_t crc) {
    static const char hex[] = "0123456789abcdef";
    std::string out(8, '0');
    for (int i = 7; i >= 0; --i, crc >>= 4) out[static_cast<size_t>(i)] = hex[crc & 15];
    return out;
}

std::optional<uint32_t> crc32c_from_hex(std::string_view text) {
    if (text.size() != 8) return std::nullopt;
    uint32_t v = 0;
    for (char c : text) {
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) return std::nullopt;
        v = (v << 4) | static_cast<uint32_t>(d);
    }
    return v;
}

std::string crc32c_base64(uint32_t crc) {
    // 4 bytes -> 6 symbols and "==".
    uint64_t bits = uint64_t{crc} << 16;  // 48 bits, the last 16 zero
    std::string out;
    for (int i = 0; i < 6; ++i) out += kBase64[(bits >> (42 - 6 * i)) & 63];
    return out + "==";
}

std::optional<uint32_t> crc32c_from_base64(std::string_view text) {
    if (text.size() != 8 || text.substr(6) != "==") return std::nullopt;
    uint64_t bits = 0;
    for (char c : text.substr(0, 6)) {
        const char *at = std::strchr(kBase64, c);
        if (!at || !c) return std::nullopt;
        bits = (bits << 6) | static_cast<uint64_t>(at - kBase64);
    }
    if (bits & 0xf) return std::nullopt;  // 36 bits: the CRC, then 4 zero bits of padding
    return static_cast<uint32_t>(bits >> 4);
}

void check_crc32c(std::string_view key, uint32_t expected, uint32_t actual) {
    if (expected == actual) return;
    fail(KVPS_CORRUPT, "value of key " + quote(key) + " failed its checksum: expected CRC32C " +
                           crc32c_hex(expected) + ", actual " + crc32c_hex(actual) +
                           " (the value is corrupt in the store)");
}

}  // namespace kvps
