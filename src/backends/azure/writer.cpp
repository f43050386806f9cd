// Streaming writes in constant memory: block_size buffers go up as blocks, at most
// `concurrency` in flight; a value that fits in one buffer is a single Put Blob on commit. The
// options' properties and condition go with the commit (Put Blob or Put Block List).
#include <optional>

#include "azure_backend.hpp"
#include "blocks.hpp"
#include "properties.hpp"
#include "spi/checksum.hpp"
#include "net/crypto.hpp"
#include "spi/error.hpp"
#include "spi/part_buffer.hpp"
#include "spi/text.hpp"

namespace kvps::azure {
namespace {

class AzureWriter final : public Writer {
public:
    AzureWriter(Client &client, std::string key, std::optional<PutOptions> options)
        : client_(client),
          key_(std::move(key)),
          options_(std::move(options)),
          buffer_(client.settings().block_size) {}

    std::string etag() const override { return etag_; }

    void write(const void *data, size_t size) override {
        check_usable();
        try {
            md5_.update(data, size);
            crc_ = crc32c(data, size, crc_);
            buffer_.write(data, size, [&](Bytes &block) { flush(block); });
        } catch (...) {
            failed_ = true;
            throw;
        }
    }

    void commit() override {
        check_usable();
        failed_ = true;  // whatever happens now, the writer is done
        const PutOptions *options = options_ ? &*options_ : nullptr;
        Bytes &rest = buffer_.pending();
        if (!upload_) {
            etag_ = put_blob(client_, key_, rest.data(), rest.size(), options);
            return;
        }
        if (rest.size() > 0) upload_->add(std::move(rest));
        Pairs headers = write_headers(options, true);
        std::string md5 = base64_encode(md5_.finish());
        headers.emplace_back("x-ms-blob-content-md5", md5);
        Pairs checksum = checksum_header(crc_);
        headers.insert(headers.end(), checksum.begin(), checksum.end());
        Retry retry = options && options->conditional() ? Retry::ServerAnswers : Retry::Always;
        etag_ = finish_write(
            client_, key_, options,
            [&](bool *lost) { return upload_->commit(headers, retry, lost); }, md5);
    }

    void abort() noexcept override {
        failed_ = true;
        if (upload_) upload_->abort();  // the staged blocks are never committed
        buffer_.clear();
    }

private:
    void check_usable() const {
        if (failed_)
            fail(KVPS_INVALID_ARGUMENT, "az: the writer for " + quote(client_.user_key(key_)) +
                                            " failed or was committed earlier: abort it");
    }
    void flush(Bytes &block) {
        if (!upload_) upload_.emplace(client_, key_);
        upload_->add(std::move(block));
        block = upload_->take_spare();
    }

    Client &client_;
    std::string key_;
    std::optional<PutOptions> options_;
    net::Digest md5_{net::Algorithm::md5};  // the blob's Content-MD5, as the bytes go by
    uint32_t crc_ = 0;                      // CRC32C of everything written
    PartBuffer buffer_;
    std::optional<BlockUpload> upload_;
    bool failed_ = false;
    std::string etag_;
};

}  // namespace

std::unique_ptr<Writer> make_writer(Client &client, std::string full_key,
                                    std::optional<PutOptions> options) {
    return std::make_unique<AzureWriter>(client, std::move(full_key), std::move(options));
}

}  // namespace kvps::azure
