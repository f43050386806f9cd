// Multipart upload: Create, parallel UploadPart, Complete, or Abort.
#include "multipart.hpp"

#include "spi/error.hpp"
#include "spi/log.hpp"
#include "xml.hpp"

namespace kvps::s3 {
namespace {
constexpr int kMaxParts = 10000;  // S3's limit
}

MultipartUpload::MultipartUpload(Client &client, std::string full_key)
    : client_(client), key_(std::move(full_key)) {
    Call call;
    call.method = "POST";
    call.key = key_;
    call.query = {{"uploads", ""}};
    call.has_body = true;
    call.retry = Retry::ServerAnswers;  // a lost answer may have created an upload: no replay
    HttpResponse response = client_.send(call);
    std::string what = client_.describe("CreateMultipartUpload", key_);
    if (!succeeded(response)) client_.fail_answer(response, what);
    upload_id_ = parse_upload_id(std::string_view(response.body.data(), response.body.size()));
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
    HttpResponse response = client_.send(call);
    if (!succeeded(response))
        client_.fail_answer(response, client_.describe("UploadPart " + std::to_string(number), key_));
    if (response.etag.empty())
        fail(KVPS_REMOTE, "s3: " + client_.describe("UploadPart", key_) + ": the answer has no ETag");
    std::lock_guard lock(mutex_);
    etags_[static_cast<size_t>(number - 1)] = response.etag;
}

void MultipartUpload::wait_oldest() {
    std::future<void> oldest = std::move(in_flight_.front());
    in_flight_.pop_front();
    oldest.get();  // rethrows the part's failure
}

void MultipartUpload::launch(const void *data, size_t size, Bytes owned) {
    if (parts_ >= kMaxParts)
        fail(KVPS_INVALID_ARGUMENT, "s3: " + client_.describe("PUT", key_) +
                                        ": the value needs more than 10000 parts; raise part_size");
    while (in_flight_.size() >= client_.settings().concurrency) wait_oldest();
    int number = ++parts_;
    {
        std::lock_guard lock(mutex_);
        etags_.resize(static_cast<size_t>(number));
    }
    in_flight_.push_back(std::async(std::launch::async,
                                    [this, number, data, size, keep = std::move(owned)] {
                                        upload_part(number, data, size);
                                    }));
}

void MultipartUpload::add_part(Bytes data) {
    try {
        const void *bytes = data.data();
        size_t size = data.size();
        launch(bytes, size, std::move(data));
    } catch (...) {
        fail_and_abort();
    }
}

void MultipartUpload::add_part_borrowed(const void *data, size_t size) {
    try {
        launch(data, size, Bytes());
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
                    xml_escape(etags_[i]) + "</ETag></Part>";
        body += "</CompleteMultipartUpload>";
        Call call;
        call.method = "POST";
        call.key = key_;
        call.query = {{"uploadId", upload_id_}};
        call.headers = {{"Content-Type", "application/xml"}};
        call.body = body.data();
        call.body_size = body.size();
        call.has_body = true;
        call.retry = Retry::ServerAnswers;
        call.error_in_200 = true;
        HttpResponse response = client_.send(call);
        if (!succeeded(response))
            client_.fail_answer(response, client_.describe("CompleteMultipartUpload", key_));
        finished_ = true;
    } catch (...) {
        fail_and_abort();
    }
}

void MultipartUpload::abort() noexcept {
    if (finished_) return;
    finished_ = true;
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
        if (!succeeded(response) && response.status != 404)
            log(KVPS_LOG_WARN, "s3: AbortMultipartUpload of " + quote(key_) + " answered HTTP " +
                                   std::to_string(response.status) +
                                   "; parts may be left until a lifecycle rule removes them");
    } catch (const std::exception &e) {
        log(KVPS_LOG_WARN, std::string("s3: AbortMultipartUpload failed: ") + e.what());
    }
}

}  // namespace kvps::s3
