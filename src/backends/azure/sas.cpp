// Service SAS generation (the string to sign, its HMAC from shared_key.cpp).
#include "sas.hpp"

#include <ctime>

#include "shared_key.hpp"
#include "spi/text.hpp"

namespace kvps::azure {

std::string sas_string_to_sign(const BlobSas &sas) {
    std::string resource = "/blob/" + std::string(sas.account) + "/" + std::string(sas.container) +
                           "/" + std::string(sas.blob);
    // sp, st, se, resource, si, sip, spr, sv, sr, snapshot time, ses, rscc, rscd, rsce, rscl, rsct
    return std::string(sas.permissions) + "\n\n" + std::string(sas.expiry) + "\n" + resource +
           "\n\n\n\n" + std::string(kSasVersion) + "\nb\n\n\n\n\n\n\n";
}

std::string sas_query(const BlobSas &sas, std::string_view key) {
    std::string sig = shared_key_signature(key, sas_string_to_sign(sas));
    return "sv=" + std::string(kSasVersion) + "&sr=b&sp=" + std::string(sas.permissions) +
           "&se=" + percent_encode(sas.expiry) + "&sig=" + percent_encode(sig);
}

std::string iso8601(int64_t seconds) {
    time_t t = static_cast<time_t>(seconds);
    struct tm tm {};
    gmtime_r(&t, &tm);
    char out[32];
    strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return out;
}

}  // namespace kvps::azure
