// Dates in the services' answers, to nanoseconds since the epoch (0 when unreadable), for every
// backend that reads them.
#pragma once

#include <cstdint>
#include <string_view>

namespace kvps::net {

// An HTTP date (Last-Modified, Date: "Tue, 01 Dec 2026 10:22:51 GMT"); whole seconds.
int64_t http_date_ns(std::string_view text);

// An ISO 8601 / RFC 3339 UTC time ("2026-12-01T10:22:50.123Z", as S3's XML and GCS's JSON
// carry them), fractional seconds included.
int64_t iso8601_ns(std::string_view text);

}  // namespace kvps::net
