// libFuzzer: key validation and the file backend's name codec (ob64), which must round-trip
// every valid key and keep byte order.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "codec.hpp"
#include "spi/error.hpp"
#include "keys.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string bytes(reinterpret_cast<const char *>(data), size);
    try {
        kvps::check_key(bytes.c_str());
    } catch (const kvps::Error &) {
    }
    std::string encoded = kvps::file::ob64_encode(bytes);
    for (char c : encoded)
        if (!kvps::file::is_ob64_symbol(c)) std::abort();
    std::optional<std::string> decoded = kvps::file::ob64_decode(encoded);
    if (!decoded || *decoded != bytes) std::abort();  // no round trip
    // Order: split the input in two keys and compare both ways.
    std::string a = bytes.substr(0, size / 2), b = bytes.substr(size / 2);
    int bytes_order = a.compare(b),
        names_order = kvps::file::ob64_encode(a).compare(kvps::file::ob64_encode(b));
    if ((bytes_order < 0) != (names_order < 0) || (bytes_order == 0) != (names_order == 0))
        std::abort();
    // Any text: decoding never crashes, and what decodes re-encodes to the same name.
    if (std::optional<std::string> d = kvps::file::ob64_decode(bytes))
        if (kvps::file::ob64_encode(*d) != bytes) std::abort();
    return 0;
}
