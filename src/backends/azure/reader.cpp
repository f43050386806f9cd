// Streaming reads in constant memory: the range is fetched in block_size pieces, each a ranged
// Get Blob conditional on the ETag seen at open (If-Match), so a value replaced mid-read is
// reported, never spliced from two versions. A seek only moves the position.
#include <cstring>

#include "azure_backend.hpp"
#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::azure {
namespace {

class AzureReader final : public Reader {
public:
    AzureReader(Client &client, std::string key, std::string etag, uint64_t value_size, Span64 span,
                std::optional<uint32_t> crc32c)
        : client_(client),
          key_(std::move(key)),
          etag_(std::move(etag)),
          value_size_(value_size),
          next_(span.start),
          end_(span.start + span.count),
          crc32c_(crc32c) {}

    size_t read(void *buffer, size_t capacity) override {
        if (taken_ == piece_.size()) {
            if (next_ >= end_ || capacity == 0) return 0;
            fetch();
        }
        size_t n = std::min(capacity, piece_.size() - taken_);
        std::memcpy(buffer, piece_.data() + taken_, n);
        taken_ += n;
        return n;
    }

    bool seek(uint64_t offset, uint64_t end) override {
        next_ = std::min(offset, value_size_);
        end_ = std::max(next_, std::min(end, value_size_));
        piece_ = Bytes();
        taken_ = 0;
        return true;
    }

    uint64_t value_size() const override { return value_size_; }
    std::string etag() const override { return std::string(strip_quotes(etag_)); }
    std::optional<uint32_t> checksum() const override { return crc32c_; }

private:
    void fetch() {
        uint64_t count = std::min<uint64_t>(client_.settings().block_size, end_ - next_);
        Call call;
        call.blob = key_;
        call.headers = {{"Range", net::byte_range(next_, count)}};
        if (!etag_.empty()) call.headers.emplace_back("If-Match", etag_);
        HttpResponse response = client_.send(call);
        std::string what = client_.describe("GET", key_);
        if (response.status == 412 || missing_blob(response))
            fail(KVPS_PRECONDITION_FAILED, "az: " + what +
                                               ": the value changed or was deleted while it was "
                                               "being read; open a new reader");
        if (!succeeded(response)) client_.fail_answer(response, what);
        piece_ = std::move(response.body);
        if (response.status == 200) {  // the whole value: cut the piece from it
            Span64 span = clamp_range(piece_.size(), next_, count);
            piece_.slice(static_cast<size_t>(span.start), static_cast<size_t>(span.count));
        }
        if (piece_.size() == 0)
            fail(KVPS_REMOTE,
                 "az: " + what + ": the service sent no bytes at offset " + std::to_string(next_));
        taken_ = 0;
        next_ += piece_.size();
    }

    Client &client_;
    std::string key_;
    std::string etag_;  // as sent, quotes kept
    uint64_t value_size_;
    uint64_t next_, end_;  // the next byte to fetch, the end of the range
    Bytes piece_;          // fetched, not yet read past taken_
    size_t taken_ = 0;
    std::optional<uint32_t> crc32c_;  // stored with the version being read
};

}  // namespace

std::unique_ptr<Reader> make_reader(Client &client, std::string full_key, uint64_t offset,
                                    uint64_t length) {
    std::string etag;
    std::optional<Metadata> meta = head_blob(client, full_key, &etag);
    if (!meta) return nullptr;
    return std::make_unique<AzureReader>(client, std::move(full_key), std::move(etag), meta->size,
                                         clamp_range(meta->size, offset, length), meta->crc32c);
}

}  // namespace kvps::azure
