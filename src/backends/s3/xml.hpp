// The S3 XML documents kvps reads (parsed with expat into a small tree) and writes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/xml.hpp"

namespace kvps::s3 {

using net::xml_escape;
using net::XmlNode;  // the shared XML tree (src/net/xml.hpp)

// net::parse_xml with the message "s3: the server's answer to <what> is not valid XML: ...".
XmlNode parse_xml(std::string_view document, std::string_view what);

// <Error><Code/><Message/><RequestId/></Error>; empty fields when the body is not one.
using S3ErrorBody = net::XmlError;
inline S3ErrorBody parse_error(std::string_view document) { return net::parse_xml_error(document); }
// True when a 200 body is an <Error> document (CompleteMultipartUpload may answer so).
bool is_error_document(std::string_view document);

struct ListedObject {
    std::string key;  // decoded
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::string etag;
};
struct ListObjectsPage {
    std::vector<ListedObject> objects;
    bool truncated = false;
    std::string next_token;                    // NextContinuationToken
    std::vector<std::string> common_prefixes;  // decoded, of a listing with a delimiter
};
// A ListObjectsV2 answer requested with encoding-type=url.
ListObjectsPage parse_list_objects(std::string_view document);

// InitiateMultipartUploadResult's UploadId.
std::string parse_upload_id(std::string_view document);

struct MultipartUploadEntry {
    std::string key;
    std::string upload_id;
    int64_t initiated_ns = 0;  // 0 when absent or malformed
};
// ListMultipartUploadsResult's uploads (keys as sent, no url decoding).
std::vector<MultipartUploadEntry> parse_multipart_uploads(std::string_view document);

struct DeleteFailure {
    std::string key;
    std::string code;
    std::string message;
};
// DeleteResult in quiet mode: the keys that failed.
std::vector<DeleteFailure> parse_delete_result(std::string_view document);

// Decodes a key S3 sent with encoding-type=url (%XX escapes, '+' for a space).
std::string url_decode_key(std::string_view text);

}  // namespace kvps::s3
