// libFuzzer: store URLs and option values. Never crashes; a refused URL's message never shows
// what may be its user info.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "option_check.hpp"
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
    } catch (const kvps::Error &) {
    }
    // The same text with a canary secret at the start of what may be its user info (just after
    // "//", before the last '@'): a refused URL's message shows no 8-byte piece of it.
    static const std::string canary = "Qz7KpW3mXv9RtY2L";
    size_t slashes = text.find("//");
    size_t start = slashes == std::string::npos ? 0 : slashes + 2;
    size_t at = text.rfind('@');
    if (at != std::string::npos && at >= start && text.find("Qz7") == std::string::npos &&
        text.compare(start, 1, "/") != 0) {
        std::string marked = text.substr(0, start) + canary + text.substr(start);
        try {
            kvps::parse_url(marked);
        } catch (const kvps::Error &e) {
            for (size_t i = 0; i + 8 <= canary.size(); ++i)
                if (e.message().find(canary.substr(i, 8)) != std::string::npos &&
                    text.find(canary.substr(i, 8)) == std::string::npos)  // not the input's own
                    std::abort();
        }
    }
    return 0;
}
