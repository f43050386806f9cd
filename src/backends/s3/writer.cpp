// Streaming writes in constant memory: part_size buffers go up as multipart parts, at most
// `concurrency` in flight; a value that fits in one buffer is a single PutObject on commit.
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
        if (failed_)
            fail(KVPS_INVALID_ARGUMENT,
                 "s3: the writer for " + quote(key_) + " failed earlier: abort it");
        try {
            buffer_.write(data, size, [&](Bytes &part) { flush(part); });
        } catch (...) {
            failed_ = true;
            throw;
        }
    }

    void commit() override {
        if (failed_)
            fail(KVPS_INVALID_ARGUMENT,
                 "s3: the writer for " + quote(key_) + " failed earlier: abort it");
        failed_ = true;  // whatever happens now, the writer is done
        Bytes &rest = buffer_.pending();
        if (!upload_) {
            if (options_)
                etag_ = put_object_with(client_, key_, rest.data(), rest.size(), *options_);
            else
                put_object(client_, key_, rest.data(), rest.size(),
                           checksum_headers(crc32c(rest.data(), rest.size())));
            return;
        }
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
    }

private:
    void flush(Bytes &part) {
        if (!upload_ && options_) {
            if (options_->conditional()) probe_->require(client_, true);
            Headers create = property_headers(options_->properties());
            add_write_id(create, *options_);
            upload_.emplace(client_, key_, std::move(create));
            upload_->set_complete_headers(condition_headers(*options_));
        }
        if (!upload_) upload_.emplace(client_, key_);
        upload_->add_part(std::move(part));
    }

    Client &client_;
    std::string key_;
    PartBuffer buffer_;
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
