// One multipart upload: parts go up in the background, at most `concurrency` at a time, and
// the upload is aborted on the server when anything fails or the owner gives up, so no parts
// are left behind.
#pragma once

#include <cstddef>
#include <deque>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "spi/bytes.hpp"
#include "client.hpp"

namespace kvps::s3 {

class MultipartUpload {
public:
    // Sends CreateMultipartUpload for full_key.
    MultipartUpload(Client &client, std::string full_key);
    ~MultipartUpload();  // aborts unless completed
    MultipartUpload(const MultipartUpload &) = delete;
    MultipartUpload &operator=(const MultipartUpload &) = delete;

    // Queues the next part; blocks while `concurrency` parts are in flight. The borrowed form
    // needs data to stay valid until complete() or abort() returns. On failure the upload is
    // aborted and the error thrown.
    void add_part(Bytes data);
    void add_part_borrowed(const void *data, size_t size);

    // Waits for every part and sends CompleteMultipartUpload; aborts and throws on failure.
    void complete();
    // Waits for the parts in flight and sends AbortMultipartUpload; never throws.
    void abort() noexcept;

private:
    void launch(const void *data, size_t size, Bytes owned);
    void upload_part(int number, const void *data, size_t size);
    void wait_oldest();
    [[noreturn]] void fail_and_abort();

    Client &client_;
    std::string key_;
    std::string upload_id_;
    std::deque<std::future<void>> in_flight_;
    std::mutex mutex_;
    std::vector<std::string> etags_;  // by part number - 1
    int parts_ = 0;
    bool finished_ = false;
};

}  // namespace kvps::s3
