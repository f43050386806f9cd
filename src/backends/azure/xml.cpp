// The Blob service documents, read from the shared XML tree (src/net/xml.hpp).
#include "xml.hpp"

#include <cstdlib>

#include "net/dates.hpp"
#include "spi/text.hpp"

namespace kvps::azure {

XmlNode parse_xml(std::string_view document, std::string_view what) {
    return net::parse_xml(document, "az: the answer to " + std::string(what));
}

net::XmlError parse_error(std::string_view document) {
    net::XmlError out = net::parse_xml_error(document);
    if (size_t cut = out.message.find('\n'); cut != std::string::npos) out.message.resize(cut);
    return out;
}

// A name the service marks Encoded="true" comes percent-encoded (characters XML cannot carry).
static std::string name_of(const XmlNode &name) {
    return name.attribute("Encoded") == "true" ? percent_decode(name.text, "blob name") : name.text;
}

ListBlobsPage parse_list_blobs(std::string_view document) {
    XmlNode root = parse_xml(document, "List Blobs");
    ListBlobsPage page;
    page.next_marker = root.child_text("NextMarker");
    const XmlNode *blobs = root.child("Blobs");
    if (!blobs) return page;
    for (const XmlNode &b : blobs->children) {
        if (b.name == "BlobPrefix") {
            if (const XmlNode *name = b.child("Name")) page.prefixes.push_back(name_of(*name));
            continue;
        }
        if (b.name != "Blob") continue;
        ListedBlob out;
        const XmlNode *name = b.child("Name");
        if (!name) continue;
        out.name = name_of(*name);
        if (const XmlNode *p = b.child("Properties")) {
            out.size = std::strtoull(p->child_text("Content-Length").c_str(), nullptr, 10);
            out.mtime_ns = net::http_date_ns(p->child_text("Last-Modified"));
            out.etag = std::string(strip_quotes(p->child_text("Etag")));
        }
        page.blobs.push_back(std::move(out));
    }
    return page;
}

std::string block_list_xml(const std::vector<std::string> &block_ids) {
    std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (const std::string &id : block_ids) out += "<Latest>" + id + "</Latest>";
    out += "</BlockList>";
    return out;
}

}  // namespace kvps::azure
