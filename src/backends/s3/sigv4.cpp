// SigV4: canonical request -> string to sign -> HMAC chain -> signature.
#include "sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "net/crypto.hpp"
#include "spi/text.hpp"

namespace kvps::s3 {
namespace {

using net::canonical_header_value;
using net::hmac_sha256;

// The key that signs a day's requests to one region and service: four HMACs, derived once
// per thread and day rather than for every request.
const std::string &signing_key(std::string_view secret, std::string_view date,
                               std::string_view region, std::string_view service) {
    thread_local struct { std::string secret, date, region, service, key; } cached;
    if (cached.key.empty() || cached.secret != secret || cached.date != date ||
        cached.region != region || cached.service != service) {
        std::string key = hmac_sha256("AWS4" + std::string(secret), date);
        key = hmac_sha256(key, region);
        key = hmac_sha256(key, service);
        cached.key = hmac_sha256(key, "aws4_request");
        cached.secret = secret;
        cached.date = date;
        cached.region = region;
        cached.service = service;
    }
    return cached.key;
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
    return to_hex(net::digest(net::Algorithm::sha256, data, size));
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

    out.signature = to_hex(hmac_sha256(
        signing_key(secret_access_key, date, request.region, request.service), out.string_to_sign));
    out.authorization = "AWS4-HMAC-SHA256 Credential=" + std::string(access_key_id) + '/' + scope +
                        ", SignedHeaders=" + signed_headers + ", Signature=" + out.signature;
    return out;
}

}  // namespace kvps::s3
