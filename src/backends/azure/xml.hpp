// The Blob service's XML documents kvps reads (parsed with expat into a small tree) and the one
// it writes (a block list).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/xml.hpp"

namespace kvps::azure {

using net::xml_escape;
using net::XmlNode;  // the shared XML tree (src/net/xml.hpp)

// net::parse_xml with the message "az: the answer to <what> is not valid XML: ...".
XmlNode parse_xml(std::string_view document, std::string_view what);

// <Error><Code/><Message/></Error>; empty fields when the body is not one. The message is cut
// before the "\nRequestId:...\nTime:..." the service appends (the request id is reported once,
// from its header).
net::XmlError parse_error(std::string_view document);

struct ListedBlob {
    std::string name;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::string etag;  // without quotes
};
struct ListBlobsPage {
    std::vector<ListedBlob> blobs;
    std::vector<std::string> prefixes;  // BlobPrefix names (a listing with a delimiter)
    std::string next_marker;            // "" = the listing is complete
};
// An EnumerationResults answer of List Blobs.
ListBlobsPage parse_list_blobs(std::string_view document);

// The body of Put Block List: every block id (base64) as <Latest>.
std::string block_list_xml(const std::vector<std::string> &block_ids);

}  // namespace kvps::azure
