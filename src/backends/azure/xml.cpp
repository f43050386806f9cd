// expat -> XmlNode tree, and the Blob service documents read from it.
#include "xml.hpp"

#include <curl/curl.h>
#include <expat.h>

#include <cstdlib>
#include <memory>

#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::azure {
namespace {

struct TreeBuilder {
    XmlNode root;
    std::vector<XmlNode *> open;  // the open elements; only the innermost one grows children
};

void XMLCALL on_start(void *user, const XML_Char *name, const XML_Char **attributes) {
    auto *b = static_cast<TreeBuilder *>(user);
    XmlNode *node;
    if (b->open.empty()) {
        node = &b->root;
    } else {
        b->open.back()->children.emplace_back();
        node = &b->open.back()->children.back();
    }
    node->name = name;
    for (size_t i = 0; attributes[i] && attributes[i + 1]; i += 2)
        node->attributes.emplace_back(attributes[i], attributes[i + 1]);
    b->open.push_back(node);
}

void XMLCALL on_end(void *user, const XML_Char *) {
    static_cast<TreeBuilder *>(user)->open.pop_back();
}

void XMLCALL on_text(void *user, const XML_Char *text, int size) {
    auto *b = static_cast<TreeBuilder *>(user);
    if (!b->open.empty()) b->open.back()->text.append(text, static_cast<size_t>(size));
}

}  // namespace

int64_t http_date_ns(const std::string &text) {
    time_t t = text.empty() ? -1 : curl_getdate(text.c_str(), nullptr);
    return t > 0 ? static_cast<int64_t>(t) * 1000000000 : 0;
}

const XmlNode *XmlNode::child(std::string_view child_name) const {
    for (const XmlNode &c : children)
        if (c.name == child_name) return &c;
    return nullptr;
}

std::string XmlNode::child_text(std::string_view child_name) const {
    const XmlNode *c = child(child_name);
    return c ? c->text : std::string();
}

std::string_view XmlNode::attribute(std::string_view attribute_name) const {
    for (const auto &[name, value] : attributes)
        if (name == attribute_name) return value;
    return {};
}

XmlNode parse_xml(std::string_view document, std::string_view what) {
    std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                        &XML_ParserFree);
    if (!parser) fail(KVPS_NO_MEMORY, "az: cannot create an XML parser");
    TreeBuilder builder;
    XML_SetUserData(parser.get(), &builder);
    XML_SetElementHandler(parser.get(), on_start, on_end);
    XML_SetCharacterDataHandler(parser.get(), on_text);
    // The service starts its documents with a byte order mark; expat handles it.
    if (XML_Parse(parser.get(), document.data(), static_cast<int>(document.size()), 1) ==
            XML_STATUS_ERROR ||
        builder.root.name.empty())
        fail(KVPS_REMOTE, "az: the answer to " + std::string(what) + " is not valid XML: " +
                              XML_ErrorString(XML_GetErrorCode(parser.get())));
    return std::move(builder.root);
}

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default: out += c;
        }
    }
    return out;
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

ListBlobsPage parse_list_blobs(std::string_view document) {
    XmlNode root = parse_xml(document, "List Blobs");
    ListBlobsPage page;
    page.next_marker = root.child_text("NextMarker");
    const XmlNode *blobs = root.child("Blobs");
    if (!blobs) return page;
    for (const XmlNode &b : blobs->children) {
        if (b.name != "Blob") continue;
        ListedBlob out;
        const XmlNode *name = b.child("Name");
        if (!name) continue;
        // A name with characters XML cannot carry comes percent-encoded, marked Encoded="true".
        out.name = name->attribute("Encoded") == "true" ? percent_decode(name->text, "blob name")
                                                        : name->text;
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
