// Presigned URLs: the blob's URL with a service SAS signed by the account key.
#include <chrono>

#include "azure_backend.hpp"
#include "sas.hpp"
#include "spi/error.hpp"

namespace kvps::azure {

std::string AzureBackend::presign(std::string_view key, std::string_view method,
                                  uint64_t expires_seconds) {
    const Settings &settings = client_.settings();
    std::string full = client_.full_key(key);
    if (settings.key.empty())
        fail(KVPS_UNSUPPORTED,
             "az: cannot presign " + client_.describe(method, full) +
                 ": a presigned URL is a SAS signed with the account key, and this store has " +
                 (settings.sas.empty() ? "none (anonymous)"
                                       : "a SAS token only (give account_key or a connection "
                                         "string with AccountKey)"));
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    std::string expiry = iso8601(now + static_cast<int64_t>(expires_seconds));
    BlobSas sas{settings.account, settings.container, full, method == "PUT" ? "cw" : "r", expiry};
    return client_.blob_url(full) + "?" + sas_query(sas, settings.key);
}

}  // namespace kvps::azure
