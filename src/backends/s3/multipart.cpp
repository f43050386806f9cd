// Multipart upload: Create, parallel UploadPart, Complete, or Abort.
#include "multipart.hpp"

#include "net/dates.hpp"
#include "spi/cancel.hpp"
#include "spi/checksum.hpp"
#include "spi/error.hpp"
#include "spi/log.hpp"
#include "conditional.hpp"
#include "s3_backend.hpp"
#include "xml.hpp"

namespace kvps::s3 {
namespace {
constexpr int kMaxParts = 10000;  // S3's limit

int64_t ns_since_epoch(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The ETag S3 gives a completed multipart upload: hex MD5 of the parts' binary MD5s, "-", the
// number of parts. "" when a part's ETag is not an MD5 (then it cannot be predicted).
std::string multipart_etag(const std::vector<std::string> &part_etags) {
    std::string digests;
    for (std::string etag : part_etags) {
        if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
            etag = etag.substr(1, etag.size() - 2);
        if (etag.size() != 32) return "";
        for (size_t i = 0; i < 32; i += 2) {
            int byte = 0;
            for (char c : etag.substr(i, 2)) {
                int v = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                               : -1;
                if (v < 0) return "";
                byte = byte * 16 + v;
            }
            digests += static_cast<char>(byte);
        }
    }
    return md5_hex(digests.data(), digests.size()) + "-" + std::to_string(part_etags.size());
}
}  // namespace

MultipartUpload::MultipartUpload(Client &client, std::string full_key)
    : MultipartUpload(client, std::move(full_key), {{"Content-Type", "application/octet-stream"}}) {
}

MultipartUpload::MultipartUpload(Client &client, std::string full_key,
                                 std::vector<std::pair<std::string, std::string>> create_headers,
                                 bool checksummed)
    : client_(client), key_(std::move(full_key)) {
    checksummed_ = checksummed && client_.full_object_crc32c.load() != Client::Support::No;
    if (!checksummed_) {
        create(std::move(create_headers));
        return;
    }
    auto with_checksum = create_headers;
    with_checksum.emplace_back("x-amz-checksum-algorithm", "CRC32C");
    with_checksum.emplace_back("x-amz-checksum-type", "FULL_OBJECT");
    if (create(std::move(with_checksum), true)) return;
    // A server that does not know the checksum headers refused them (HTTP 400 or 501): plain
    // uploads from now on, if a plain one is accepted.
    checksummed_ = false;
    create(std::move(create_headers));
    client_.full_object_crc32c = Client::Support::No;
    log(KVPS_LOG_INFO,
        "s3: " + client_.settings().endpoint +
            " refused a full-object CRC32C on "
            "CreateMultipartUpload; values written in parts are stored without a checksum "
            "and read unverified");
}

bool MultipartUpload::create(std::vector<std::pair<std::string, std::string>> headers,
                             bool tentative) {
    Call call;
    call.method = "POST";
    call.key = key_;
    call.query = {{"uploads", ""}};
    call.headers = std::move(headers);
    write_id_ = write_id_of(call.headers);
    call.has_body = true;
    call.retry = Retry::ServerAnswers;  // a lost answer may have created an upload: no replay
    bool lost = false;
    call.lost_answer = &lost;
    auto sent = std::chrono::system_clock::now();
    HttpResponse response;
    try {
        response = client_.send(call);
    } catch (const Error &) {
        // The server may have created an upload whose id never reached us.
        if (lost) abort_uploads_since(sent);
        throw;
    }
    if (tentative && (response.status == 400 || response.status == 501)) return false;
    std::string what = client_.describe("CreateMultipartUpload", key_);
    if (!succeeded(response)) client_.fail_answer(response, what);
    upload_id_ = parse_upload_id(std::string_view(response.body.data(), response.body.size()));
    return true;
}

uint32_t MultipartUpload::whole_crc32c() const {
    uint32_t crc = 0;
    for (size_t i = 0; i < part_crcs_.size(); ++i)
        crc = crc32c_combine(crc, part_crcs_[i], part_sizes_[i]);
    return crc;
}

void MultipartUpload::abort_uploads_since(std::chrono::system_clock::time_point sent) noexcept {
    std::string error;
    for (unsigned round = 0; round < 3; ++round) {
        try {
            Call list;
            list.key = "";
            list.query = {{"uploads", ""}, {"prefix", key_}};
            HttpResponse response = client_.send(list);
            if (!succeeded(response))
                client_.fail_answer(response, client_.describe("ListMultipartUploads", key_));
            // Initiated is the server's clock: shift our send time by the server's offset
            // (from its Date header, whole seconds), with a second of slack for that rounding.
            int64_t offset_ns = 0;
            if (int64_t server_now = net::http_date_ns(response.date))
                offset_ns = server_now - ns_since_epoch(std::chrono::system_clock::now());
            int64_t since = ns_since_epoch(sent) + offset_ns - 1000000000;
            std::string_view body(response.body.data() ? response.body.data() : "",
                                  response.body.size());
            for (const MultipartUploadEntry &u : parse_multipart_uploads(body)) {
                if (u.key != key_ || u.initiated_ns < since) continue;
                Call abort;
                abort.method = "DELETE";
                abort.key = key_;
                abort.query = {{"uploadId", u.upload_id}};
                HttpResponse answer = client_.send(abort);
                if (!succeeded(answer) && answer.status != 404)
                    client_.fail_answer(answer, client_.describe("AbortMultipartUpload", key_));
            }
            return;
        } catch (const std::exception &e) {
            error = e.what();
        }
    }
    log(KVPS_LOG_WARN, "s3: a CreateMultipartUpload of " + quote(key_) +
                           " lost its answer and the uploads it may have left could not be "
                           "aborted (" +
                           error + "); a lifecycle rule removes them");
}

MultipartUpload::~MultipartUpload() {
    if (!finished_) abort();
}

void MultipartUpload::upload_part(int number, const void *data, size_t size) {
    Call call;
    call.method = "PUT";
    call.key = key_;
    call.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}};
    call.body = data;
    call.body_size = size;
    call.has_body = true;
    call.cancel = &stop_;
    uint32_t crc = 0;
    if (checksummed_) {
        crc = crc32c(data, size);
        call.headers.emplace_back("x-amz-checksum-crc32c", crc32c_base64(crc));
    }
    HttpResponse response = client_.send(call);
    if (!succeeded(response))
        client_.fail_answer(response,
                            client_.describe("UploadPart " + std::to_string(number), key_));
    if (response.etag.empty())
        fail(KVPS_REMOTE,
             "s3: " + client_.describe("UploadPart", key_) + ": the answer has no ETag");
    std::lock_guard lock(mutex_);
    etags_[static_cast<size_t>(number - 1)] = response.etag;
    if (checksummed_) {
        part_crcs_[static_cast<size_t>(number - 1)] = crc;
        part_sizes_[static_cast<size_t>(number - 1)] = size;
    }
}

void MultipartUpload::wait_oldest() {
    std::future<void> oldest = std::move(in_flight_.front());
    in_flight_.pop_front();
    // The parts run on their own threads, beyond the reach of the waiting operation's
    // cancellation: it is watched here and passed on to them through stop_.
    if (cancellable()) {
        while (oldest.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready) {
            if (!cancel_requested()) continue;
            stop_.store(true, std::memory_order_release);
            oldest.wait();
            stop_cancelled("s3: " + client_.describe("PUT", key_) +
                           ": cancelled while its parts were being sent");
        }
    }
    oldest.get();  // rethrows the part's failure
}

void MultipartUpload::launch(const void *data, size_t size, std::shared_ptr<const void> keep) {
    if (parts_ >= kMaxParts)
        fail(KVPS_INVALID_ARGUMENT, "s3: " + client_.describe("PUT", key_) +
                                        ": the value needs more than 10000 parts; raise part_size");
    while (in_flight_.size() >= client_.settings().concurrency) wait_oldest();
    int number = ++parts_;
    {
        std::lock_guard lock(mutex_);
        etags_.resize(static_cast<size_t>(number));
        part_crcs_.resize(static_cast<size_t>(number));
        part_sizes_.resize(static_cast<size_t>(number));
    }
    in_flight_.push_back(std::async(
        std::launch::async,
        [this, number, data, size, keep = std::move(keep)] { upload_part(number, data, size); }));
}

void MultipartUpload::add_part(Bytes data) {
    try {
        auto owned = std::make_shared<Bytes>(std::move(data));
        launch(owned->data(), owned->size(), owned);
    } catch (...) {
        fail_and_abort();
    }
}

void MultipartUpload::add_part(SharedBytes data) {
    try {
        const char *bytes = data.data();  // before the owner moves into launch's argument
        launch(bytes, data.size, std::move(data.owner));
    } catch (...) {
        fail_and_abort();
    }
}

void MultipartUpload::add_part_borrowed(const void *data, size_t size) {
    try {
        launch(data, size, nullptr);
    } catch (...) {
        fail_and_abort();
    }
}

void MultipartUpload::fail_and_abort() {
    std::exception_ptr error = std::current_exception();
    abort();
    std::rethrow_exception(error);
}

void MultipartUpload::complete() {
    try {
        while (!in_flight_.empty()) wait_oldest();
        std::string body = "<CompleteMultipartUpload>";
        for (size_t i = 0; i < etags_.size(); ++i)
            body += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" +
                    xml_escape(etags_[i]) + "</ETag>" +
                    (checksummed_
                         ? "<ChecksumCRC32C>" + crc32c_base64(part_crcs_[i]) + "</ChecksumCRC32C>"
                         : "") +
                    "</Part>";
        body += "</CompleteMultipartUpload>";
        Call call;
        call.method = "POST";
        call.key = key_;
        call.query = {{"uploadId", upload_id_}};
        call.headers = {{"Content-Type", "application/xml"}};
        const std::string whole = checksummed_ ? crc32c_base64(whole_crc32c()) : "";
        if (checksummed_) {
            call.headers.emplace_back("x-amz-checksum-crc32c", whole);
            call.headers.emplace_back("x-amz-checksum-type", "FULL_OBJECT");
        }
        call.headers.insert(call.headers.end(), complete_headers_.begin(), complete_headers_.end());
        call.body = body.data();
        call.body_size = body.size();
        call.has_body = true;
        call.retry = Retry::ServerAnswers;
        call.error_in_200 = true;
        bool lost = false;
        call.lost_answer = &lost;
        HttpResponse response;
        try {
            response = client_.send(call);
            if (!succeeded(response))
                client_.fail_answer(response, client_.describe("CompleteMultipartUpload", key_));
        } catch (const Error &e) {
            if (!lost) throw;
            settle_complete(e);  // returns when the value in place is this upload's
            response = HttpResponse{};
            response.etag = "\"" + multipart_etag(etags_) + "\"";
        }
        finished_ = true;
        std::string_view answer(response.body.data() ? response.body.data() : "",
                                response.body.size());
        etag_ = response.etag;
        if (etag_.empty() && !answer.empty())
            etag_ = parse_xml(answer, "CompleteMultipartUploadResult").child_text("ETag");
        if (checksummed_ && !lost && client_.full_object_crc32c.load() == Client::Support::Unknown)
            learn_full_object_support(response, whole);
    } catch (...) {
        fail_and_abort();
    }
}

// The first checksummed upload's answer tells whether the server keeps the whole value's CRC32C.
void MultipartUpload::learn_full_object_support(const HttpResponse &response,
                                                const std::string &whole) noexcept {
    std::string kept(response.header("x-amz-checksum-crc32c"));
    try {
        std::string_view answer(response.body.data() ? response.body.data() : "",
                                response.body.size());
        if (kept.empty() && !answer.empty())
            kept = parse_xml(answer, "CompleteMultipartUploadResult").child_text("ChecksumCRC32C");
    } catch (...) {
    }
    bool keeps = kept == whole;
    client_.full_object_crc32c = keeps ? Client::Support::Yes : Client::Support::No;
    if (!keeps)
        log(KVPS_LOG_INFO,
            "s3: " + client_.settings().endpoint +
                " completed a multipart upload without "
                "keeping its full-object CRC32C; values written in parts are stored without a "
                "checksum from now on and read unverified");
}

void MultipartUpload::settle_complete(const Error &failure) {
    try {
        if (!write_id_.empty())
            settle_conditional(client_, key_, write_id_, "", failure);
        else
            settle_lost_answer(client_, key_, multipart_etag(etags_), failure);
    } catch (const Error &e) {
        // An abort that finds the upload proves it was not completed, and now never will be.
        if (e.status() == KVPS_OUTCOME_UNKNOWN && abort_found_upload())
            throw Error(failure.status(), failure.message() +
                                              " (checked: the upload was still open "
                                              "and is now aborted; the old value stays)");
        throw;
    }
}

void MultipartUpload::abort() noexcept { abort_found_upload(); }

bool MultipartUpload::abort_found_upload() noexcept {
    if (finished_) return false;
    finished_ = true;
    stop_.store(true, std::memory_order_release);  // the parts still in flight are thrown away
    for (std::future<void> &part : in_flight_) {
        try {
            part.get();
        } catch (...) {
            // The upload is being thrown away: one failed part more does not matter.
        }
    }
    in_flight_.clear();
    try {
        Call call;
        call.method = "DELETE";
        call.key = key_;
        call.query = {{"uploadId", upload_id_}};
        HttpResponse response = client_.send(call);
        if (succeeded(response)) return true;
        if (response.status != 404)
            log(KVPS_LOG_WARN, "s3: AbortMultipartUpload of " + quote(key_) + " answered HTTP " +
                                   std::to_string(response.status) +
                                   "; parts may be left until a lifecycle rule removes them");
    } catch (const std::exception &e) {
        log(KVPS_LOG_WARN, std::string("s3: AbortMultipartUpload failed: ") + e.what());
    }
    return false;
}

void MultipartUpload::add_part_copy(std::string copy_source, uint64_t first, uint64_t last,
                                    std::vector<std::pair<std::string, std::string>> headers) {
    try {
        if (parts_ >= kMaxParts)
            fail(KVPS_INVALID_ARGUMENT,
                 "s3: " + client_.describe("copy to", key_) +
                     ": the value needs more than 10000 parts; raise part_size");
        if (checksummed_)
            fail(KVPS_INTERNAL,
                 "s3: " + client_.describe("copy to", key_) +
                     ": a checksummed upload cannot take copied parts (their CRC32C is unknown)");
        int number = ++parts_;
        {
            std::lock_guard lock(mutex_);
            etags_.resize(static_cast<size_t>(number));
        }
        Call call;
        call.method = "PUT";
        call.key = key_;
        call.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id_}};
        call.headers = std::move(headers);
        call.headers.emplace_back("x-amz-copy-source", std::move(copy_source));
        call.headers.emplace_back("x-amz-copy-source-range",
                                  "bytes=" + std::to_string(first) + "-" + std::to_string(last));
        call.has_body = true;
        call.error_in_200 = true;
        HttpResponse response = client_.send(call);
        std::string what = client_.describe("UploadPartCopy " + std::to_string(number), key_);
        if (!succeeded(response)) client_.fail_answer(response, what);
        std::string etag =
            parse_xml(std::string_view(response.body.data() ? response.body.data() : "",
                                       response.body.size()),
                      "CopyPartResult")
                .child_text("ETag");
        if (etag.empty()) fail(KVPS_REMOTE, "s3: " + what + ": the answer has no ETag");
        std::lock_guard lock(mutex_);
        etags_[static_cast<size_t>(number - 1)] = etag;
    } catch (...) {
        fail_and_abort();
    }
}

}  // namespace kvps::s3
