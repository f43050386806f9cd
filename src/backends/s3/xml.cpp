// The S3 documents, read from the shared XML tree (src/net/xml.hpp).
#include "xml.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>

#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::s3 {
namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

XmlNode parse_xml(std::string_view document, std::string_view what) {
    return net::parse_xml(document, "s3: the server's answer to " + std::string(what));
}

bool is_error_document(std::string_view document) {
    size_t start = document.find('<');
    while (start != std::string_view::npos &&
           (document.compare(start, 2, "<?") == 0 || document.compare(start, 4, "<!--") == 0))
        start = document.find('<', start + 1);
    return start != std::string_view::npos && document.compare(start, 7, "<Error>") == 0;
}

S3ErrorBody parse_error(std::string_view document) {
    S3ErrorBody out;
    if (document.empty()) return out;
    try {
        XmlNode root = parse_xml(document, "a request");
        if (root.name != "Error") return out;
        out.code = root.child_text("Code");
        out.message = root.child_text("Message");
        out.request_id = root.child_text("RequestId");
    } catch (const Error &) {
        // Not XML (a proxy's HTML page, say): the HTTP status alone describes the failure.
    }
    return out;
}

ListObjectsPage parse_list_objects(std::string_view document) {
    XmlNode root = parse_xml(document, "ListObjectsV2");
    ListObjectsPage page;
    page.truncated = root.child_text("IsTruncated") == "true";
    page.next_token = root.child_text("NextContinuationToken");
    // Keys are encoded only when the answer says so: some servers ignore encoding-type.
    bool encoded = root.child_text("EncodingType") == "url";
    for (const XmlNode &c : root.children) {
        if (c.name == "CommonPrefixes") {
            std::string p = c.child_text("Prefix");
            page.common_prefixes.push_back(encoded ? url_decode_key(p) : p);
        }
        if (c.name != "Contents") continue;
        ListedObject o;
        o.key = encoded ? url_decode_key(c.child_text("Key")) : c.child_text("Key");
        o.size = std::strtoull(c.child_text("Size").c_str(), nullptr, 10);
        o.mtime_ns = parse_iso8601_ns(c.child_text("LastModified"));
        o.etag = std::string(strip_quotes(c.child_text("ETag")));
        page.objects.push_back(std::move(o));
    }
    return page;
}

std::string parse_upload_id(std::string_view document) {
    std::string id = parse_xml(document, "CreateMultipartUpload").child_text("UploadId");
    if (id.empty()) fail(KVPS_REMOTE, "s3: CreateMultipartUpload answered without an UploadId");
    return id;
}

std::vector<MultipartUploadEntry> parse_multipart_uploads(std::string_view document) {
    std::vector<MultipartUploadEntry> out;
    for (const XmlNode &c : parse_xml(document, "ListMultipartUploads").children)
        if (c.name == "Upload")
            out.push_back({c.child_text("Key"), c.child_text("UploadId"),
                           parse_iso8601_ns(c.child_text("Initiated"))});
    return out;
}

std::vector<DeleteFailure> parse_delete_result(std::string_view document) {
    std::vector<DeleteFailure> out;
    for (const XmlNode &c : parse_xml(document, "DeleteObjects").children)
        if (c.name == "Error")
            out.push_back({c.child_text("Key"), c.child_text("Code"), c.child_text("Message")});
    return out;
}

int64_t parse_iso8601_ns(std::string_view text) {
    std::tm tm{};
    int year, month, day, hour, minute, second;
    std::string s(text);
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute,
                    &second) != 6)
        return 0;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    time_t seconds = timegm(&tm);
    // Out of what int64 nanoseconds hold (years 1678..2262), or fields out of their ranges.
    if (seconds < -9200000000 || seconds > 9200000000) return 0;
    int64_t ns = static_cast<int64_t>(seconds) * 1000000000;
    size_t dot = s.find('.');
    if (dot != std::string::npos) {
        int64_t scale = 100000000;
        for (size_t i = dot + 1; i < s.size() && s[i] >= '0' && s[i] <= '9' && scale; ++i) {
            ns += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    return ns;
}

std::string url_decode_key(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        int hi, lo;
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%' && i + 2 < text.size() && (hi = hex_digit(text[i + 1])) >= 0 &&
                   (lo = hex_digit(text[i + 2])) >= 0) {
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace kvps::s3
