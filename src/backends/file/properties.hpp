// A value's content type and user metadata, kept in one extended attribute of its file
// (user.kvps.properties, see README.md). Being on the file, they are installed by the same
// rename as the bytes, and read from the same open file as the bytes.
#pragma once

#include <string>
#include <string_view>

#include "spi/put_options.hpp"

namespace kvps::file {

inline constexpr const char *kPropertiesAttribute = "user.kvps.properties";

// The properties of the open file fd; none when it has no attribute (a value written by a
// release before properties existed, or a plain file of a pathmapped store). `path` is for
// messages.
Properties read_properties(int fd, std::string_view path);

// Sets (or, for none, leaves unset) the attribute on the open file fd. Throws
// KVPS_UNSUPPORTED when the file system keeps no user extended attributes.
void write_properties(int fd, const Properties &properties, std::string_view path);

}  // namespace kvps::file
