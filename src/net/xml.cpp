// expat -> XmlNode tree.
#include "xml.hpp"

#include <expat.h>

#include <memory>

#include "spi/error.hpp"

namespace kvps::net {
namespace {

struct TreeBuilder {
    XmlNode root;
    // The open elements. A vector of children grows only while its owner is the innermost open
    // element, so the pointers held here stay valid.
    std::vector<XmlNode *> open;
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
    if (!parser) fail(KVPS_NO_MEMORY, "cannot create an XML parser");
    TreeBuilder builder;
    XML_SetUserData(parser.get(), &builder);
    XML_SetElementHandler(parser.get(), on_start, on_end);
    XML_SetCharacterDataHandler(parser.get(), on_text);
    // A leading byte order mark (Azure sends one) is expat's to handle.
    if (XML_Parse(parser.get(), document.data(), static_cast<int>(document.size()), 1) ==
            XML_STATUS_ERROR ||
        builder.root.name.empty())
        fail(KVPS_REMOTE, std::string(what) + " is not valid XML: " +
                              XML_ErrorString(XML_GetErrorCode(parser.get())));
    return std::move(builder.root);
}

XmlError parse_xml_error(std::string_view document) {
    XmlError out;
    if (document.empty()) return out;
    try {
        XmlNode root = parse_xml(document, "an error answer");
        if (root.name != "Error") return out;
        out.code = root.child_text("Code");
        out.message = root.child_text("Message");
        out.request_id = root.child_text("RequestId");
    } catch (const Error &) {
        // Not XML: the HTTP status alone describes the failure.
    }
    return out;
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

}  // namespace kvps::net
