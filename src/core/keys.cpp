#include "keys.hpp"

#include "kvps.h"

#include <string>

#include "spi/error.hpp"

namespace kvps {

bool is_utf8(std::string_view text) {
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const auto *end = p + text.size();
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int extra;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            extra = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - p <= extra) return false;
        for (int i = 1; i <= extra; ++i) {
            if ((p[i] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        static const uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
        if (cp < min_for[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        p += extra + 1;
    }
    return true;
}

std::string_view check_key(const char *key) {
    if (!key) fail(KVPS_INVALID_ARGUMENT, "key is NULL");
    std::string_view k(key);
    if (k.empty()) fail(KVPS_INVALID_KEY, "invalid key \"\": a key must not be empty");
    if (k.size() > KVPS_KEY_MAX)
        fail(KVPS_INVALID_KEY, "invalid key " + quote(k) + ": longer than " +
                                   std::to_string(KVPS_KEY_MAX) + " bytes");
    for (unsigned char c : k)
        if (c < 0x20 || c == 0x7f)
            fail(KVPS_INVALID_KEY, "invalid key " + quote(k) + ": contains a control character");
    if (!is_utf8(k)) fail(KVPS_INVALID_KEY, "invalid key " + quote(k) + ": not valid UTF-8");
    return k;
}

}  // namespace kvps
