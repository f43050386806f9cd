#include "properties.hpp"

#include <sys/xattr.h>

#include <cerrno>

#include "spi/error.hpp"
#include "fs.hpp"

namespace kvps::file {

Properties read_properties(int fd, std::string_view path) {
    char buffer[8192];  // encode_properties of the largest allowed properties is far smaller
    ssize_t n = ::fgetxattr(fd, kPropertiesAttribute, buffer, sizeof buffer);
    if (n < 0) {
        if (errno == ENODATA || errno == ENOTSUP) return Properties{};
        fail_path(errno, "cannot read the content type and metadata of", path);
    }
    std::optional<Properties> properties =
        decode_properties(std::string_view(buffer, static_cast<size_t>(n)));
    if (!properties)
        fail(KVPS_IO, "the attribute " + std::string(kPropertiesAttribute) + " of '" +
                          std::string(path) + "' is not one kvps wrote");
    return std::move(*properties);
}

void write_properties(int fd, const Properties &properties, std::string_view path) {
    if (properties == Properties{}) return;
    std::string blob = encode_properties(properties);
    if (::fsetxattr(fd, kPropertiesAttribute, blob.data(), blob.size(), 0) == 0) return;
    if (errno == ENOTSUP)
        fail(KVPS_UNSUPPORTED,
             "the file system of '" + std::string(path) +
                 "' keeps no user extended attributes, where file:// stores a value's "
                 "content type and metadata");
    fail_path(errno, "cannot store the content type and metadata of", path);
}

}  // namespace kvps::file
