// Service SAS (a presigned URL's query): a blob's permissions and expiry signed with the
// account key, HMAC-SHA256 over the string to sign of signed version 2020-12-06 and later.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kvps::azure {

inline constexpr std::string_view kSasVersion = "2021-12-02";

struct BlobSas {
    std::string_view account;
    std::string_view container;
    std::string_view blob;         // the full blob name, not encoded
    std::string_view permissions;  // "r" (read) or "cw" (create, write)
    std::string_view expiry;       // ISO 8601 UTC, "2026-12-01T15:00:00Z"
};

// The 16 lines the service signs: sp, st, se, "/blob/ACCOUNT/CONTAINER/BLOB", si, sip, spr, sv,
// sr ("b"), the snapshot time, ses, and the five response headers (all empty but those given).
std::string sas_string_to_sign(const BlobSas &sas);

// The SAS query "sv=...&sr=b&sp=...&se=...&sig=..." (percent-encoded), key being the decoded
// account key.
std::string sas_query(const BlobSas &sas, std::string_view key);

// ISO 8601 UTC of a time in seconds since the epoch, "2026-12-01T15:00:00Z".
std::string iso8601(int64_t seconds);

}  // namespace kvps::azure
