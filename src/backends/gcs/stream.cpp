// Streams in constant memory. A reader fetches chunk_size ranges one at a time, each pinned to
// the generation seen at open (ifGenerationMatch), so a value replaced mid-read is reported,
// never spliced from two versions. A writer buffers one chunk; a value that stays within
// upload_threshold goes as one upload at commit, a larger one as a resumable upload session, a
// chunk at a time, the last PUT (with the total size) making it visible.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include "gcs_backend.hpp"
#include "net/retry.hpp"
#include "spi/checksum.hpp"
#include "spi/error.hpp"
#include "spi/options.hpp"
#include "spi/text.hpp"

namespace kvps::gcs {
namespace {

class GcsReader final : public Reader {
public:
    GcsReader(Client &client, std::string key, const ObjectInfo &info, Span64 span)
        : client_(client),
          key_(std::move(key)),
          generation_(info.meta.etag),
          size_(info.meta.size),
          crc32c_(info.crc32c),
          next_(span.start),
          end_(span.start + span.count) {}

    size_t read(void *buffer, size_t capacity) override {
        if (used_ == chunk_.size()) {
            if (next_ >= end_) return 0;
            fetch();
        }
        size_t n = std::min(capacity, chunk_.size() - used_);
        std::memcpy(buffer, chunk_.data() + used_, n);
        used_ += n;
        return n;
    }

    bool seek(uint64_t offset, uint64_t end) override {
        next_ = std::min(offset, size_);
        end_ = std::max(next_, std::min(end, size_));
        chunk_ = Bytes();
        used_ = 0;
        return true;
    }

    uint64_t value_size() const override { return size_; }
    std::string etag() const override { return generation_; }
    std::optional<uint32_t> checksum() const override { return crc32c_; }

private:
    void fetch() {
        uint64_t count = std::min<uint64_t>(end_ - next_, client_.settings().chunk_size);
        std::string what = client_.describe("GET", key_);
        Call call;
        call.url = client_.object_url(key_) + "?alt=media&" + generation_query(generation_);
        call.headers = {"Range: " + net::byte_range(next_, count)};
        call.what = what;
        call.into = &chunk_;
        HttpResponse response = client_.send(call);
        if (response.status == 412 || response.status == 404)
            fail(KVPS_PRECONDITION_FAILED,
                 "gs: " + what +
                     ": the value changed or was deleted while it was being read; "
                     "open a new reader");
        if (!succeeded(response)) client_.fail_answer(response, what);
        if (response.status == 200) {  // the whole value: cut the range from it
            Span64 span = clamp_range(chunk_.size(), next_, count);
            chunk_.slice(static_cast<size_t>(span.start), static_cast<size_t>(span.count));
        }
        if (chunk_.empty()) fail(KVPS_NETWORK, "gs: " + what + ": the answer ended early");
        used_ = 0;
        next_ += chunk_.size();
    }

    Client &client_;
    std::string key_;
    std::string generation_;
    uint64_t size_;
    std::optional<uint32_t> crc32c_;
    uint64_t next_, end_;  // the next byte to fetch, the end of the range
    Bytes chunk_;
    size_t used_ = 0;
};

class GcsWriter final : public Writer {
public:
    GcsWriter(Client &client, std::string key, PutOptions options)
        : client_(client), key_(std::move(key)), options_(std::move(options)) {}

    ~GcsWriter() override {
        if (!done_) abort();
    }

    void write(const void *data, size_t size) override {
        if (done_)
            fail(KVPS_INVALID_ARGUMENT,
                 "gs: " + client_.describe("write", key_) + ": the writer is closed");
        const char *bytes = static_cast<const char *>(data);
        uint64_t chunk = client_.settings().chunk_size;
        while (size > 0) {
            if (buffer_.size() == chunk) send_chunk(false);
            size_t n = static_cast<size_t>(std::min<uint64_t>(size, chunk - buffer_.size()));
            buffer_.append(bytes, n);
            crc_ = crc32c(bytes, n, crc_);
            bytes += n;
            size -= n;
        }
    }

    void commit() override {
        if (done_)
            fail(KVPS_INVALID_ARGUMENT,
                 "gs: " + client_.describe("commit", key_) + ": the writer is closed");
        done_ = true;
        if (session_.empty() && buffer_.size() <= client_.settings().upload_threshold) {
            etag_ =
                upload_simple(client_, key_, user_key(), buffer_.data(), buffer_.size(), options_);
            return;
        }
        // GCS checks the session's ifGenerationMatch when the upload completes; fake-gcs-server
        // ignores conditions on resumable uploads, so they are also checked here, just before.
        if (options_.conditional()) {
            std::optional<ObjectInfo> current = get_object_info(client_, key_);
            try {
                check_condition(user_key(), options_, current ? &current->meta.etag : nullptr);
            } catch (...) {
                abort();
                throw;
            }
        }
        send_chunk(true);
    }

    void abort() noexcept override {
        done_ = true;
        if (session_.empty()) return;
        try {  // cancels the session: nothing of it becomes visible
            Call call;
            call.method = "DELETE";
            call.url = session_;
            std::string what = client_.describe("cancel upload of", key_);
            call.what = what;
            client_.send(call);
        } catch (...) {
        }
        session_.clear();
    }

    std::string etag() const override { return etag_; }

private:
    std::string user_key() const { return key_; }

    void start_session() {
        std::string what = client_.describe("PUT", key_);
        std::string body = resource_json(key_, options_.properties());
        Call call;
        call.method = "POST";
        call.url = client_.upload_url() + "?uploadType=resumable&" + query({{"name", key_}});
        std::string condition = condition_query(options_);
        if (!condition.empty()) call.url += "&" + condition;
        call.headers = {"Content-Type: application/json; charset=UTF-8"};
        call.has_body = true;
        call.body = body.data();
        call.body_size = body.size();
        call.what = what;
        HttpResponse response = client_.send(call);
        if (!succeeded(response)) fail_write(client_, response, user_key(), options_, what);
        session_ = std::string(response.header("location"));
        if (session_.empty())
            fail(KVPS_REMOTE, "gs: " + what + ": the server started no upload session");
    }

    // PUTs the buffered bytes to the session; last: with the total size, which ends the upload.
    void send_chunk(bool last) {
        if (session_.empty()) start_session();
        std::string what = client_.describe("PUT", key_);
        uint64_t first = uploaded_, total = uploaded_ + buffer_.size();
        Call call;
        call.method = "PUT";
        call.url = session_;
        call.has_body = true;
        call.body = buffer_.data();
        call.body_size = buffer_.size();
        call.what = what;
        std::string range =
            buffer_.empty() ? "*" : std::to_string(first) + "-" + std::to_string(total - 1);
        call.headers = {"Content-Range: bytes " + range + "/" +
                        (last ? std::to_string(total) : "*")};
        if (last) call.headers.push_back("X-Goog-Hash: crc32c=" + crc32c_base64(crc_));
        // fake-gcs-server takes the content type from the chunks (GCS from the session).
        std::string type = options_.properties().content_type;
        call.headers.push_back("Content-Type: " +
                               (type.empty() ? std::string(kDefaultContentType) : type));
        // The final chunk is never sent twice: once the server has it, the session is finished or
        // finishing, and a replay finds no session (fake-gcs-server answers 404). When its answer
        // is lost (a big upload can take the server longer than request_timeout to finish), the
        // outcome is read from the object instead.
        call.repeatable = !last;
        HttpResponse response;
        try {
            response = client_.send(call);
        } catch (const Error &e) {
            if (last && e.status() == KVPS_OUTCOME_UNKNOWN) {
                if (std::optional<std::string> generation = finished_upload(total)) {
                    etag_ = *generation;
                    session_.clear();
                    return;
                }
            }
            abort();
            throw;
        } catch (...) {
            abort();
            throw;
        }
        if (!last && response.status == 308) {
            // The server says how much it kept ("Range: bytes=0-N"; none: nothing); what it did not
            // keep stays in the buffer and goes again with the next chunk.
            std::string_view kept = response.header("range");
            uint64_t persisted = 0;
            if (size_t dash = kept.rfind('-'); dash != std::string_view::npos)
                persisted = parse_integer(kept.substr(dash + 1)).value_or(-1) + 1;
            if (persisted <= first || persisted > total) {  // nothing of this chunk kept: give up
                abort();
                fail(KVPS_REMOTE, "gs: " + what + ": the upload session kept " +
                                      std::to_string(persisted) + " bytes, outside the " +
                                      std::to_string(first) + ".." + std::to_string(total) +
                                      " just sent");
            }
            buffer_.slice(static_cast<size_t>(persisted - first),
                          static_cast<size_t>(total - persisted));
            uploaded_ = persisted;
            return;
        }
        if (last && succeeded(response)) {
            etag_ = uploaded_generation(response, "the upload's answer", user_key(), crc_);
            session_.clear();
            return;
        }
        abort();
        if (response.status == 404)  // the session, not the object: expired, cancelled or finished
            fail(KVPS_REMOTE,
                 "gs: " + what +
                     ": the upload session is gone (HTTP 404: expired, cancelled or "
                     "already finished)" +
                     (response.request_id.empty() ? std::string()
                                                  : " (request id " + response.request_id + ")"));
        fail_write(client_, response, user_key(), options_, what);
    }

    // After the final chunk's answer was lost: the generation of the object once it holds the
    // value sent (its size and CRC32C), looked up until request_timeout has passed again; nullopt
    // when it does not show up. (An identical value that was there before counts as written: the
    // store then holds what was asked either way.)
    std::optional<std::string> finished_upload(uint64_t total) {
        auto deadline = std::chrono::steady_clock::now() + client_.settings().http.stall_timeout;
        for (unsigned attempt = 1;; ++attempt) {
            try {
                std::optional<ObjectInfo> info = get_object_info(client_, key_);
                if (info && info->meta.size == total && info->crc32c == crc_)
                    return info->meta.etag;
            } catch (const Error &) {
            }
            if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
            net::back_off(attempt, 500.0, 5000.0);
        }
    }

    Client &client_;
    std::string key_;
    PutOptions options_;
    Bytes buffer_;
    uint32_t crc_ = 0;
    std::string session_;  // the resumable upload's URL; "" before the first chunk
    uint64_t uploaded_ = 0;
    std::string etag_;
    bool done_ = false;
};

}  // namespace

std::unique_ptr<Reader> make_reader(Client &client, std::string full_key, const ObjectInfo &info,
                                    uint64_t offset, uint64_t length) {
    return std::make_unique<GcsReader>(client, std::move(full_key), info,
                                       clamp_range(info.meta.size, offset, length));
}

std::unique_ptr<Writer> make_writer(Client &client, std::string full_key, PutOptions options) {
    return std::make_unique<GcsWriter>(client, std::move(full_key), std::move(options));
}

}  // namespace kvps::gcs
