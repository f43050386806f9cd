// Conditional writes, properties, get with metadata, server-side copy and rename on S3.
#include "conditional.hpp"

#include <algorithm>

#include "net/crypto.hpp"
#include "net/dates.hpp"
#include "spi/checksum.hpp"
#include "spi/log.hpp"
#include "spi/text.hpp"
#include "multipart.hpp"
#include "s3_backend.hpp"
#include "sigv4.hpp"
#include "xml.hpp"

namespace kvps::s3 {
namespace {

std::string_view body_of(const HttpResponse &response) {
    return {response.body.data() ? response.body.data() : "", response.body.size()};
}

// The x-amz-copy-source of a key: "/bucket/key", URI-encoded.
std::string copy_source(const Client &client, std::string_view full_key) {
    return "/" + uri_encode(client.settings().bucket, false) + "/" + uri_encode(full_key, true);
}

std::string random_name() { return ".kvps-probe-" + net::random_hex(); }

HttpResponse put_probe(Client &client, const std::string &full_key, Headers headers) {
    Call call = put_call(full_key, "probe", 5);
    call.headers = std::move(headers);
    call.retry = Retry::ServerAnswers;
    return client.send(call);
}

void delete_probe(Client &client, const std::string &full_key) noexcept {
    try {
        Call call;
        call.method = "DELETE";
        call.key = full_key;
        client.send(call);
    } catch (...) {
        log(KVPS_LOG_WARN, "s3: could not delete the probe object " + quote(full_key));
    }
}

bool refused_condition(const HttpResponse &response) {
    return response.status == 412 || response.status == 409 ||
           parse_error(body_of(response)).code == "PreconditionFailed";
}

// Adds one of kvps's own metadata headers (x-amz-meta-kvps-*) when headers' metadata leaves
// room for it within S3's limit (counted as kvps counts it: names with their prefix, and
// values); a user's metadata at the limit leaves the value without it. False when left out.
bool add_own_metadata(Headers &headers, std::string_view name, std::string value) {
    size_t total = name.size() + value.size();
    for (const auto &[header, text] : headers)
        if (header.starts_with("x-amz-meta-")) total += header.size() + text.size();
    if (total > KVPS_METADATA_MAX) return false;
    headers.emplace_back(name, std::move(value));
    return true;
}

// x-amz-meta-kvps-crc32c (see checksum_headers), beside x-amz-checksum-crc32c.
void add_checksum_metadata(Headers &headers, uint32_t crc) {
    add_own_metadata(headers, "x-amz-meta-kvps-crc32c", crc32c_hex(crc));
}

}  // namespace

std::string plain_etag(std::string etag) {
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
        etag = etag.substr(1, etag.size() - 2);
    if (etag.size() >= KVPS_ETAG_MAX) etag.resize(KVPS_ETAG_MAX - 1);
    return etag;
}

void add_write_id(Headers &headers, const PutOptions &options) {
    if (options.conditional()) add_own_metadata(headers, kWriteIdHeader, net::random_hex());
}

std::string write_id_of(const Headers &headers) {
    for (const auto &[name, value] : headers)
        if (name == kWriteIdHeader) return value;
    return "";
}

std::string settle_conditional(Client &client, const std::string &full_key,
                               const std::string &write_id, const std::string &md5,
                               const Error &failure, const HeadAnswer &head_answer) {
    HttpResponse head;
    try {
        head = head_answer ? head_answer() : client.send(head_call(full_key, false));
    } catch (const Error &e) {
        fail(KVPS_OUTCOME_UNKNOWN, failure.message() + "; checking what is in place failed too (" +
                                       e.message() + "): the new value may or may not be in place");
    }
    if (head.status != 404 && !succeeded(head))
        fail(KVPS_OUTCOME_UNKNOWN,
             failure.message() + "; checking what is in place failed too (HEAD answered HTTP " +
                 std::to_string(head.status) + "): the new value may or may not be in place");
    std::string etag = plain_etag(head.etag);
    if (head.status != 404) {
        if (!write_id.empty() && head.header(kWriteIdHeader) == write_id) return etag;
        if (write_id.empty() && lower(etag) == md5)
            fail(KVPS_OUTCOME_UNKNOWN, failure.message() +
                                           "; the key holds the bytes sent, but whether this "
                                           "conditional write or an earlier one put them there "
                                           "cannot be told");
    }
    throw Error(failure.status(), failure.message() + " (checked: the new value is not in place)");
}

// ---- the probe

ConditionProbe::State ConditionProbe::check_put(Client &client) {
    std::string key = client.full_key(random_name());
    HttpResponse made = put_probe(client, key, {});
    if (!succeeded(made)) client.fail_answer(made, client.describe("PUT (condition probe)", key));
    HttpResponse create_only = put_probe(client, key, {{"If-None-Match", "*"}});
    HttpResponse wrong_match = put_probe(client, key, {{"If-Match", "\"kvps-no-such-etag\""}});
    delete_probe(client, key);
    bool honoured = refused_condition(create_only) && refused_condition(wrong_match);
    if (!honoured)
        log(KVPS_LOG_WARN, "s3: " + client.settings().endpoint + " answered HTTP " +
                               std::to_string(create_only.status) +
                               " to If-None-Match: * and HTTP " +
                               std::to_string(wrong_match.status) +
                               " to a wrong If-Match on an existing object: it ignores conditions");
    return honoured ? State::Honoured : State::Ignored;
}

ConditionProbe::State ConditionProbe::check_complete(Client &client) {
    std::string key = client.full_key(random_name());
    HttpResponse made = put_probe(client, key, {});
    if (!succeeded(made)) client.fail_answer(made, client.describe("PUT (condition probe)", key));
    State state = State::Ignored;
    try {
        MultipartUpload upload(client, key);
        upload.add_part_borrowed("probe", 5);
        upload.set_complete_headers({{"If-None-Match", "*"}});
        upload.complete();
    } catch (const Error &e) {
        if (e.status() != KVPS_PRECONDITION_FAILED) {
            delete_probe(client, key);
            throw;
        }
        state = State::Honoured;
    }
    delete_probe(client, key);
    if (state == State::Ignored)
        log(KVPS_LOG_WARN,
            "s3: " + client.settings().endpoint +
                " completed a multipart upload despite If-None-Match: * on an existing object");
    return state;
}

namespace {

[[noreturn]] void fail_ignored_on_put(const Client &client) {
    fail(KVPS_UNSUPPORTED,
         "s3: the server at " + client.settings().endpoint +
             " ignores If-None-Match and If-Match on PutObject (a probe object showed it), "
             "so kvps refuses conditional writes there rather than write unconditionally");
}

}  // namespace

bool ConditionProbe::require_known(const Client &client) {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock() || put_ == State::Unknown) return false;
    if (put_ == State::Ignored) fail_ignored_on_put(client);
    return true;
}

void ConditionProbe::require(Client &client, bool multipart) {
    std::lock_guard lock(mutex_);
    if (put_ == State::Unknown) put_ = check_put(client);
    if (put_ == State::Ignored) fail_ignored_on_put(client);
    if (!multipart) return;
    if (complete_ == State::Unknown) complete_ = check_complete(client);
    if (complete_ == State::Ignored)
        fail(KVPS_UNSUPPORTED,
             "s3: the server at " + client.settings().endpoint +
                 " ignores If-None-Match on CompleteMultipartUpload (a probe object showed it), "
                 "so kvps refuses conditional writes above part_size there");
}

// ---- headers and answers

Headers property_headers(const Properties &properties) {
    Headers out;
    out.emplace_back("Content-Type", properties.content_type.empty()
                                         ? std::string(kDefaultContentType)
                                         : properties.content_type);
    for (const auto &[name, value] : properties.metadata)
        out.emplace_back("x-amz-meta-" + name, value);
    return out;
}

Headers condition_headers(const PutOptions &options) {
    if (options.create_only) return {{"If-None-Match", "*"}};
    if (!options.if_match.empty()) return {{"If-Match", "\"" + options.if_match + "\""}};
    return {};
}

Properties properties_of(const HttpResponse &response) {
    Properties out;
    out.content_type = response.content_type;
    // Names starting "kvps-" are kvps's own (x-amz-meta-kvps-crc32c, see checksum_headers),
    // not the user's.
    for (const auto &entry : response.headers_with_prefix("x-amz-meta-"))
        if (!entry.first.starts_with("kvps-")) out.metadata.push_back(entry);
    std::sort(out.metadata.begin(), out.metadata.end());
    return out;
}

void fail_conditional_answer(const Client &client, const HttpResponse &response,
                             std::string_view full_key, const PutOptions &options,
                             std::string_view what) {
    if (options.conditional()) {
        std::string code = parse_error(body_of(response)).code;
        std::string key(full_key);
        if (response.status == 412 || code == "PreconditionFailed")
            fail_condition(
                key, options,
                "the server refused the write (" + (code.empty() ? "HTTP 412" : code) + ")");
        if (response.status == 409 && code == "ConditionalRequestConflict")
            fail_condition(
                key, options,
                "a concurrent conditional write of the key won (ConditionalRequestConflict)");
        if (response.status == 404 && !options.if_match.empty() && code != "NoSuchBucket")
            fail_condition(key, options, "the key does not exist");
    }
    client.fail_answer(response, what);
}

void rethrow_as_condition(std::string_view full_key, const PutOptions &options, const Error &e) {
    if (options.conditional()) {
        std::string key(full_key);
        if (e.status() == KVPS_PRECONDITION_FAILED)
            fail_condition(key, options, "the server refused the write (" + e.message() + ")");
        if (e.status() == KVPS_NOT_FOUND && !options.if_match.empty())
            fail_condition(key, options, "the key does not exist (" + e.message() + ")");
    }
    throw e;
}

SinglePut::SinglePut(std::string full_key, const void *data, size_t size, PutOptions options)
    : full_(std::move(full_key)), data_(data), size_(size), options_(std::move(options)) {
    call_ = put_call(full_, data, size);
    call_.headers = property_headers(options_.properties());
    uint32_t crc = crc32c(data, size);
    call_.headers.emplace_back("x-amz-checksum-crc32c", crc32c_base64(crc));
    add_checksum_metadata(call_.headers, crc);
    Headers condition = condition_headers(options_);
    call_.headers.insert(call_.headers.end(), condition.begin(), condition.end());
    // A replay after a lost answer would meet its own write and fail its condition: no
    // replay; the write id settles a lost answer instead.
    if (options_.conditional()) call_.retry = Retry::ServerAnswers;
    add_write_id(call_.headers, options_);
    write_id_ = write_id_of(call_.headers);
    call_.lost_answer = &lost_;  // an unanswered attempt may have stored the value
}

std::string SinglePut::answered(const Client &client, const HttpResponse &response) const {
    if (!succeeded(response))
        fail_conditional_answer(client, response, full_, options_, client.describe("PUT", full_));
    return plain_etag(response.etag);
}

bool SinglePut::needs_settling(const Error &failure) const {
    return lost_ && failure.status() != KVPS_INVALID_ARGUMENT;
}

std::string SinglePut::settled(Client &client, const Error &failure, const HeadAnswer &head) const {
    std::string md5 = md5_hex(data_, size_);
    if (options_.conditional())
        return settle_conditional(client, full_, write_id_, md5, failure, head);
    settle_lost_answer(client, full_, md5, failure, head);  // returns when the value is in place
    return md5;
}

std::string put_object_with(Client &client, const std::string &full_key, const void *data,
                            size_t size, const PutOptions &options) {
    SinglePut put(full_key, data, size, options);
    try {
        return put.answered(client, client.send(put.call()));
    } catch (const Error &e) {
        if (!put.needs_settling(e)) throw;
        return put.settled(client, e);
    }
}

// ---- the backend's operations

std::string S3Backend::put_with(std::string_view key, const void *data, size_t size,
                                const PutOptions &options) {
    std::string full = client_.full_key(key);
    uint64_t part = client_.settings().part_size;
    if (options.conditional()) probe_.require(client_, size > part);
    if (size <= part) return put_object_with(client_, full, data, size, options);
    Headers create = property_headers(options.properties());
    add_write_id(create, options);
    MultipartUpload upload(client_, full, std::move(create));
    upload.set_complete_headers(condition_headers(options));
    const char *bytes = static_cast<const char *>(data);
    for (size_t at = 0; at < size; at += part)
        upload.add_part_borrowed(bytes + at, std::min<size_t>(part, size - at));
    try {
        upload.complete();
    } catch (const Error &e) {
        rethrow_as_condition(full, options, e);
    }
    return plain_etag(upload.etag());
}

std::unique_ptr<Writer> S3Backend::open_writer_with(std::string_view key,
                                                    const PutOptions &options) {
    std::string full = client_.full_key(key);
    if (options.conditional()) probe_.require(client_, false);
    return make_writer(client_, std::move(full), options, probe_);
}

std::optional<Bytes> S3Backend::get_with(std::string_view key, Metadata &meta) {
    std::string full = client_.full_key(key);
    Call call;
    call.key = full;
    call.headers = {{"x-amz-checksum-mode", "ENABLED"}};
    HttpResponse response = client_.send(call);
    if (response.status == 404 && parse_error(body_of(response)).code != "NoSuchBucket")
        return std::nullopt;
    if (!succeeded(response)) client_.fail_answer(response, client_.describe("GET", full));
    meta.crc32c = answered_checksum(response);
    meta.size = response.body.size();
    meta.mtime_ns = net::http_date_ns(response.last_modified);
    meta.etag = plain_etag(response.etag);
    meta.properties = properties_of(response);
    return std::move(response.body);
}

std::string S3Backend::copy(std::string_view from, std::string_view to, const PutOptions &options) {
    std::string source = client_.full_key(from), target = client_.full_key(to);
    std::string source_etag;
    std::optional<uint32_t> crc;
    std::optional<Metadata> meta = head_object(client_, source, &source_etag, &crc);
    if (!meta) fail(KVPS_NOT_FOUND, "cannot copy key " + quote(from) + ": it does not exist");
    Properties properties = options.properties_over(meta->properties);
    // The copy keeps the source's checksum in the metadata, which the copy writes out anew
    // (its parts, when copied in parts, have their own checksums).
    Headers target_headers = property_headers(properties);
    if (crc) add_checksum_metadata(target_headers, *crc);
    Headers from_version = {{"x-amz-copy-source-if-match", source_etag}};
    uint64_t size = meta->size;

    if (options.conditional() && size == 0) {  // nothing to copy but the properties
        PutOptions write = options;
        write.content_type = properties.content_type;
        write.metadata = properties.metadata;
        return put_with(to, "", 0, write);
    }
    if (!options.conditional() && size <= client_.settings().copy_threshold) {
        // One CopyObject, of the version HEAD saw, with the properties written out (REPLACE),
        // which also makes a copy onto itself legal.
        Call call;
        call.method = "PUT";
        call.key = target;
        call.headers = target_headers;
        call.headers.emplace_back("x-amz-copy-source", copy_source(client_, source));
        call.headers.emplace_back("x-amz-metadata-directive", "REPLACE");
        call.headers.insert(call.headers.end(), from_version.begin(), from_version.end());
        call.has_body = true;
        call.error_in_200 = true;
        HttpResponse response = client_.send(call);
        if (!succeeded(response)) {
            if (response.status == 412)
                fail(KVPS_PRECONDITION_FAILED,
                     "cannot copy key " + quote(from) + ": it changed during the copy");
            client_.fail_answer(response, client_.describe("CopyObject to", target));
        }
        std::string etag = parse_xml(body_of(response), "CopyObjectResult").child_text("ETag");
        return plain_etag(etag.empty() ? response.etag : etag);
    }
    // Large or conditional: UploadPartCopy parts of the same source version, then a
    // CompleteMultipartUpload that carries the condition.
    if (options.conditional()) probe_.require(client_, true);
    add_write_id(target_headers, options);
    MultipartUpload upload(client_, target, target_headers,
                           false);  // the metadata holds the checksum
    upload.set_complete_headers(condition_headers(options));
    uint64_t part = client_.settings().part_size;
    for (uint64_t at = 0; at < size; at += part)
        upload.add_part_copy(copy_source(client_, source), at, std::min(size, at + part) - 1,
                             from_version);
    try {
        upload.complete();
    } catch (const Error &e) {
        rethrow_as_condition(target, options, e);
    }
    return plain_etag(upload.etag());
}

std::string S3Backend::rename(std::string_view from, std::string_view to,
                              const PutOptions &options) {
    // S3 has no rename: a copy, then a delete (not atomic; see kvps_rename).
    std::string etag = copy(from, to, options);
    remove(from);
    return etag;
}

}  // namespace kvps::s3
