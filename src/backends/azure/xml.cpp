// The Blob service documents, read from the shared XML tree (src/net/xml.hpp).
#include "xml.hpp"

#include <curl/curl.h>

#include <cstdlib>
#include <memory>

#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::azure {

int64_t http_date_ns(const std::string &text) {
    time_t t = text.empty() ? -1 : curl_getdate(text.c_str(), nullptr);
    return t > 0 ? static_cast<int64_t>(t) * 1000000000 : 0;
}

XmlNode parse_xml(std::string_view document, std::string_view what) {
    return net::parse_xml(document, "az: the answer to " + std::string(what));
}

ErrorBody parse_error(std::string_view document) {
    ErrorBody out;
    if (document.empty()) return out;
    try {
        XmlNode root = parse_xml(document, "a request");
        if (root.name != "Error") return out;
        out.code = root.child_text("Code");
        out.message = root.child_text("Message");
        // The service's message ends in "\nRequestId:...\nTime:..."; the request id is
        // reported once, from its header.
        if (size_t cut = out.message.find('\n'); cut != std::string::npos) out.message.resize(cut);
    } catch (const Error &) {
        // Not XML (a proxy's page, say): the status and x-ms-error-code describe the failure.
    }
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
            out.mtime_ns = http_date_ns(p->child_text("Last-Modified"));
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
