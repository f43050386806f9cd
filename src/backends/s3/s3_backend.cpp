// Single-value operations, listing and batches.
#include "s3_backend.hpp"

#include <cctype>

#include "net/crypto.hpp"
#include "net/dates.hpp"
#include "spi/error.hpp"
#include "spi/checksum.hpp"
#include "spi/text.hpp"
#include "multipart.hpp"
#include "parallel.hpp"
#include "xml.hpp"

namespace kvps::s3 {
namespace {

constexpr size_t kDeleteBatch = 1000;  // DeleteObjects' limit

std::string_view body_text(const HttpResponse &response) {
    return {response.body.data() ? response.body.data() : "", response.body.size()};
}

// A 404 that means "no such key" (and not "no such bucket", which is an error).
bool missing_key(const HttpResponse &response) {
    if (response.status != 404) return false;
    std::string_view body = body_text(response);
    return body.empty() || parse_error(body).code != "NoSuchBucket";
}

std::string base64_md5(std::string_view data) {
    return base64_encode(net::digest(net::Algorithm::md5, data));
}

// True when an ETag (quotes stripped) looks like what S3 makes from MD5s: 32 hex digits,
// then "-N" for a multipart upload.
bool md5_shaped(std::string_view etag) {
    if (etag.size() < 32) return false;
    for (char c : etag.substr(0, 32))
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    std::string_view rest = etag.substr(32);
    if (rest.empty()) return true;
    return rest.size() >= 2 && rest[0] == '-' &&
           rest.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::string md5_raw(const void *data, size_t size) {
    return net::digest(net::Algorithm::md5, data, size);
}

std::string md5_hex(const void *data, size_t size) { return to_hex(md5_raw(data, size)); }

void settle_lost_answer(Client &client, const std::string &full_key,
                        const std::string &expected_etag, const Error &failure,
                        const HeadAnswer &head) {
    std::string etag;
    std::optional<Metadata> meta;
    try {
        HttpResponse response = head ? head() : client.send(head_call(full_key, false));
        meta = head_answer(client, full_key, response, &etag);
    } catch (const Error &e) {
        fail(KVPS_OUTCOME_UNKNOWN, failure.message() + "; checking what is in place failed too (" +
                                       e.message() + "): the new value may or may not be in place");
    }
    etag = lower(strip_quotes(etag));
    if (meta && etag == expected_etag) return;  // the value sent is the one in place
    if (meta && !md5_shaped(etag))
        fail(KVPS_OUTCOME_UNKNOWN, failure.message() +
                                       "; the server's ETags are not MD5s, so "
                                       "whether the new value is in place cannot be told");
    throw Error(failure.status(), failure.message() + " (checked: the new value is not in place)");
}

void put_object(Client &client, const std::string &full_key, const void *data, size_t size,
                const std::vector<std::pair<std::string, std::string>> &headers) {
    Call call = put_call(full_key, data, size);
    call.headers = {{"Content-Type", "application/octet-stream"}};  // as put_with's default
    call.headers.insert(call.headers.end(), headers.begin(), headers.end());
    bool lost = false;  // an unanswered attempt may have stored the value
    call.lost_answer = &lost;
    try {
        HttpResponse response = client.send(call);
        if (succeeded(response)) return;
        client.fail_answer(response, client.describe("PUT", full_key));
    } catch (const Error &e) {
        if (!lost || e.status() == KVPS_INVALID_ARGUMENT) throw;
        settle_lost_answer(client, full_key, md5_hex(data, size), e);
    }
}

Call head_call(const std::string &full_key, bool checksum) {
    Call call;
    call.method = "HEAD";
    call.key = full_key;
    if (checksum) call.headers = {{"x-amz-checksum-mode", "ENABLED"}};
    return call;
}

std::optional<Metadata> head_answer(const Client &client, const std::string &full_key,
                                    const HttpResponse &response, std::string *raw_etag,
                                    std::optional<uint32_t> *crc32c) {
    if (crc32c) *crc32c = answered_checksum(response);
    if (response.status == 404) return std::nullopt;
    if (!succeeded(response)) client.fail_answer(response, client.describe("HEAD", full_key));
    Metadata meta;
    meta.size = response.content_length.value_or(0);
    meta.mtime_ns = net::http_date_ns(response.last_modified);
    if (raw_etag) *raw_etag = response.etag;
    meta.etag = std::string(strip_quotes(response.etag).substr(0, KVPS_ETAG_MAX - 1));
    meta.properties = properties_of(response);
    return meta;
}

std::optional<Metadata> head_object(Client &client, const std::string &full_key,
                                    std::string *raw_etag, std::optional<uint32_t> *crc32c) {
    HttpResponse response = client.send(head_call(full_key, crc32c != nullptr));
    return head_answer(client, full_key, response, raw_etag, crc32c);
}

Call range_call(const std::string &full_key, uint64_t offset, uint64_t length) {
    Call call;
    call.key = full_key;
    call.headers = {{"Range", net::byte_range(offset, length)}};
    return call;
}

std::optional<Bytes> range_answer(const Client &client, const std::string &full_key,
                                  HttpResponse &response, uint64_t offset, uint64_t length) {
    if (missing_key(response)) return std::nullopt;
    if (response.status == 416) return Bytes();  // the offset is at or past the end
    if (!succeeded(response)) client.fail_answer(response, client.describe("GET", full_key));
    if (response.status == 200) {  // the whole value (a server may ignore a range on an empty one)
        Span64 span = clamp_range(response.body.size(), offset, length);
        response.body.slice(static_cast<size_t>(span.start), static_cast<size_t>(span.count));
    }
    return std::move(response.body);
}

Call put_call(const std::string &full_key, const void *data, size_t size) {
    Call call;
    call.method = "PUT";
    call.key = full_key;
    call.body = data;
    call.body_size = size;
    call.has_body = true;
    return call;
}

Call delete_call(const std::string &full_key) {
    Call call;
    call.method = "DELETE";
    call.key = full_key;
    return call;
}

void delete_answer(const Client &client, const std::string &full_key,
                   const HttpResponse &response) {
    if (succeeded(response) || missing_key(response)) return;
    client.fail_answer(response, client.describe("DELETE", full_key));
}

void S3Backend::put(std::string_view key, const void *data, size_t size) {
    std::string full = client_.full_key(key);
    uint64_t part = client_.settings().part_size;
    if (size <= part) {
        put_object(client_, full, data, size, checksum_headers(crc32c(data, size)));
        return;
    }
    MultipartUpload upload(client_, full);
    const char *bytes = static_cast<const char *>(data);
    for (size_t at = 0; at < size; at += part)
        upload.add_part_borrowed(bytes + at, std::min<size_t>(part, size - at));
    upload.complete();
}

std::optional<Bytes> S3Backend::get(std::string_view key) {
    std::string full = client_.full_key(key);
    Call call;
    call.key = full;
    HttpResponse response = client_.send(call);
    if (missing_key(response)) return std::nullopt;
    if (!succeeded(response)) client_.fail_answer(response, client_.describe("GET", full));
    return std::move(response.body);
}

std::optional<Bytes> S3Backend::get_range(std::string_view key, uint64_t offset, uint64_t length) {
    std::string full = client_.full_key(key);
    if (length == 0) {
        if (!head_object(client_, full)) return std::nullopt;
        return Bytes();
    }
    HttpResponse response = client_.send(range_call(full, offset, length));
    return range_answer(client_, full, response, offset, length);
}

std::optional<Metadata> S3Backend::stat(std::string_view key) {
    return head_object(client_, client_.full_key(key));
}

void S3Backend::remove(std::string_view key) {
    std::string full = client_.full_key(key);
    delete_answer(client_, full, client_.send(delete_call(full)));
}

ListResult S3Backend::list(std::string_view prefix, std::string_view token, size_t limit) {
    Call call;
    call.query = {{"list-type", "2"},
                  {"encoding-type", "url"},
                  {"max-keys", std::to_string(std::min<size_t>(limit, 1000))},
                  {"prefix", std::string(prefix)}};
    if (!token.empty()) call.query.emplace_back("continuation-token", std::string(token));
    HttpResponse response = client_.send(call);
    if (!succeeded(response)) client_.fail_answer(response, client_.describe("ListObjectsV2", ""));
    ListObjectsPage page = parse_list_objects(body_text(response));
    ListResult out;
    for (ListedObject &o : page.objects)
        out.entries.push_back(
            Entry{std::move(o.key), o.size, o.mtime_ns,
                  o.etag.substr(0, std::min<size_t>(o.etag.size(), KVPS_ETAG_MAX - 1))});
    if (page.truncated) {
        out.next = page.next_token;
        if (out.next.empty())
            fail(KVPS_REMOTE,
                 "s3: ListObjectsV2 answered a truncated page without a continuation token");
    }
    return out;
}

std::unique_ptr<Reader> S3Backend::open_reader(std::string_view key, uint64_t offset,
                                               uint64_t length) {
    return make_reader(client_, client_.full_key(key), offset, length);
}

std::unique_ptr<Writer> S3Backend::open_writer(std::string_view key) {
    return make_writer(client_, client_.full_key(key));
}

void S3Backend::put_many(std::span<PutItem> items) {
    parallel_for(items.size(), client_.settings().concurrency,
                 [&](size_t i) { put_item(*this, items[i]); });
}

void S3Backend::get_many(std::span<GetItem> items) {
    parallel_for(items.size(), client_.settings().concurrency,
                 [&](size_t i) { get_item(*this, items[i]); });
}

void S3Backend::delete_many(std::span<DeleteItem> items) {
    size_t batches = (items.size() + kDeleteBatch - 1) / kDeleteBatch;
    parallel_for(batches, client_.settings().concurrency, [&](size_t b) {
        std::span<DeleteItem> batch = items.subspan(
            b * kDeleteBatch, std::min(kDeleteBatch, items.size() - b * kDeleteBatch));
        try {
            std::string body = "<Delete><Quiet>true</Quiet>";
            for (DeleteItem &item : batch) {
                item.status = KVPS_OK;
                body +=
                    "<Object><Key>" + xml_escape(client_.full_key(item.key)) + "</Key></Object>";
            }
            body += "</Delete>";
            Call call;
            call.method = "POST";
            call.query = {{"delete", ""}};
            call.headers = {{"Content-MD5", base64_md5(body)}, {"Content-Type", "application/xml"}};
            call.body = body.data();
            call.body_size = body.size();
            call.has_body = true;
            HttpResponse response = client_.send(call);  // deleting twice is harmless: Always
            if (!succeeded(response))
                client_.fail_answer(response, client_.describe("DeleteObjects", ""));
            std::vector<DeleteFailure> failures = parse_delete_result(body_text(response));
            for (const DeleteFailure &f : failures) {
                if (f.code == "NoSuchKey") continue;
                for (DeleteItem &item : batch) {
                    if (client_.full_key(item.key) != f.key) continue;
                    item.status = f.code == "AccessDenied" ? KVPS_PERMISSION_DENIED : KVPS_REMOTE;
                    item.error = "s3: DELETE " + quote(item.key) + ": " + f.code + ": " + f.message;
                }
            }
        } catch (...) {
            for (DeleteItem &item : batch) item.status = record_failure(item.error);
        }
    });
}

}  // namespace kvps::s3
