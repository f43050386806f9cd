// A small XML reader (expat into a tree) for the services that answer in XML (s3, az).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvps::net {

// One element: its name (no namespace handling: the services use a default namespace), its
// attributes, its text (character data directly inside it) and its child elements in order.
struct XmlNode {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes;
    std::string text;
    std::vector<XmlNode> children;

    const XmlNode *child(std::string_view child_name) const;
    std::string child_text(std::string_view child_name) const;          // "" when absent
    std::string_view attribute(std::string_view attribute_name) const;  // "" when absent
};

// Parses a whole document. Throws KVPS_REMOTE "<what> is not valid XML: <expat's reason>"
// (what names the answer, e.g. "s3: the server's answer to ListObjectsV2").
XmlNode parse_xml(std::string_view document, std::string_view what);

// <Error><Code/><Message/><RequestId/></Error>, the error document S3 and the Blob service
// answer with; empty fields when the body is not one (or not XML at all: a proxy's page, say).
struct XmlError {
    std::string code;
    std::string message;
    std::string request_id;
};
XmlError parse_xml_error(std::string_view document);

// Escapes text for element content.
std::string xml_escape(std::string_view text);

}  // namespace kvps::net
