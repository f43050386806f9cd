// The gs:// operations: simple and multipart uploads, media downloads, object resources,
// listing, rewrite (copy).
#include "gcs_backend.hpp"

#include <cstring>
#include <ctime>

#include "net/dates.hpp"
#include "spi/checksum.hpp"
#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::gcs {
namespace {

std::string media_url(Client &client, const std::string &full_key) {
    return client.object_url(full_key) + "?alt=media";
}

}  // namespace

std::string generation_query(const std::string &generation) {
    return query({{"generation", generation}, {"ifGenerationMatch", generation}});
}

namespace {

const std::string kBoundary = "kvps-gcs-part-3f9a1c7e5b";

}  // namespace

ObjectInfo object_info(const net::JsonValue &resource) {
    ObjectInfo info;
    info.meta.size = parse_size(resource.text_of("size")).value_or(0);
    info.meta.mtime_ns = net::iso8601_ns(resource.text_of("updated"));
    info.meta.etag = resource.text_of("generation");
    info.meta.properties.content_type = resource.text_of("contentType");
    if (const net::JsonValue *metadata = resource.get("metadata"))
        for (const auto &[name, value] : metadata->members)
            info.meta.properties.metadata.emplace_back(name, value.text);
    info.crc32c = crc32c_from_base64(resource.text_of("crc32c"));
    info.meta.crc32c = info.crc32c;
    return info;
}

std::optional<ObjectInfo> get_object_info(Client &client, const std::string &full_key) {
    Call call;
    call.url = client.object_url(full_key);
    std::string what = client.describe("stat", full_key);
    call.what = what;
    HttpResponse response = client.send(call);
    if (response.status == 404) return std::nullopt;
    if (!succeeded(response)) client.fail_answer(response, what);
    return object_info(net::parse_json(body_text(response), "the object resource"));
}

std::string condition_query(const PutOptions &options) {
    if (options.create_only) return "ifGenerationMatch=0";
    if (!options.if_match.empty()) {
        std::string_view generation = strip_quotes(options.if_match);
        for (char c : generation)
            if (c < '0' || c > '9')  // no generation of this store: no value has it
                return "ifGenerationMatch=0&ifGenerationNotMatch=0";
        return "ifGenerationMatch=" + std::string(generation);
    }
    return "";
}

std::string resource_json(const std::string &full_key, const Properties &properties,
                          std::optional<uint32_t> crc) {
    std::string json = "{\"name\":" + json_string(full_key);
    if (crc) json += ",\"crc32c\":" + json_string(crc32c_base64(*crc));
    if (!properties.content_type.empty())
        json += ",\"contentType\":" + json_string(properties.content_type);
    if (!properties.metadata.empty()) {
        json += ",\"metadata\":{";
        for (size_t i = 0; i < properties.metadata.size(); ++i)
            json += (i ? "," : "") + json_string(properties.metadata[i].first) + ":" +
                    json_string(properties.metadata[i].second);
        json += "}";
    }
    return json + "}";
}

void fail_write(Client &client, const HttpResponse &response, std::string_view key,
                const PutOptions &options, std::string_view what) {
    if (response.status == 412 && options.conditional())
        fail_condition(
            key, options,
            "the value in place does not match (request id " +
                (response.request_id.empty() ? std::string("none") : response.request_id) + ")");
    client.fail_answer(response, what);
}

std::string uploaded_generation(const HttpResponse &response, std::string_view what,
                                std::string_view key, uint32_t sent_crc) {
    net::JsonValue resource = net::parse_json(body_text(response), what);
    // GCS refuses a mismatch itself (400); a server that does not check is caught here.
    std::optional<uint32_t> stored = crc32c_from_base64(resource.text_of("crc32c"));
    if (stored && *stored != sent_crc)
        fail(KVPS_CORRUPT,
             "gs: PUT " + quote(key) + ": the server stored a value with CRC32C " +
                 crc32c_hex(*stored) + ", but the value sent has CRC32C " + crc32c_hex(sent_crc) +
                 " (request id " +
                 (response.request_id.empty() ? std::string("none") : response.request_id) + ")");
    return resource.text_of("generation");
}

std::string upload_simple(Client &client, const std::string &full, std::string_view key,
                          const void *data, size_t size, const PutOptions &options) {
    std::string what = client.describe("PUT", full);
    Properties properties = options.properties();
    std::string condition = condition_query(options);
    uint32_t crc = crc32c(data, size);
    Call call;
    call.method = "POST";
    call.what = what;
    call.repeatable = !options.conditional();
    call.has_body = true;
    std::string multipart;
    // fake-gcs-server checks ifGenerationMatch only on multipart uploads: conditions go that way.
    if (properties == Properties{} && !options.conditional()) {
        call.url = client.upload_url() + "?uploadType=media&" + query({{"name", full}});
        call.headers = {"Content-Type: " + std::string(kDefaultContentType)};
        call.body = data;
        call.body_size = size;
    } else {  // the resource (content type, metadata) and the bytes in one multipart/related body
        call.url = client.upload_url() + "?uploadType=multipart";
        std::string type = properties.content_type.empty() ? std::string(kDefaultContentType)
                                                           : properties.content_type;
        multipart = "--" + kBoundary + "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" +
                    resource_json(full, properties, crc) + "\r\n--" + kBoundary +
                    "\r\nContent-Type: " + type + "\r\n\r\n";
        multipart.append(static_cast<const char *>(data), size);
        multipart += "\r\n--" + kBoundary + "--\r\n";
        call.headers = {"Content-Type: multipart/related; boundary=" + kBoundary};
        call.body = multipart.data();
        call.body_size = multipart.size();
    }
    // The checksum the server checks the bytes against: in the header (media) and in the
    // resource (multipart, where GCS documents it).
    call.headers.push_back("X-Goog-Hash: crc32c=" + crc32c_base64(crc));
    if (!condition.empty()) call.url += "&" + condition;
    HttpResponse response = client.send(call);
    if (!succeeded(response)) fail_write(client, response, key, options, what);
    return uploaded_generation(response, "the upload's answer", key, crc);
}

void GcsBackend::put(std::string_view key, const void *data, size_t size) {
    put_with(key, data, size, {});
}

std::string GcsBackend::put_with(std::string_view key, const void *data, size_t size,
                                 const PutOptions &options) {
    std::string full = client_.full_key(key);
    if (size > client_.settings().upload_threshold) {
        std::unique_ptr<Writer> writer = make_writer(client_, full, options);
        writer->write(data, size);
        writer->commit();
        return writer->etag();
    }
    return upload_simple(client_, full, key, data, size, options);
}

std::optional<Bytes> GcsBackend::get(std::string_view key) {
    std::optional<uint32_t> ignored;
    return get_checked(key, ignored);
}

std::optional<Bytes> GcsBackend::get_checked(std::string_view key,
                                             std::optional<uint32_t> &crc32c) {
    std::string full = client_.full_key(key);
    std::string what = client_.describe("GET", full);
    Bytes value;
    Call call;
    call.url = media_url(client_, full);
    call.what = what;
    call.into = &value;
    HttpResponse response = client_.send(call);
    if (response.status == 404) return std::nullopt;
    if (!succeeded(response)) client_.fail_answer(response, what);
    // x-goog-hash: crc32c=BASE64,md5=BASE64 (the stored value's, as the server computed it)
    std::string_view hashes = response.header("x-goog-hash");
    for (size_t at = 0; at < hashes.size();) {
        size_t end = hashes.find(',', at);
        if (end == std::string_view::npos) end = hashes.size();
        std::string_view item = hashes.substr(at, end - at);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        if (item.starts_with("crc32c=")) crc32c = crc32c_from_base64(item.substr(7));
        at = end + 1;
    }
    return value;
}

std::optional<Bytes> GcsBackend::get_range(std::string_view key, uint64_t offset, uint64_t length) {
    std::string full = client_.full_key(key);
    std::string what = client_.describe("GET", full);
    uint64_t count = length;
    if (count == 0 || offset == UINT64_MAX) {  // nothing to read: only whether the key exists
        if (!get_object_info(client_, full)) return std::nullopt;
        return Bytes();
    }
    Bytes value;
    Call call;
    call.url = media_url(client_, full);
    call.what = what;
    call.into = &value;
    call.headers = {"Range: " + net::byte_range(offset, count)};
    HttpResponse response = client_.send(call);
    if (response.status == 404) return std::nullopt;
    if (response.status == 416) {  // the range starts at or past the end
        if (!get_object_info(client_, full)) return std::nullopt;
        return Bytes();
    }
    if (!succeeded(response)) client_.fail_answer(response, what);
    if (response.status == 200) {  // the server sent the whole value: cut the range from it
        Span64 span = clamp_range(value.size(), offset, length);
        value.slice(static_cast<size_t>(span.start), static_cast<size_t>(span.count));
    }
    return value;
}

std::optional<Metadata> GcsBackend::stat(std::string_view key) {
    std::optional<ObjectInfo> info = get_object_info(client_, client_.full_key(key));
    if (!info) return std::nullopt;
    return std::move(info->meta);
}

std::optional<Bytes> GcsBackend::get_with(std::string_view key, Metadata &meta) {
    std::string full = client_.full_key(key);
    std::string what = client_.describe("GET", full);
    for (int tries = 0;; ++tries) {
        std::optional<ObjectInfo> info = get_object_info(client_, full);
        if (!info) return std::nullopt;
        Bytes value;
        Call call;
        call.url = media_url(client_, full) + "&" + generation_query(info->meta.etag);
        call.what = what;
        call.into = &value;
        HttpResponse response = client_.send(call);
        // Replaced between the two requests: again (each round another writer made progress).
        if ((response.status == 412 || response.status == 404) && tries < 1000) continue;
        if (!succeeded(response)) client_.fail_answer(response, what);
        meta = std::move(info->meta);
        return value;
    }
}

void GcsBackend::remove(std::string_view key) {
    std::string full = client_.full_key(key);
    std::string what = client_.describe("DELETE", full);
    Call call;
    call.method = "DELETE";
    call.url = client_.object_url(full);
    call.what = what;
    HttpResponse response = client_.send(call);
    if (response.status == 404 || succeeded(response)) return;
    client_.fail_answer(response, what);
}

std::unique_ptr<Reader> GcsBackend::open_reader(std::string_view key, uint64_t offset,
                                                uint64_t length) {
    std::string full = client_.full_key(key);
    std::optional<ObjectInfo> info = get_object_info(client_, full);
    if (!info) return nullptr;
    return make_reader(client_, std::move(full), *info, offset, length);
}

std::unique_ptr<Writer> GcsBackend::open_writer(std::string_view key) {
    return make_writer(client_, client_.full_key(key), {});
}

std::unique_ptr<Writer> GcsBackend::open_writer_with(std::string_view key,
                                                     const PutOptions &options) {
    return make_writer(client_, client_.full_key(key), options);
}

std::string GcsBackend::copy(std::string_view from, std::string_view to,
                             const PutOptions &options) {
    std::string source = client_.full_key(from), target = client_.full_key(to);
    std::string what = "copy " + quote(from) + " to " + quote(to);
    std::string body;
    std::string params = condition_query(options);
    if (options.sets_properties()) {  // new properties over the source's, for that same source
        std::optional<ObjectInfo> info = get_object_info(client_, source);
        if (!info) fail(KVPS_NOT_FOUND, "gs: " + what + ": " + quote(from) + " does not exist");
        body = resource_json(target, options.properties_over(info->meta.properties));
        params +=
            std::string(params.empty() ? "" : "&") + "ifSourceGenerationMatch=" + info->meta.etag;
    }
    // GCS checks the rewrite's ifGenerationMatch; fake-gcs-server ignores conditions on rewrites,
    // so they are also checked here, just before.
    if (options.conditional()) {
        std::optional<ObjectInfo> current = get_object_info(client_, target);
        check_condition(to, options, current ? &current->meta.etag : nullptr);
    }
    std::string rewrite_token;
    for (;;) {
        Call call;
        call.method = "POST";
        call.url = client_.object_url(source) + "/rewriteTo/b/" +
                   percent_encode(client_.settings().bucket) + "/o/" + percent_encode(target) +
                   "?" + params;
        if (!rewrite_token.empty()) call.url += "&" + query({{"rewriteToken", rewrite_token}});
        call.what = what;
        call.has_body = true;
        call.body = body.data();
        call.body_size = body.size();
        if (!body.empty()) call.headers = {"Content-Type: application/json; charset=UTF-8"};
        call.repeatable = !options.conditional();
        HttpResponse response = client_.send(call);
        if (response.status == 404) {
            std::optional<ObjectInfo> info = get_object_info(client_, source);
            if (!info) fail(KVPS_NOT_FOUND, "gs: " + what + ": " + quote(from) + " does not exist");
        }
        if (response.status == 412 && options.sets_properties() && !options.conditional())
            return copy(from, to, options);  // the source changed after its stat: from the start
        if (!succeeded(response)) fail_write(client_, response, to, options, what);
        net::JsonValue answer = net::parse_json(body_text(response), "the rewrite's answer");
        if (answer.text_of("done") == "true" || !answer.get("done")) {
            const net::JsonValue *resource = answer.get("resource");
            return resource ? resource->text_of("generation") : answer.text_of("generation");
        }
        rewrite_token = answer.text_of("rewriteToken");
    }
}

}  // namespace kvps::gcs
