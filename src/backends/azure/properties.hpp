// Content type and user metadata on the Blob service. Metadata names there must be C#
// identifiers (letters, digits, '_', not starting with a digit), and kvps allows more ('-',
// '.', ...): a name is stored escaped, reversibly: a-z and 0-9 as they are (a leading digit
// escaped), '_' as "__", any other byte as '_' and two hex digits ("x-owner" -> "x_2downer").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/http.hpp"
#include "shared_key.hpp"
#include "spi/put_options.hpp"

namespace kvps::azure {

std::string encode_metadata_name(std::string_view name);
// nullopt when the text is not an escaped name (metadata another tool wrote: then taken as is).
std::optional<std::string> decode_metadata_name(std::string_view text);

// x-ms-meta-* headers for a metadata list.
Pairs metadata_headers(const MetadataList &metadata);
// The content type header: Content-Type on Put Blob, x-ms-blob-content-type on Put Block List.
Pairs content_type_header(const Properties &properties, bool block_list);
// If-None-Match / If-Match for a condition; none without one.
Pairs condition_headers(const PutOptions &options);
// The properties an answer (Get Blob, Get Blob Properties) carries.
Properties properties_of(const net::HttpResponse &response);

// kvps's CRC32C of the whole value (spi/checksum.hpp), stored as metadata "kvps_crc32c" (a name
// no user's name escapes to: "_cr" is not an escape) in 8 hex digits. The service has no
// CRC32C of its own; its Content-MD5 guards each request on the way in.
Pairs checksum_header(uint32_t crc);
// The CRC32C an answer carries; nullopt when none (a value another tool wrote).
std::optional<uint32_t> stored_crc32c(const net::HttpResponse &response);

// An ETag as kvps shows it: without quotes, at most KVPS_ETAG_MAX - 1 bytes.
std::string plain_etag(std::string_view etag);

}  // namespace kvps::azure
