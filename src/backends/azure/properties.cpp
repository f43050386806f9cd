// Metadata name escaping, property and condition headers.
#include "properties.hpp"

#include <algorithm>

#include "spi/checksum.hpp"
#include "spi/text.hpp"

namespace kvps::azure {
namespace {
constexpr std::string_view kChecksumName = "kvps_crc32c";
}  // namespace

Pairs checksum_header(uint32_t crc) {
    return {{"x-ms-meta-" + std::string(kChecksumName), crc32c_hex(crc)}};
}

std::optional<uint32_t> stored_crc32c(const net::HttpResponse &response) {
    for (auto &[name, value] : response.headers_with_prefix("x-ms-meta-"))
        if (lower(name) == kChecksumName) return crc32c_from_hex(value);
    return std::nullopt;
}

std::string encode_metadata_name(std::string_view name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(name[i]);
        bool digit = c >= '0' && c <= '9';
        if ((c >= 'a' && c <= 'z') || (digit && i > 0)) {
            out += static_cast<char>(c);
        } else if (c == '_') {
            out += "__";
        } else {
            out += '_';
            out += hex_digit(c >> 4);
            out += hex_digit(c);
        }
    }
    return out;
}

std::optional<std::string> decode_metadata_name(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '_') {
            out += text[i];
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '_') {
            out += '_';
            ++i;
            continue;
        }
        int hi = i + 2 < text.size() ? hex_digit_value(text[i + 1]) : -1;
        int lo = hi >= 0 ? hex_digit_value(text[i + 2]) : -1;
        if (lo < 0) return std::nullopt;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

Pairs metadata_headers(const MetadataList &metadata) {
    Pairs out;
    for (const auto &[name, value] : metadata)
        out.emplace_back("x-ms-meta-" + encode_metadata_name(name), value);
    return out;
}

Pairs content_type_header(const Properties &properties, bool block_list) {
    std::string type = properties.content_type.empty() ? std::string(kDefaultContentType)
                                                       : properties.content_type;
    return {{block_list ? "x-ms-blob-content-type" : "Content-Type", type}};
}

Pairs condition_headers(const PutOptions &options) {
    if (options.create_only) return {{"If-None-Match", "*"}};
    if (!options.if_match.empty()) return {{"If-Match", "\"" + options.if_match + "\""}};
    return {};
}

Properties properties_of(const net::HttpResponse &response) {
    Properties out;
    out.content_type = response.content_type;
    for (auto &[name, value] : response.headers_with_prefix("x-ms-meta-")) {
        if (lower(name) == kChecksumName) continue;  // kvps's own (stored_crc32c)
        std::optional<std::string> decoded = decode_metadata_name(name);
        out.metadata.emplace_back(decoded ? *decoded : name, value);
    }
    std::sort(out.metadata.begin(), out.metadata.end());
    return out;
}

std::string plain_etag(std::string_view etag) {
    std::string out(strip_quotes(etag));
    if (out.size() >= KVPS_ETAG_MAX) out.resize(KVPS_ETAG_MAX - 1);
    return out;
}

}  // namespace kvps::azure
