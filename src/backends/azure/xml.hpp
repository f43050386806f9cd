// The Blob service's XML documents kvps reads (parsed with expat into a small tree) and the one
// it writes (a block list).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvps::azure {

// One element: its name, attributes, text (character data directly inside it) and children.
struct XmlNode {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::string text;
    std::vector<XmlNode> children;

    const XmlNode *child(std::string_view child_name) const;
    std::string child_text(std::string_view child_name) const;          // "" when absent
    std::string_view attribute(std::string_view attribute_name) const;  // "" when absent
};

// Parses a whole document; throws KVPS_REMOTE naming `what` when it is not XML.
XmlNode parse_xml(std::string_view document, std::string_view what);

// Escapes text for element content.
std::string xml_escape(std::string_view text);

// <Error><Code/><Message/></Error>; empty fields when the body is not one.
struct ErrorBody {
    std::string code;
    std::string message;
};
ErrorBody parse_error(std::string_view document);

struct ListedBlob {
    std::string name;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::string etag;  // without quotes
};
struct ListBlobsPage {
    std::vector<ListedBlob> blobs;
    std::string next_marker;  // "" = the listing is complete
};
// An EnumerationResults answer of List Blobs.
ListBlobsPage parse_list_blobs(std::string_view document);

// An HTTP date (Last-Modified: "Tue, 01 Dec 2026 10:22:51 GMT") -> ns since the epoch; 0 when
// malformed.
int64_t http_date_ns(const std::string &text);

// The body of Put Block List: every block id (base64) as <Latest>.
std::string block_list_xml(const std::vector<std::string> &block_ids);

}  // namespace kvps::azure
