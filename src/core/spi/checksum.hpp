// End-to-end checksums: CRC32C (Castagnoli) of whole values, computed while writing, stored by
// the backend beside the value, verified by the core while reading.
//
// Why CRC32C rather than CRC64-NVME: both S3 servers we test against (MinIO, versitygw) keep
// x-amz-checksum-crc32c, x86 (SSE4.2) and ARMv8 compute it in hardware at memory speed with one
// instruction and no carry-less multiply tables, and 32 bits catch every burst error up to 32
// bits and any other random corruption with probability 1 - 2^-32, which is what a storage
// checksum is for (it is not a defence against tampering).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvps {

// Extends crc (0 to start) with size bytes.
uint32_t crc32c(const void *data, size_t size, uint32_t crc = 0);

// The CRC32C of A followed by B, from crc_a = crc32c(A), crc_b = crc32c(B) and B's size, in
// O(log size_b): the whole value's checksum from its parts' (multipart uploads).
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t size_b);

// Eight lowercase hex digits, the form kvps stores and shows ("e3069283").
std::string crc32c_hex(uint32_t crc);
std::optional<uint32_t> crc32c_from_hex(std::string_view text);
// The base64 of the 4 big-endian bytes, as x-amz-checksum-crc32c carries it.
std::string crc32c_base64(uint32_t crc);
std::optional<uint32_t> crc32c_from_base64(std::string_view text);

// Throws KVPS_CORRUPT naming the key, the expected and the actual checksum when they differ.
void check_crc32c(std::string_view key, uint32_t expected, uint32_t actual);

}  // namespace kvps
