// One multipart upload: parts go up in the background, at most `concurrency` at a time, and
// the upload is aborted on the server when anything fails or the owner gives up, so no parts
// are left behind.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "spi/bytes.hpp"
#include "client.hpp"
#include "spi/error.hpp"

namespace kvps::s3 {

class MultipartUpload {
public:
    // Sends CreateMultipartUpload for full_key (with extra headers: Content-Type, x-amz-meta-*).
    // When its answer is lost, the key's uploads initiated since the request went out are
    // aborted (they may be ours, and we never learnt their ids) before the failure is thrown.
    MultipartUpload(Client &client, std::string full_key);
    MultipartUpload(Client &client, std::string full_key,
                    std::vector<std::pair<std::string, std::string>> create_headers);
    ~MultipartUpload();  // aborts unless completed
    MultipartUpload(const MultipartUpload &) = delete;
    MultipartUpload &operator=(const MultipartUpload &) = delete;

    // Queues the next part; blocks while `concurrency` parts are in flight. The borrowed form
    // needs data to stay valid until complete() or abort() returns. On failure the upload is
    // aborted and the error thrown.
    void add_part(Bytes data);
    void add_part_borrowed(const void *data, size_t size);

    // Waits for every part and sends CompleteMultipartUpload; aborts and throws on failure.
    // A lost answer is settled by a HEAD (the multipart ETag computed from the parts' MD5s,
    // or for a conditional write the write id among the create headers, see add_write_id):
    // success when the value in place is this upload's, else as settle_lost_answer says.
    void complete();
    // Waits for the parts in flight and sends AbortMultipartUpload; never throws.
    void abort() noexcept;

    // ---- conditional writes and server-side copies
    // Headers sent with CompleteMultipartUpload (If-None-Match / If-Match: the condition of
    // the whole write, checked when the value becomes visible).
    void set_complete_headers(std::vector<std::pair<std::string, std::string>> headers) {
        complete_headers_ = std::move(headers);
    }
    // Queues part number next as UploadPartCopy of bytes [first, last] of copy_source
    // ("/bucket/key", encoded), sent with extra headers (x-amz-copy-source-if-match).
    void add_part_copy(std::string copy_source, uint64_t first, uint64_t last,
                       std::vector<std::pair<std::string, std::string>> headers);
    // The ETag of the completed value (quotes kept), "" when the answer had none.
    const std::string &etag() const { return etag_; }

private:
    void launch(const void *data, size_t size, Bytes owned);
    void upload_part(int number, const void *data, size_t size);
    void wait_oldest();
    [[noreturn]] void fail_and_abort();
    void abort_uploads_since(std::chrono::system_clock::time_point sent) noexcept;
    void settle_complete(const Error &failure);
    bool abort_found_upload() noexcept;  // abort(); true when the server still had the upload

    Client &client_;
    std::string key_;
    std::string upload_id_;
    std::deque<std::future<void>> in_flight_;
    std::mutex mutex_;
    std::vector<std::string> etags_;  // by part number - 1
    int parts_ = 0;
    bool finished_ = false;
    std::vector<std::pair<std::string, std::string>> complete_headers_;
    std::string etag_;
    std::string write_id_;  // a conditional write's (conditional.hpp), "" when none
};

}  // namespace kvps::s3
