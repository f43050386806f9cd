#include "checksums.hpp"

#include <sys/xattr.h>

#include <string>

#include "spi/checksum.hpp"

namespace kvps::file {

void store_checksum(int fd, uint32_t crc32c) noexcept {
    try {
        std::string hex = crc32c_hex(crc32c);
        (void)::fsetxattr(fd, kChecksumAttribute, hex.data(), hex.size(), 0);
    } catch (...) {
    }
}

std::optional<uint32_t> stored_checksum(int fd) noexcept {
    char text[16];
    ssize_t n = ::fgetxattr(fd, kChecksumAttribute, text, sizeof text);
    if (n != 8) return std::nullopt;
    return crc32c_from_hex(std::string_view(text, 8));
}

}  // namespace kvps::file
