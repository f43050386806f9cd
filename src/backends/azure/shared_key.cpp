// Shared Key: the canonical request and its HMAC-SHA256 (OpenSSL).
#include "shared_key.hpp"

#include <algorithm>
#include <map>

#include "net/crypto.hpp"
#include "spi/text.hpp"

namespace kvps::azure {
namespace {

// A header's value, its name compared without case; "" when absent.
std::string header_value(const Pairs &headers, std::string_view name) {
    for (const auto &[n, v] : headers)
        if (lower(n) == name) return v;
    return {};
}

}  // namespace

std::string string_to_sign(const SignedRequest &request) {
    std::string out(request.method);
    out += '\n';
    for (std::string_view name : {"content-encoding", "content-language"})
        out += header_value(request.headers, name) + "\n";
    if (request.content_length > 0) out += std::to_string(request.content_length);
    out += '\n';
    for (std::string_view name : {"content-md5", "content-type", "date", "if-modified-since",
                                  "if-match", "if-none-match", "if-unmodified-since", "range"})
        out += header_value(request.headers, name) + "\n";

    std::map<std::string, std::string> ms;  // sorted by lower-cased name
    for (const auto &[name, value] : request.headers) {
        std::string n = lower(name);
        if (n.starts_with("x-ms-")) ms[n] = net::canonical_header_value(value);
    }
    for (const auto &[name, value] : ms) out += name + ":" + value + "\n";

    out += "/";
    out += request.account;
    out += request.path;
    std::map<std::string, std::vector<std::string>> params;
    for (const auto &[name, value] : request.query) params[lower(name)].push_back(value);
    for (auto &[name, values] : params) {
        std::sort(values.begin(), values.end());
        out += "\n" + name + ":";
        for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + values[i];
    }
    return out;
}

std::string shared_key_signature(std::string_view key, std::string_view to_sign) {
    return base64_encode(net::hmac_sha256(key, to_sign));
}

std::string shared_key_authorization(const SignedRequest &request, std::string_view key) {
    return "SharedKey " + std::string(request.account) + ":" +
           shared_key_signature(key, string_to_sign(request));
}

}  // namespace kvps::azure
