// End-to-end checksums of the file backend: the CRC32C of a value is kept in its file's extended
// attribute user.kvps.crc32c (8 hex digits), set on the temporary file before the rename, so
// the value and its checksum are installed by the same atomic step.
#pragma once

#include <cstdint>
#include <optional>

namespace kvps::file {

inline constexpr const char *kChecksumAttribute = "user.kvps.crc32c";

// Best effort: on a file system without user extended attributes the value is kept without a
// checksum and reads unverified.
void store_checksum(int fd, uint32_t crc32c) noexcept;

// The checksum stored with the open file; nullopt when it has none (or a malformed one).
std::optional<uint32_t> stored_checksum(int fd) noexcept;

}  // namespace kvps::file
