// Streaming reads in constant memory: one ranged GET, conditional on the ETag seen at open (a
// value replaced mid-read is reported, never spliced from two versions), runs on a worker
// thread and fills a ring buffer (2 MiB at most) that read() drains. When the connection breaks the
// worker resumes from the first byte not yet received, up to max_attempts times.
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "spi/error.hpp"
#include "s3_backend.hpp"

namespace kvps::s3 {
namespace {

class S3Reader final : public Reader {
public:
    // The ring's most bytes: enough to keep the connection busy while the caller drains it
    // (a read returns what has arrived), without holding a whole part per open reader.
    static constexpr uint64_t kRingMax = 2 << 20;

    S3Reader(Client &client, std::string key, std::string etag, uint64_t value_size, Span64 span)
        : client_(client),
          key_(std::move(key)),
          etag_(std::move(etag)),
          value_size_(value_size),
          ring_(static_cast<size_t>(std::min<uint64_t>(
              {client.settings().part_size, kRingMax, std::max<uint64_t>(span.count, 1)}))) {
        start(span.start, span.start + span.count);
    }

    ~S3Reader() override { stop(); }

    // Restarts the stream at offset, still conditional on the ETag seen at open.
    bool seek(uint64_t offset, uint64_t end) override {
        stop();
        start(std::min(offset, value_size_), std::min(end, value_size_));
        return true;
    }

    std::string etag() const override {
        if (etag_.size() >= 2 && etag_.front() == '"' && etag_.back() == '"')
            return etag_.substr(1, etag_.size() - 2);
        return etag_;
    }

    size_t read(void *buffer, size_t capacity) override {
        std::unique_lock lock(mutex_);
        data_.wait(lock, [&] { return used_ > 0 || done_; });
        if (used_ == 0) {
            if (error_) std::rethrow_exception(error_);
            return 0;
        }
        size_t n = std::min(capacity, used_);
        size_t first = std::min(n, ring_.size() - head_);  // up to the ring's end, then wrap
        std::memcpy(buffer, ring_.data() + head_, first);
        std::memcpy(static_cast<char *>(buffer) + first, ring_.data(), n - first);
        head_ = (head_ + n) % ring_.size();
        used_ -= n;
        lock.unlock();
        space_.notify_one();
        return n;
    }

    uint64_t value_size() const override { return value_size_; }

    std::optional<uint32_t> checksum() const override { return checksum_; }
    void set_checksum(std::optional<uint32_t> crc32c) { checksum_ = crc32c; }

private:
    void start(uint64_t first, uint64_t end) {
        next_ = first;
        end_ = std::max(first, end);
        head_ = used_ = 0;
        error_ = nullptr;
        closed_ = false;
        done_ = next_ >= end_;
        if (!done_) worker_ = std::thread([this] { run(); });
    }

    void stop() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        space_.notify_all();
        if (worker_.joinable()) worker_.join();
    }

    // The worker's side of the ring: false once the reader is closed.
    bool push(const char *data, size_t size) {
        while (size > 0) {
            std::unique_lock lock(mutex_);
            space_.wait(lock, [&] { return used_ < ring_.size() || closed_; });
            if (closed_) return false;
            size_t tail = (head_ + used_) % ring_.size();
            size_t n = std::min({size, ring_.size() - used_, ring_.size() - tail});
            std::memcpy(ring_.data() + tail, data, n);
            used_ += n;
            next_ += n;
            data += n;
            size -= n;
            lock.unlock();
            data_.notify_one();
        }
        return true;
    }

    void run() {
        std::function<bool(const char *, size_t)> sink = [this](const char *d, size_t n) {
            return push(d, n);
        };
        std::exception_ptr error;
        for (unsigned broken = 0; next_ < end_ && !closed();) {
            uint64_t before = next_;
            try {
                fetch(sink);
                if (next_ < end_ && !closed())
                    fail(KVPS_NETWORK,
                         "s3: " + client_.describe("GET", key_) + ": the answer ended early");
            } catch (const Error &e) {
                bool transient = e.status() == KVPS_NETWORK || e.status() == KVPS_TIMEOUT;
                if (next_ > before) broken = 0;  // progress: this is a new break
                if (closed() || !transient || ++broken >= client_.settings().max_attempts) {
                    error = std::current_exception();
                    break;
                }
            } catch (...) {
                error = std::current_exception();
                break;
            }
        }
        {
            std::lock_guard lock(mutex_);
            error_ = error;
            done_ = true;
        }
        data_.notify_all();
    }

    void fetch(const std::function<bool(const char *, size_t)> &sink) {
        Call call;
        call.key = key_;
        call.headers = {{"Range", net::byte_range(next_, end_ - next_)}};
        if (!etag_.empty()) call.headers.emplace_back("If-Match", etag_);
        call.stream = &sink;
        HttpResponse response = client_.send(call);
        std::string what = client_.describe("GET", key_);
        if (response.status == 412 || response.status == 404)
            fail(KVPS_PRECONDITION_FAILED,
                 "s3: " + what +
                     ": the value changed or was deleted while it was being read; "
                     "open a new reader");
        if (response.status == 200) {  // the server ignored the range: cut it from the whole
            Span64 span = clamp_range(response.body.size(), next_, end_ - next_);
            push(response.body.data() + span.start, static_cast<size_t>(span.count));
            return;
        }
        if (response.status != 206) client_.fail_answer(response, what);
    }

    bool closed() {
        std::lock_guard lock(mutex_);
        return closed_;
    }

    Client &client_;
    std::string key_;
    std::string etag_;
    uint64_t value_size_;
    uint64_t next_ = 0, end_ = 0;  // next_: the first byte not yet received (worker only)

    std::mutex mutex_;
    std::condition_variable data_, space_;
    std::vector<char> ring_;
    size_t head_ = 0, used_ = 0;
    bool done_ = false, closed_ = false;
    std::exception_ptr error_;
    std::optional<uint32_t> checksum_;
    std::thread worker_;  // last: started after everything it uses
};

}  // namespace

std::unique_ptr<Reader> make_reader(Client &client, std::string full_key, uint64_t offset,
                                    uint64_t length) {
    std::string etag;
    std::optional<uint32_t> crc32c;
    std::optional<Metadata> meta = head_object(client, full_key, &etag, &crc32c);
    if (!meta) return nullptr;
    Span64 span = clamp_range(meta->size, offset, length);
    auto reader =
        std::make_unique<S3Reader>(client, std::move(full_key), std::move(etag), meta->size, span);
    reader->set_checksum(crc32c);
    return reader;
}

}  // namespace kvps::s3
