// Where gs:// finds its OAuth2 access token, the way Google's client libraries look:
// GOOGLE_APPLICATION_CREDENTIALS (a service account key: a JWT signed RS256 exchanged at its
// token_uri; or an authorized_user file), the gcloud application-default file (a refresh token),
// the metadata server of a Google Cloud machine; or anonymous=true. Tokens are cached and
// renewed before they expire. Keys and tokens are secrets: never in a message or a log line.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "net/http.hpp"
#include "spi/options.hpp"

namespace kvps::gcs {

// A service account's identity and private key (PEM), for signed URLs. The key is a secret.
struct SigningKey {
    std::string email;
    std::string pem;
};

struct AccessToken {
    std::string value;
    std::chrono::system_clock::time_point expires;
};

// A cached token from one source; thread-safe.
class TokenSource {
public:
    using Fetch = std::function<AccessToken()>;
    // fetch empty: anonymous (no Authorization header). source names where tokens come from.
    TokenSource(std::string source, Fetch fetch)
        : source_(std::move(source)), fetch_(std::move(fetch)) {}

    // The token to send ("" when anonymous), fetched again when it expires within 5 minutes.
    std::string get();
    // The server refused `used`: the next get() fetches a new one.
    void invalidate(const std::string &used);
    bool anonymous() const { return !fetch_; }
    const std::string &source() const { return source_; }
    // Replaces every secret this source handed out in text with "***".
    std::string scrub(std::string text);
    // The service account key behind the tokens; nullptr for every other source.
    const SigningKey *signing_key() const { return signing_key_ ? &*signing_key_ : nullptr; }
    void set_signing_key(SigningKey key) { signing_key_ = std::move(key); }

private:
    std::string source_;
    Fetch fetch_;
    std::mutex mutex_;
    AccessToken cached_;
    std::optional<SigningKey> signing_key_;
};

// The scope asked for: read and write objects.
inline constexpr std::string_view kScope = "https://www.googleapis.com/auth/devstorage.read_write";

// Resolves the store's credentials from its options and the environment (see the README).
// Throws KVPS_NO_CREDENTIALS naming every place looked when none is found.
std::shared_ptr<TokenSource> resolve_credentials(const Config &config,
                                                 const net::HttpSettings &http);

// A token source for a credentials file (service_account or authorized_user JSON).
std::shared_ptr<TokenSource> credentials_from_file(const std::string &path,
                                                   const net::HttpSettings &http);

// text as a JSON string literal, quotes included.
std::string json_string(std::string_view text);

// The RSASSA-PKCS1-v1_5 SHA-256 signature of data with the PEM private key (raw bytes). Throws
// KVPS_INVALID_OPTION (naming `what`, never the key) for a key OpenSSL cannot read or that is not
// RSA.
std::string rsa_sha256_sign(std::string_view pem_key, std::string_view data, std::string_view what);

// A compact JWS (header.claims.signature, base64url) of claims_json signed RS256 with the PEM
// private key. Throws KVPS_INVALID_OPTION (naming `what`, never the key) for a key OpenSSL
// cannot read.
std::string sign_jwt(std::string_view pem_key, std::string_view claims_json, std::string_view what);

// The claims a service account sends to token_uri, valid an hour from issued_at (seconds).
std::string service_account_claims(std::string_view client_email, std::string_view token_uri,
                                   int64_t issued_at);

// POSTs a form to a token endpoint and reads {access_token, expires_in}. Throws
// KVPS_PERMISSION_DENIED for a refusal, KVPS_NETWORK/TIMEOUT without an answer.
AccessToken exchange_token(net::HttpClient &http, const std::string &token_uri,
                           const std::string &form, std::string_view what);

}  // namespace kvps::gcs
