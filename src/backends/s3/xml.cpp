// The S3 documents, read from the shared XML tree (src/net/xml.hpp).
#include "xml.hpp"

#include <cstdlib>

#include "net/dates.hpp"
#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::s3 {

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
        o.mtime_ns = net::iso8601_ns(c.child_text("LastModified"));
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
                           net::iso8601_ns(c.child_text("Initiated"))});
    return out;
}

std::vector<DeleteFailure> parse_delete_result(std::string_view document) {
    std::vector<DeleteFailure> out;
    for (const XmlNode &c : parse_xml(document, "DeleteObjects").children)
        if (c.name == "Error")
            out.push_back({c.child_text("Key"), c.child_text("Code"), c.child_text("Message")});
    return out;
}

std::string url_decode_key(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        int hi, lo;
        if (text[i] == '+') {
            out += ' ';
        } else if (text[i] == '%' && i + 2 < text.size() &&
                   (hi = hex_digit_value(text[i + 1])) >= 0 &&
                   (lo = hex_digit_value(text[i + 2])) >= 0) {
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

}  // namespace kvps::s3
