// Single-value operations, listing, conditional writes and server-side copy.
#include "azure_backend.hpp"

#include <chrono>
#include <cstring>
#include <thread>

#include "blocks.hpp"
#include "net/dates.hpp"
#include "properties.hpp"
#include "spi/checksum.hpp"
#include "spi/error.hpp"
#include "xml.hpp"

namespace kvps::azure {
namespace {

Metadata metadata_of(const HttpResponse &response, uint64_t size) {
    Metadata meta(size, net::http_date_ns(response.last_modified), plain_etag(response.etag),
                  properties_of(response));
    meta.crc32c = stored_crc32c(response);
    return meta;
}

// Get Blob of a whole value: nullopt when the blob is missing; throws on any other failure.
std::optional<HttpResponse> get_blob(Client &client, const std::string &full_key) {
    Call call;
    call.blob = full_key;
    HttpResponse response = client.send(call);
    if (missing_blob(response)) return std::nullopt;
    if (!succeeded(response)) client.fail_answer(response, client.describe("GET", full_key));
    return response;
}

// A failed write's answer: a failed condition names the key and the condition; anything else
// is the answer's own error.
[[noreturn]] void fail_write_answer(Client &client, const HttpResponse &response,
                                    const std::string &full_key, const PutOptions *options,
                                    std::string_view what) {
    std::string code = Client::error_code(response);
    if (options && options->conditional()) {
        std::string key = client.user_key(full_key);
        std::string why = code.empty() ? "HTTP " + std::to_string(response.status) : code;
        if (response.status == 412 || code == "ConditionNotMet" || code == "BlobAlreadyExists" ||
            code == "TargetConditionNotMet")
            fail_condition(key, *options, "the service refused the write (" + why + ")");
        if (response.status == 404 && !options->if_match.empty() && code != "ContainerNotFound")
            fail_condition(key, *options, "the key does not exist");
    }
    client.fail_answer(response, what);
}

// After a write whose answer was lost: one Get Blob Properties tells what happened.
std::string settle_lost_answer(Client &client, const std::string &full_key, const std::string &md5,
                               const PutOptions *options, const Error &failure) {
    Call call;
    call.method = "HEAD";
    call.blob = full_key;
    HttpResponse response;
    try {
        response = client.send(call);
    } catch (const Error &e) {
        fail(KVPS_OUTCOME_UNKNOWN, failure.message() + "; checking what is in place failed too (" +
                                       e.message() + "): the new value may or may not be in place");
    }
    if (!succeeded(response) && !missing_blob(response))
        fail(KVPS_OUTCOME_UNKNOWN,
             failure.message() + "; checking what is in place failed too (HTTP " +
                 std::to_string(response.status) + "): the new value may or may not be in place");
    bool same = succeeded(response) && response.header("content-md5") == md5;
    if (same && !(options && options->conditional())) return plain_etag(response.etag);
    if (same)  // an equal value may have been there before: whose write it is cannot be told
        fail(KVPS_OUTCOME_UNKNOWN, failure.message() +
                                       "; a value with the same content is in place, "
                                       "and whether this conditional write made it cannot be told");
    throw Error(failure.status(), failure.message() + " (checked: the new value is not in place)");
}

}  // namespace

Pairs write_headers(const PutOptions *options, bool block_list) {
    Properties properties = options ? options->properties() : Properties{};
    Pairs headers = content_type_header(properties, block_list);
    Pairs meta = metadata_headers(properties.metadata);
    headers.insert(headers.end(), meta.begin(), meta.end());
    if (options) {
        Pairs condition = condition_headers(*options);
        headers.insert(headers.end(), condition.begin(), condition.end());
    }
    return headers;
}

std::string finish_write(Client &client, const std::string &full_key, const PutOptions *options,
                         const std::function<HttpResponse(bool *lost)> &send,
                         const std::string &md5) {
    bool lost = false;
    HttpResponse response;
    try {
        response = send(&lost);
    } catch (const Error &e) {
        if (!lost || e.status() == KVPS_INVALID_ARGUMENT) throw;
        return settle_lost_answer(client, full_key, md5, options, e);
    }
    if (!succeeded(response))
        fail_write_answer(client, response, full_key, options, client.describe("PUT", full_key));
    return plain_etag(response.etag);
}

std::string put_blob(Client &client, const std::string &full_key, const void *data, size_t size,
                     const PutOptions *options) {
    std::string md5 = md5_base64(data, size);
    Call call;
    call.method = "PUT";
    call.blob = full_key;
    call.headers = write_headers(options, false);
    call.headers.emplace_back("x-ms-blob-type", "BlockBlob");
    Pairs checksum = checksum_header(crc32c(data, size));
    call.headers.insert(call.headers.end(), checksum.begin(), checksum.end());
    call.headers.emplace_back("Content-MD5", md5);  // checked on arrival, kept as the blob's
    call.body = data;
    call.body_size = size;
    call.has_body = true;
    // A replay after a lost answer would meet its own write and fail its condition.
    if (options && options->conditional()) call.retry = Retry::ServerAnswers;
    return finish_write(
        client, full_key, options,
        [&](bool *lost) {
            call.lost_answer = lost;
            return client.send(call);
        },
        md5);
}

std::optional<Metadata> head_blob(Client &client, const std::string &full_key,
                                  std::string *raw_etag) {
    Call call;
    call.method = "HEAD";
    call.blob = full_key;
    HttpResponse response = client.send(call);
    if (missing_blob(response)) return std::nullopt;
    if (!succeeded(response)) client.fail_answer(response, client.describe("HEAD", full_key));
    if (raw_etag) *raw_etag = response.etag;
    return metadata_of(response, response.content_length.value_or(0));
}

// Put Blob up to block_size; above it, blocks in parallel and one Put Block List.
static std::string write_value(Client &client, const std::string &full, const void *data,
                               size_t size, const PutOptions *options) {
    uint64_t block = client.settings().block_size;
    if (size <= block) return put_blob(client, full, data, size, options);
    std::string md5 = md5_base64(data, size);
    BlockUpload upload(client, full);
    const char *bytes = static_cast<const char *>(data);
    for (size_t at = 0; at < size; at += block)
        upload.add_borrowed(bytes + at, std::min<size_t>(block, size - at));
    Pairs headers = write_headers(options, true);
    headers.emplace_back("x-ms-blob-content-md5", md5);
    Pairs checksum = checksum_header(crc32c(data, size));
    headers.insert(headers.end(), checksum.begin(), checksum.end());
    Retry retry = options && options->conditional() ? Retry::ServerAnswers : Retry::Always;
    return finish_write(
        client, full, options, [&](bool *lost) { return upload.commit(headers, retry, lost); },
        md5);
}

void AzureBackend::put(std::string_view key, const void *data, size_t size) {
    write_value(client_, client_.full_key(key), data, size, nullptr);
}

std::string AzureBackend::put_with(std::string_view key, const void *data, size_t size,
                                   const PutOptions &options) {
    return write_value(client_, client_.full_key(key), data, size, &options);
}

std::optional<Bytes> AzureBackend::get(std::string_view key) {
    std::optional<HttpResponse> response = get_blob(client_, client_.full_key(key));
    if (!response) return std::nullopt;
    return std::move(response->body);
}

std::optional<Bytes> AzureBackend::get_checked(std::string_view key,
                                               std::optional<uint32_t> &crc32c) {
    std::optional<HttpResponse> response = get_blob(client_, client_.full_key(key));
    if (!response) return std::nullopt;
    crc32c = stored_crc32c(*response);
    return std::move(response->body);
}

std::optional<Bytes> AzureBackend::get_with(std::string_view key, Metadata &meta) {
    std::optional<HttpResponse> response = get_blob(client_, client_.full_key(key));
    if (!response) return std::nullopt;
    meta = metadata_of(*response, response->body.size());
    return std::move(response->body);
}

std::optional<Bytes> AzureBackend::get_range(std::string_view key, uint64_t offset,
                                             uint64_t length) {
    std::string full = client_.full_key(key);
    if (length == 0) {
        if (!head_blob(client_, full)) return std::nullopt;
        return Bytes();
    }
    Call call;
    call.blob = full;
    call.headers = {{"Range", net::byte_range(offset, length)}};
    HttpResponse response = client_.send(call);
    if (missing_blob(response)) return std::nullopt;
    if (response.status == 416) return Bytes();  // the offset is at or past the end
    if (!succeeded(response)) client_.fail_answer(response, client_.describe("GET", full));
    if (response.status == 200) {  // the whole value (an empty one, say)
        Span64 span = clamp_range(response.body.size(), offset, length);
        response.body.slice(static_cast<size_t>(span.start), static_cast<size_t>(span.count));
    }
    return std::move(response.body);
}

std::optional<uint64_t> AzureBackend::get_into(std::string_view key, uint64_t offset, void *buffer,
                                               size_t capacity, std::optional<uint32_t> &crc32c) {
    std::string full = client_.full_key(key);
    Call call;
    call.blob = full;
    if (offset > 0) call.headers = {{"Range", net::byte_range(offset, KVPS_TO_END)}};
    call.to_buffer = true;
    call.buffer = static_cast<char *>(buffer);
    call.buffer_capacity = capacity;
    HttpResponse response = client_.send(call);
    if (missing_blob(response)) return std::nullopt;
    if (offset > 0 && response.status == 416) return 0;  // the offset is at or past the end
    if (!succeeded(response)) client_.fail_answer(response, client_.describe("GET", full));
    if (offset > 0 && response.status == 200)
        return Backend::get_into(key, offset, buffer, capacity, crc32c);
    if (offset == 0 && !response.too_large) crc32c = stored_crc32c(response);
    return net::buffered_size(response, "az: " + client_.describe("GET", full));
}

std::optional<Metadata> AzureBackend::stat(std::string_view key) {
    return head_blob(client_, client_.full_key(key));
}

void AzureBackend::remove(std::string_view key) {
    std::string full = client_.full_key(key);
    Call call;
    call.method = "DELETE";
    call.blob = full;
    call.headers = {{"x-ms-delete-snapshots", "include"}};  // a blob with snapshots goes with them
    HttpResponse response = client_.send(call);
    if (succeeded(response) || missing_blob(response)) return;
    client_.fail_answer(response, client_.describe("DELETE", full));
}

std::unique_ptr<Reader> AzureBackend::open_reader(std::string_view key, uint64_t offset,
                                                  uint64_t length) {
    return make_reader(client_, client_.full_key(key), offset, length);
}

std::unique_ptr<Writer> AzureBackend::open_writer(std::string_view key) {
    return make_writer(client_, client_.full_key(key), std::nullopt);
}

std::unique_ptr<Writer> AzureBackend::open_writer_with(std::string_view key,
                                                       const PutOptions &options) {
    return make_writer(client_, client_.full_key(key), options);
}

// Copy Blob within the account, of the version Get Blob Properties saw (x-ms-source-if-match),
// with the target's condition. Copy Blob keeps the source's content type and can replace only
// the metadata: new content type, or metadata cleared, go the generic way (get, then put).
std::string AzureBackend::copy(std::string_view from, std::string_view to,
                               const PutOptions &options) {
    if (options.content_type || (options.metadata && options.metadata->empty()))
        return Backend::copy(from, to, options);
    std::string source = client_.full_key(from), target = client_.full_key(to);
    std::string source_etag;
    std::optional<Metadata> source_meta = head_blob(client_, source, &source_etag);
    if (!source_meta)
        fail(KVPS_NOT_FOUND, "cannot copy key " + quote(from) + ": it does not exist");
    Call call;
    call.method = "PUT";
    call.blob = target;
    call.headers = {{"x-ms-copy-source", client_.readable_url(source)},
                    {"x-ms-source-if-match", source_etag}};
    if (options.metadata) {
        Pairs meta = metadata_headers(*options.metadata);
        // New metadata replaces all of it: the source's checksum goes along (the same bytes).
        if (source_meta->crc32c) {
            Pairs checksum = checksum_header(*source_meta->crc32c);
            meta.insert(meta.end(), checksum.begin(), checksum.end());
        }
        call.headers.insert(call.headers.end(), meta.begin(), meta.end());
    }
    Pairs condition = condition_headers(options);
    call.headers.insert(call.headers.end(), condition.begin(), condition.end());
    call.has_body = true;
    if (options.conditional()) call.retry = Retry::ServerAnswers;
    HttpResponse response = client_.send(call);
    if (!succeeded(response)) {
        std::string code = Client::error_code(response);
        if (code == "SourceConditionNotMet" || code == "CannotVerifyCopySource")
            fail(KVPS_PRECONDITION_FAILED,
                 "cannot copy key " + quote(from) + ": it changed during the copy (" + code + ")");
        fail_write_answer(client_, response, target, &options,
                          client_.describe("Copy Blob to", target));
    }
    std::string etag = plain_etag(response.etag);
    // Within an account the copy is done when the answer comes; when the service says pending,
    // wait for it.
    std::string status(response.header("x-ms-copy-status"));
    for (int polls = 0; status == "pending"; ++polls) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 * (polls + 1), 2000)));
        Call head;
        head.method = "HEAD";
        head.blob = target;
        HttpResponse progress = client_.send(head);
        if (!succeeded(progress)) client_.fail_answer(progress, client_.describe("HEAD", target));
        status = std::string(progress.header("x-ms-copy-status"));
        etag = plain_etag(progress.etag);
    }
    if (!status.empty() && status != "success")
        fail(KVPS_REMOTE, "az: copying " + quote(from) + " to " + quote(to) +
                              " ended with copy status '" + status + "'");
    return etag;
}

}  // namespace kvps::azure
