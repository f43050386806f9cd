// libFuzzer: list cursors. A garbled cursor is refused, never misread; a made cursor reads back.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cursor.hpp"
#include "spi/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string text(reinterpret_cast<const char *>(data), size);
    try {
        kvps::read_cursor(text, "0123456789abcdef", "photos/");
    } catch (const kvps::Error &e) {
        if (e.status() != KVPS_INVALID_ARGUMENT) std::abort();
    }
    std::string made = kvps::make_cursor("0123456789abcdef", "photos/", text);
    if (kvps::read_cursor(made, "0123456789abcdef", "photos/") != text) std::abort();
    try {
        kvps::read_cursor(made, "fedcba9876543210", "photos/");
        std::abort();  // another store's cursor must be refused
    } catch (const kvps::Error &) {
    }
    return 0;
}
