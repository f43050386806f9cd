// SigV4: canonical request -> string to sign -> HMAC chain -> signature.
#include "sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::s3 {
namespace {

std::string to_hex(const unsigned char *bytes, size_t size) {
    return kvps::to_hex(std::string_view(reinterpret_cast<const char *>(bytes), size));
}

std::string hmac(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char *>(data.data()), data.size(), out, &size))
        fail(KVPS_INTERNAL, "s3: HMAC-SHA256 failed in OpenSSL");
    return std::string(reinterpret_cast<char *>(out), size);
}

// Trims the value and folds every run of whitespace into one space, as SigV4 requires.
std::string canonical_header_value(std::string_view value) {
    std::string out;
    bool space = false;
    for (char c : value) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

}  // namespace

std::string amz_date_now() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[17];
    std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
    return text;
}

std::string sha256_hex(const void *data, size_t size) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(static_cast<const unsigned char *>(data), size, digest);
    return to_hex(digest, sizeof digest);
}

std::string uri_encode(std::string_view text, bool keep_slash) {
    return percent_encode(text, keep_slash ? "/" : "");
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>> &query) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(query.size());
    for (const auto &[name, value] : query)
        encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto &[name, value] : encoded) {
        if (!out.empty()) out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

Signature sign(const SigningRequest &request, std::string_view access_key_id,
               std::string_view secret_access_key) {
    // Headers by lowercase name; repeated names join their values with commas, in order.
    std::map<std::string, std::string> headers;
    for (const auto &[name, value] : request.headers) {
        std::string &slot = headers[lower(name)];
        if (!slot.empty()) slot += ',';
        slot += canonical_header_value(value);
    }
    std::string canonical_headers, signed_headers;
    for (const auto &[name, value] : headers) {
        canonical_headers += name + ':' + value + '\n';
        if (!signed_headers.empty()) signed_headers += ';';
        signed_headers += name;
    }

    Signature out;
    out.canonical_request = std::string(request.method) + '\n' + std::string(request.path) + '\n' +
                            canonical_query(request.query) + '\n' + canonical_headers + '\n' +
                            signed_headers + '\n' + std::string(request.payload_hash);

    std::string_view date = request.amz_date.substr(0, 8);
    std::string scope = std::string(date) + '/' + std::string(request.region) + '/' +
                        std::string(request.service) + "/aws4_request";
    out.string_to_sign = "AWS4-HMAC-SHA256\n" + std::string(request.amz_date) + '\n' + scope +
                         '\n' + sha256_hex(out.canonical_request);

    std::string key = hmac("AWS4" + std::string(secret_access_key), date);
    key = hmac(key, request.region);
    key = hmac(key, request.service);
    key = hmac(key, "aws4_request");
    std::string raw = hmac(key, out.string_to_sign);
    out.signature = to_hex(reinterpret_cast<const unsigned char *>(raw.data()), raw.size());
    out.authorization = "AWS4-HMAC-SHA256 Credential=" + std::string(access_key_id) + '/' + scope +
                        ", SignedHeaders=" + signed_headers + ", Signature=" + out.signature;
    return out;
}

}  // namespace kvps::s3
