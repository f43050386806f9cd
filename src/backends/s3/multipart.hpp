// One multipart upload: parts go up in the background, at most `concurrency` at a time, and
// the upload is aborted on the server when anything fails or the owner gives up, so no parts
// are left behind.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "spi/bytes.hpp"
#include "spi/shared_bytes.hpp"
#include "client.hpp"
#include "spi/error.hpp"

namespace kvps::s3 {

// End-to-end checksums: the CRC32C of the whole value is known only once every part is
// sent, too late for CreateMultipartUpload's metadata. So a checksummed upload asks for S3's
// full-object CRC32C (x-amz-checksum-algorithm: CRC32C, x-amz-checksum-type: FULL_OBJECT on
// Create; each part's x-amz-checksum-crc32c, computed while it is sent; the whole value's,
// combined from the parts' in constant memory, on Complete, where the server checks it and keeps
// it). The first upload of a store tells whether the server does (Client::full_object_crc32c):
// one that refuses the headers, or completes without keeping the checksum, gets plain uploads
// from then on, and their values read unverified (the documented fallback;
// src/backends/s3/README.md).
class MultipartUpload {
public:
    // Sends CreateMultipartUpload for full_key (with extra headers: Content-Type, x-amz-meta-*).
    // When its answer is lost, the key's uploads initiated since the request went out are
    // aborted (they may be ours, and we never learnt their ids) before the failure is thrown.
    // checksummed: store the whole value's CRC32C as above (not for UploadPartCopy uploads).
    MultipartUpload(Client &client, std::string full_key);
    MultipartUpload(Client &client, std::string full_key,
                    std::vector<std::pair<std::string, std::string>> create_headers,
                    bool checksummed = true);
    ~MultipartUpload();  // aborts unless completed
    MultipartUpload(const MultipartUpload &) = delete;
    MultipartUpload &operator=(const MultipartUpload &) = delete;

    // Queues the next part; blocks while `concurrency` parts are in flight. The shared form
    // holds a reference to the caller's block until the part is sent (no copy); the borrowed
    // form needs data to stay valid until complete() or abort() returns. On failure the upload
    // is aborted and the error thrown.
    void add_part(Bytes data);
    void add_part(SharedBytes data);
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
    // keep: what holds data alive until the part is sent (null: borrowed).
    void launch(const void *data, size_t size, std::shared_ptr<const void> keep);
    void upload_part(int number, const void *data, size_t size);
    void wait_oldest();
    [[noreturn]] void fail_and_abort();
    void abort_uploads_since(std::chrono::system_clock::time_point sent) noexcept;
    void settle_complete(const Error &failure);
    // CreateMultipartUpload; tentative: false instead of a failure when the server refuses the
    // request as such (HTTP 400 or 501: headers it does not know).
    bool create(std::vector<std::pair<std::string, std::string>> headers, bool tentative = false);
    // The whole value's CRC32C from the parts' (after every part is in).
    uint32_t whole_crc32c() const;
    void learn_full_object_support(const HttpResponse &response, const std::string &whole) noexcept;
    bool abort_found_upload() noexcept;  // abort(); true when the server still had the upload

    Client &client_;
    std::string key_;
    std::string upload_id_;
    std::deque<std::future<void>> in_flight_;
    // Raised to stop the parts in flight: the operation waiting for them was cancelled, or the
    // upload is being aborted (parts are invisible until CompleteMultipartUpload: cutting one
    // is always safe).
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<std::string> etags_;   // by part number - 1
    bool checksummed_ = false;         // this upload carries a full-object CRC32C
    std::vector<uint32_t> part_crcs_;  // by part number - 1 (when checksummed_)
    std::vector<uint64_t> part_sizes_;
    int parts_ = 0;
    bool finished_ = false;
    std::vector<std::pair<std::string, std::string>> complete_headers_;
    std::string etag_;
    std::string write_id_;  // a conditional write's (conditional.hpp), "" when none
};

}  // namespace kvps::s3
