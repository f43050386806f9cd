// libFuzzer: the S3 XML answers kvps reads (list, error, multipart, delete results).
#include <cstdint>
#include <string_view>

#include "net/dates.hpp"
#include "spi/error.hpp"
#include "xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view doc(reinterpret_cast<const char *>(data), size);
    using namespace kvps::s3;
    parse_error(doc);
    is_error_document(doc);
    url_decode_key(doc);
    kvps::net::iso8601_ns(doc);
    try {
        parse_list_objects(doc);
    } catch (const kvps::Error &) {
    }
    try {
        parse_upload_id(doc);
    } catch (const kvps::Error &) {
    }
    try {
        parse_multipart_uploads(doc);
    } catch (const kvps::Error &) {
    }
    try {
        parse_delete_result(doc);
    } catch (const kvps::Error &) {
    }
    return 0;
}
