// Presigned URLs: V4 signed URLs (GOOG4-RSA-SHA256), signed with a service account's private key
// (cloud.google.com/storage/docs/access-control/signing-urls-manually). Path-style on the
// endpoint: ENDPOINT/BUCKET/OBJECT, the one form both GCS and fake-gcs-server serve.
#include <ctime>

#include "gcs_backend.hpp"
#include "net/crypto.hpp"
#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::gcs {
namespace {

std::string sha256_hex(std::string_view data) {
    return to_hex(net::digest(net::Algorithm::sha256, data));
}

}  // namespace

std::string signed_url(const std::string &endpoint, const std::string &bucket,
                       const std::string &object, std::string_view method, uint64_t expires,
                       const SigningKey &key, std::string_view datetime) {
    std::string host = endpoint.substr(endpoint.find("://") + 3);
    std::string path = "/" + percent_encode(bucket) + "/" + percent_encode(object, "/");
    std::string scope = std::string(datetime.substr(0, 8)) + "/auto/storage/goog4_request";
    // Already in name order, as the canonical query wants.
    std::string canonical_query = query({{"X-Goog-Algorithm", "GOOG4-RSA-SHA256"},
                                         {"X-Goog-Credential", key.email + "/" + scope},
                                         {"X-Goog-Date", std::string(datetime)},
                                         {"X-Goog-Expires", std::to_string(expires)},
                                         {"X-Goog-SignedHeaders", "host"}});
    std::string canonical_request = std::string(method) + "\n" + path + "\n" + canonical_query +
                                    "\nhost:" + host + "\n\nhost\nUNSIGNED-PAYLOAD";
    std::string to_sign = "GOOG4-RSA-SHA256\n" + std::string(datetime) + "\n" + scope + "\n" +
                          sha256_hex(canonical_request);
    std::string signature =
        to_hex(rsa_sha256_sign(key.pem, to_sign, "the service account " + key.email));
    return endpoint + path + "?" + canonical_query + "&X-Goog-Signature=" + signature;
}

std::string GcsBackend::presign(std::string_view key, std::string_view method,
                                uint64_t expires_seconds) {
    const Settings &settings = client_.settings();
    std::string full = client_.full_key(key);
    const SigningKey *signer = settings.credentials->signing_key();
    if (!signer)
        fail(KVPS_UNSUPPORTED, "gs: cannot presign " + client_.describe(method, full) +
                                   ": a signed URL needs a service account's private key, and "
                                   "this store's credentials come from " +
                                   settings.credentials->source() +
                                   " (use credentials=FILE or GOOGLE_APPLICATION_CREDENTIALS "
                                   "with a service_account key file)");
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char datetime[32];
    std::strftime(datetime, sizeof datetime, "%Y%m%dT%H%M%SZ", &tm);
    return signed_url(settings.endpoint, settings.bucket, full, method, expires_seconds, *signer,
                      datetime);
}

}  // namespace kvps::gcs
