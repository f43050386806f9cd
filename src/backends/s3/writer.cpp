// Streaming writes in constant memory: part_size buffers go up as multipart parts, at most
// `concurrency` in flight; a value that fits in one buffer is a single PutObject on commit. A
// shared block (kvps_writer_write_blob) of exactly one part, with no bytes pending before it,
// goes up as a part itself: no copy, and no buffer of the writer's.
#include <cstring>
#include <optional>

#include "spi/error.hpp"
#include "spi/checksum.hpp"
#include "spi/part_buffer.hpp"
#include "multipart.hpp"
#include "s3_backend.hpp"

namespace kvps::s3 {
namespace {

class S3Writer final : public Writer {
public:
    S3Writer(Client &client, std::string key)
        : client_(client), key_(std::move(key)), buffer_(client.settings().part_size) {}
    S3Writer(Client &client, std::string key, PutOptions options, ConditionProbe &probe)
        : client_(client),
          key_(std::move(key)),
          buffer_(client.settings().part_size),
          options_(std::move(options)),
          probe_(&probe) {}
    std::string etag() const override { return etag_; }

    void write(const void *data, size_t size) override {
        check_usable();
        try {
            if (size) send_held();
            buffer_.write(data, size, [&](Bytes &part) { upload().add_part(std::move(part)); });
        } catch (...) {
            failed_ = true;
            throw;
        }
    }

    void write_shared(const SharedBytes &part) override {
        if (part.size != client_.settings().part_size || !buffer_.pending().empty())
            return write(part.data(), part.size);
        check_usable();
        try {
            send_held();  // more bytes follow the part held: it goes up now
            held_ = part;
        } catch (...) {
            failed_ = true;
            throw;
        }
    }

    void commit() override {
        check_usable();
        failed_ = true;  // whatever happens now, the writer is done
        Bytes &rest = buffer_.pending();
        if (!upload_) {  // the whole value is one part: held, or in the buffer
            const char *data = held_ ? held_->data() : rest.data();
            size_t size = held_ ? held_->size : rest.size();
            if (options_)
                etag_ = put_object_with(client_, key_, data, size, *options_);
            else
                put_object(client_, key_, data, size, checksum_headers(crc32c(data, size)));
            return;
        }
        send_held();
        if (rest.size() > 0) upload_->add_part(std::move(rest));
        try {
            upload_->complete();  // aborts the upload on failure: no parts are left
        } catch (const Error &e) {
            if (options_) rethrow_as_condition(key_, *options_, e);
            throw;
        }
        etag_ = plain_etag(upload_->etag());
    }

    void abort() noexcept override {
        failed_ = true;
        if (upload_) upload_->abort();
        buffer_.clear();
        held_.reset();
    }

private:
    void check_usable() const {
        if (failed_)
            fail(KVPS_INVALID_ARGUMENT,
                 "s3: the writer for " + quote(key_) + " failed earlier: abort it");
    }

    // Sends the shared part held back (if any): bytes follow it, so it is not the whole value.
    void send_held() {
        if (!held_) return;
        SharedBytes part = std::move(*held_);
        held_.reset();
        upload().add_part(std::move(part));
    }

    // The multipart upload, started by the first part.
    MultipartUpload &upload() {
        if (!upload_ && options_) {
            if (options_->conditional()) probe_->require(client_, true);
            Headers create = property_headers(options_->properties());
            add_write_id(create, *options_);
            upload_.emplace(client_, key_, std::move(create));
            upload_->set_complete_headers(condition_headers(*options_));
        }
        if (!upload_) upload_.emplace(client_, key_);
        return *upload_;
    }

    Client &client_;
    std::string key_;
    PartBuffer buffer_;
    std::optional<SharedBytes> held_;  // a shared full part, sent once more bytes follow
    std::optional<MultipartUpload> upload_;
    bool failed_ = false;
    std::optional<PutOptions> options_;  // kvps_writer_open_with's
    ConditionProbe *probe_ = nullptr;
    std::string etag_;
};

}  // namespace

std::unique_ptr<Writer> make_writer(Client &client, std::string full_key) {
    return std::make_unique<S3Writer>(client, std::move(full_key));
}

std::unique_ptr<Writer> make_writer(Client &client, std::string full_key, PutOptions options,
                                    ConditionProbe &probe) {
    return std::make_unique<S3Writer>(client, std::move(full_key), std::move(options), probe);
}

}  // namespace kvps::s3
