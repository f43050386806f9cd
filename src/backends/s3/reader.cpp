// Streaming reads in constant memory: the range is fetched in part_size chunks by ranged GETs,
// each conditional on the ETag seen at open, so a value replaced mid-read is reported instead
// of being spliced from two versions. The next chunk is fetched while the caller consumes the
// current one.
#include <cstring>
#include <future>

#include "error.hpp"
#include "s3_backend.hpp"

namespace kvps::s3 {
namespace {

class S3Reader final : public Reader {
public:
    S3Reader(Client &client, std::string key, std::string etag, uint64_t value_size, Span64 span)
        : client_(client), key_(std::move(key)), etag_(std::move(etag)), value_size_(value_size),
          next_(span.start), end_(span.start + span.count) {
        prefetch();
    }
    ~S3Reader() override {
        if (pending_.valid()) pending_.wait();
    }

    size_t read(void *buffer, size_t capacity) override {
        if (pos_ == chunk_.size()) {
            if (!pending_.valid()) return 0;
            chunk_ = pending_.get();
            pos_ = 0;
            prefetch();
            if (chunk_.empty()) return 0;
        }
        size_t n = std::min(capacity, chunk_.size() - pos_);
        std::memcpy(buffer, chunk_.data() + pos_, n);
        pos_ += n;
        return n;
    }

    uint64_t value_size() const override { return value_size_; }

private:
    void prefetch() {
        if (next_ >= end_) return;
        uint64_t first = next_;
        uint64_t count = std::min<uint64_t>(client_.settings().part_size, end_ - next_);
        next_ += count;
        pending_ = std::async(std::launch::async, [this, first, count] { return fetch(first, count); });
    }

    Bytes fetch(uint64_t first, uint64_t count) {
        Call call;
        call.key = key_;
        call.headers = {{"Range", "bytes=" + std::to_string(first) + "-" +
                                      std::to_string(first + count - 1)}};
        if (!etag_.empty()) call.headers.emplace_back("If-Match", etag_);
        HttpResponse response = client_.send(call);
        std::string what = client_.describe("GET", key_);
        if (response.status == 412 || response.status == 404)
            fail(KVPS_PRECONDITION_FAILED,
                 "s3: " + what + ": the value was replaced or deleted while it was being read");
        if (response.status != 206 && response.status != 200)
            client_.fail_answer(response, what);
        if (response.body.size() != count)
            fail(KVPS_REMOTE, "s3: " + what + ": asked for " + std::to_string(count) +
                                  " bytes, the server sent " + std::to_string(response.body.size()));
        return std::move(response.body);
    }

    Client &client_;
    std::string key_;
    std::string etag_;
    uint64_t value_size_;
    uint64_t next_, end_;  // what is left to fetch
    std::future<Bytes> pending_;
    Bytes chunk_;
    size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<Reader> make_reader(Client &client, std::string full_key, uint64_t offset,
                                    uint64_t length) {
    std::string etag;
    std::optional<Metadata> meta = head_object(client, full_key, &etag);
    if (!meta) return nullptr;
    Span64 span = clamp_range(meta->size, offset, length);
    return std::make_unique<S3Reader>(client, std::move(full_key), std::move(etag), meta->size,
                                      span);
}

}  // namespace kvps::s3
