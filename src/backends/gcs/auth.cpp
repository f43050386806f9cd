// Credential resolution and OAuth2 token exchange for gs://.
#include "auth.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "net/json.hpp"
#include "net/retry.hpp"
#include "spi/error.hpp"
#include "spi/log.hpp"
#include "spi/text.hpp"

namespace kvps::gcs {
namespace {

using Clock = std::chrono::system_clock;
constexpr auto kRenewBefore = std::chrono::minutes(5);
constexpr const char *kGoogleTokenUri = "https://oauth2.googleapis.com/token";

std::string env(const char *name) {
    const char *value = std::getenv(name);
    return value ? value : "";
}

std::optional<std::string> read_file(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string form(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    std::string out;
    for (const auto &[name, value] : fields) {
        if (!out.empty()) out += '&';
        out += percent_encode(name) + "=" + percent_encode(value);
    }
    return out;
}

AccessToken static_token(std::string value) { return {std::move(value), Clock::time_point::max()}; }

// The HTTP client token requests go through: short timeouts, shared by one source's fetches.
std::shared_ptr<net::HttpClient> token_client(const net::HttpSettings &http) {
    net::HttpSettings options = http;
    options.stall_timeout = std::min(options.stall_timeout, std::chrono::milliseconds(30000));
    return std::make_shared<net::HttpClient>(options);
}

// The metadata server of a Google Cloud machine (GCE_METADATA_HOST overrides its address, as in
// Google's libraries); nullptr when it does not answer within a second.
std::shared_ptr<TokenSource> metadata_server(const net::HttpSettings &http) {
    std::string host = env("GCE_METADATA_HOST");
    if (host.empty()) host = "169.254.169.254";
    net::HttpSettings options = http;
    options.connect_timeout = std::chrono::milliseconds(1000);
    options.stall_timeout = std::chrono::milliseconds(2000);
    auto client = std::make_shared<net::HttpClient>(options);
    std::string url =
        "http://" + host + "/computeMetadata/v1/instance/service-accounts/default/token";
    auto fetch = [client, url]() -> AccessToken {
        net::HttpRequest request;
        request.url = url;
        request.headers = {"Metadata-Flavor: Google"};
        net::HttpResponse response;
        net::TransportError transport;
        if (!client->perform(request, response, transport))
            fail(transport.timed_out ? KVPS_TIMEOUT : KVPS_NETWORK,
                 "gs: the metadata server at " + url + " did not answer: " + transport.message);
        if (response.status != 200)
            fail(KVPS_PERMISSION_DENIED, "gs: the metadata server at " + url +
                                             " refused a token (HTTP " +
                                             std::to_string(response.status) + ")");
        net::JsonValue doc = net::parse_json({response.body.data(), response.body.size()},
                                             "the metadata server's token");
        std::string token = doc.text_of("access_token");
        if (token.empty())
            fail(KVPS_REMOTE, "gs: the metadata server's answer has no access_token");
        int64_t seconds = parse_integer(doc.text_of("expires_in")).value_or(300);
        return {token, Clock::now() + std::chrono::seconds(seconds)};
    };
    try {
        auto source = std::make_shared<TokenSource>("the metadata server (" + host + ")", fetch);
        source->get();  // the probe: a machine without one answers nothing
        return source;
    } catch (const Error &e) {
        log(KVPS_LOG_DEBUG, "gs: no credentials from the metadata server: " + e.message());
        return nullptr;
    }
}

}  // namespace

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
            continue;
        }
        out += c;
    }
    return out + "\"";
}

std::string TokenSource::get() {
    if (!fetch_) return "";
    std::lock_guard lock(mutex_);
    if (cached_.value.empty() || Clock::now() + kRenewBefore >= cached_.expires) {
        AccessToken fresh = fetch_();
        // A token that expires sooner than the margin is used once rather than never.
        cached_ = std::move(fresh);
    }
    return cached_.value;
}

void TokenSource::invalidate(const std::string &used) {
    std::lock_guard lock(mutex_);
    if (cached_.value == used && cached_.expires != Clock::time_point::max()) cached_ = {};
}

std::string TokenSource::scrub(std::string text) {
    std::string secret;
    {
        std::lock_guard lock(mutex_);
        secret = cached_.value;
    }
    if (secret.empty()) return text;
    for (size_t at; (at = text.find(secret)) != std::string::npos;)
        text.replace(at, secret.size(), "***");
    return text;
}

std::string rsa_sha256_sign(std::string_view pem_key, std::string_view data,
                            std::string_view what) {
    BIO *bio = BIO_new_mem_buf(pem_key.data(), static_cast<int>(pem_key.size()));
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (!key)
        fail(KVPS_INVALID_OPTION, "gs: the private key of " + std::string(what) +
                                      " is not a PEM private key OpenSSL can read");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t size = 0;
    std::string signature;
    const auto *bytes = reinterpret_cast<const unsigned char *>(data.data());
    bool ok = ctx && EVP_PKEY_base_id(key) == EVP_PKEY_RSA &&
              EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestSign(ctx, nullptr, &size, bytes, data.size()) == 1;
    if (ok) {
        signature.resize(size);
        ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(signature.data()), &size, bytes,
                            data.size()) == 1;
        signature.resize(size);
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (!ok)
        fail(KVPS_INVALID_OPTION, "gs: cannot sign with the private key of " + std::string(what) +
                                      " (RS256 needs an RSA key)");
    return signature;
}

std::string sign_jwt(std::string_view pem_key, std::string_view claims_json,
                     std::string_view what) {
    std::string input = base64_encode(R"({"alg":"RS256","typ":"JWT"})", true) + "." +
                        base64_encode(claims_json, true);
    return input + "." + base64_encode(rsa_sha256_sign(pem_key, input, what), true);
}

std::string service_account_claims(std::string_view client_email, std::string_view token_uri,
                                   int64_t issued_at) {
    return R"({"iss":)" + json_string(client_email) + R"(,"scope":")" + std::string(kScope) +
           R"(","aud":)" + json_string(token_uri) + R"(,"iat":)" + std::to_string(issued_at) +
           R"(,"exp":)" + std::to_string(issued_at + 3600) + "}";
}

AccessToken exchange_token(net::HttpClient &http, const std::string &token_uri,
                           const std::string &body, std::string_view what) {
    net::HttpRequest request;
    request.method = "POST";
    request.url = token_uri;
    request.headers = {"Content-Type: application/x-www-form-urlencoded",
                       "Accept: application/json"};
    request.body = body.data();
    request.body_size = body.size();
    request.has_body = true;
    net::HttpResponse response;
    for (unsigned attempt = 1;; ++attempt) {
        net::TransportError transport;
        bool answered = http.perform(request, response, transport);
        bool last = attempt >= 3;
        if (!answered) {
            if (!last) {
                net::back_off(attempt);
                continue;
            }
            fail(transport.timed_out ? KVPS_TIMEOUT : KVPS_NETWORK,
                 "gs: no answer from the token endpoint " + token_uri + " (" + std::string(what) +
                     "): " + transport.message);
        }
        if ((response.status >= 500 || response.status == 429) && !last) {
            net::back_off(attempt);
            continue;
        }
        break;
    }
    std::string_view text(response.body.data() ? response.body.data() : "", response.body.size());
    if (response.status != 200) {
        std::string detail;
        try {
            net::JsonValue doc = net::parse_json(text, "the token endpoint's error");
            detail = doc.text_of("error");
            std::string description = doc.text_of("error_description");
            if (!description.empty()) detail += (detail.empty() ? "" : ": ") + description;
        } catch (const Error &) {
        }
        fail(response.status >= 500 ? KVPS_REMOTE : KVPS_PERMISSION_DENIED,
             "gs: the token endpoint " + token_uri + " refused " + std::string(what) +
                 (detail.empty() ? "" : ": " + detail) + " (HTTP " +
                 std::to_string(response.status) + ")");
    }
    net::JsonValue doc = net::parse_json(text, "the token endpoint's answer");
    std::string token = doc.text_of("access_token");
    if (token.empty())
        fail(KVPS_REMOTE,
             "gs: the token endpoint " + token_uri + " answered without an access_token");
    int64_t seconds = parse_integer(doc.text_of("expires_in")).value_or(3600);
    return {token, Clock::now() + std::chrono::seconds(seconds)};
}

std::shared_ptr<TokenSource> credentials_from_file(const std::string &path,
                                                   const net::HttpSettings &http) {
    std::optional<std::string> text = read_file(path);
    if (!text) fail(KVPS_NO_CREDENTIALS, "gs: cannot read the credentials file '" + path + "'");
    net::JsonValue doc;
    try {
        doc = net::parse_json(*text, "the credentials file");
    } catch (const Error &) {
        fail(KVPS_INVALID_OPTION, "gs: the credentials file '" + path + "' is not valid JSON");
    }
    std::string type = doc.text_of("type");
    std::string token_uri = doc.text_of("token_uri");
    if (token_uri.empty()) token_uri = kGoogleTokenUri;
    auto client = token_client(http);
    if (type == "service_account") {
        std::string email = doc.text_of("client_email");
        std::string key = doc.text_of("private_key");
        if (email.empty() || key.empty())
            fail(KVPS_INVALID_OPTION,
                 "gs: the service account file '" + path + "' lacks client_email or private_key");
        std::string what = "the service account " + email + " ('" + path + "')";
        sign_jwt(key, "{}", what);  // a bad key fails at open, not at the first request
        auto fetch = [client, email, key, token_uri, what]() {
            int64_t now =
                std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch())
                    .count();
            std::string jwt = sign_jwt(key, service_account_claims(email, token_uri, now), what);
            return exchange_token(
                *client, token_uri,
                form({{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
                      {"assertion", jwt}}),
                "the JWT of " + what);
        };
        auto source = std::make_shared<TokenSource>(what, fetch);
        source->set_signing_key({email, key});
        return source;
    }
    if (type == "authorized_user") {
        std::string id = doc.text_of("client_id"), secret = doc.text_of("client_secret");
        std::string refresh = doc.text_of("refresh_token");
        if (id.empty() || secret.empty() || refresh.empty())
            fail(KVPS_INVALID_OPTION, "gs: the authorized_user file '" + path +
                                          "' lacks client_id, client_secret or refresh_token");
        std::string what = "the refresh token of '" + path + "'";
        auto fetch = [client, id, secret, refresh, token_uri, what]() {
            return exchange_token(*client, token_uri,
                                  form({{"grant_type", "refresh_token"},
                                        {"client_id", id},
                                        {"client_secret", secret},
                                        {"refresh_token", refresh}}),
                                  what);
        };
        return std::make_shared<TokenSource>("the authorized_user file '" + path + "'", fetch);
    }
    fail(KVPS_INVALID_OPTION, "gs: the credentials file '" + path + "' has type '" + type +
                                  "'; expected service_account or authorized_user");
}

std::shared_ptr<TokenSource> resolve_credentials(const Config &config,
                                                 const net::HttpSettings &http) {
    if (config.boolean("anonymous")) return std::make_shared<TokenSource>("anonymous", nullptr);
    if (config.given("credentials"))
        return credentials_from_file(config.string("credentials"), http);
    if (config.given("access_token")) {
        std::string token = config.string("access_token");
        for (unsigned char c : token)
            if (c < 0x21 || c == 0x7f)
                fail(KVPS_INVALID_OPTION,
                     "gs: option access_token contains a space or control character");
        return std::make_shared<TokenSource>("option access_token",
                                             [token] { return static_token(token); });
    }
    std::vector<std::string> looked = {"options anonymous, credentials and access_token"};
    std::string path = env("GOOGLE_APPLICATION_CREDENTIALS");
    if (!path.empty()) return credentials_from_file(path, http);
    looked.push_back("GOOGLE_APPLICATION_CREDENTIALS (unset)");
    // The emulators check no token: Google's libraries send none when STORAGE_EMULATOR_HOST
    // chooses the endpoint.
    if (!config.given("endpoint") && !env("STORAGE_EMULATOR_HOST").empty())
        return std::make_shared<TokenSource>("anonymous (STORAGE_EMULATOR_HOST)", nullptr);
    std::string dir = env("CLOUDSDK_CONFIG");
    if (dir.empty() && !env("HOME").empty()) dir = env("HOME") + "/.config/gcloud";
    if (!dir.empty()) {
        std::string adc = dir + "/application_default_credentials.json";
        if (read_file(adc)) return credentials_from_file(adc, http);
        looked.push_back(adc + " (absent)");
    }
    if (auto source = metadata_server(http)) return source;
    looked.push_back("the metadata server (" +
                     (env("GCE_METADATA_HOST").empty() ? std::string("169.254.169.254")
                                                       : env("GCE_METADATA_HOST")) +
                     ", no answer)");
    std::string message = "gs: no credentials found; looked at: ";
    for (size_t i = 0; i < looked.size(); ++i) message += (i ? "; " : "") + looked[i];
    fail(KVPS_NO_CREDENTIALS,
         message + ". Set one, or anonymous=true for public buckets and emulators");
}

}  // namespace kvps::gcs
