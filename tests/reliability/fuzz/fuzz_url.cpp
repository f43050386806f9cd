// libFuzzer: store URLs and option values. Never crashes; a refused URL's message never shows
// what may be its user info.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config.hpp"
#include "spi/error.hpp"
#include "url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string text(reinterpret_cast<const char *>(data), size);
    try {
        kvps::Url url = kvps::parse_url(text);
        for (const auto &[name, value] : url.query) {
            kvps::parse_bool(value);
            kvps::parse_integer(value);
            kvps::parse_size(value);
            kvps::parse_duration(value);
        }
        if (url.path.find('\0') != std::string::npos || url.host.find('\0') != std::string::npos)
            std::abort();  // an encoded NUL got through
    } catch (const kvps::Error &e) {
        size_t slashes = text.find("//");
        size_t start = slashes == std::string::npos ? 0 : slashes + 2;
        size_t at = text.rfind('@');
        if (at != std::string::npos && at > start && at - start >= 12 && text[start] != '/') {
            std::string zone = text.substr(start, at - start);
            std::string outside = text.substr(0, start) + text.substr(at);
            // User info shown (unless the same text also stands outside it).
            if (outside.find(zone) == std::string::npos && e.message().find(zone) != std::string::npos)
                std::abort();
        }
    }
    return 0;
}
