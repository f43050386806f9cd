// The az:// backend: kvps operations as Blob service requests (block blobs) through one Client.
#pragma once

#include <memory>

#include "client.hpp"
#include "spi/backend.hpp"

namespace kvps::azure {

class AzureBackend final : public Backend {
public:
    explicit AzureBackend(Settings settings) : client_(std::move(settings)) {}
    std::string store_prefix() const override { return client_.settings().prefix; }

    void put(std::string_view key, const void *data, size_t size) override;
    std::optional<Bytes> get(std::string_view key) override;
    std::optional<Metadata> stat(std::string_view key) override;
    void remove(std::string_view key) override;
    ListResult list(std::string_view prefix, std::string_view token, size_t limit) override;
    std::optional<Bytes> get_range(std::string_view key, uint64_t offset, uint64_t length) override;
    std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset,
                                        uint64_t length) override;
    std::unique_ptr<Writer> open_writer(std::string_view key) override;
    std::optional<uint64_t> get_into(std::string_view key, uint64_t offset, void *buffer,
                                     size_t capacity, std::optional<uint32_t> &crc32c) override;

    // ---- conditional writes, properties, copy
    std::string put_with(std::string_view key, const void *data, size_t size,
                         const PutOptions &options) override;
    std::unique_ptr<Writer> open_writer_with(std::string_view key,
                                             const PutOptions &options) override;
    std::optional<Bytes> get_with(std::string_view key, Metadata &meta) override;
    std::string copy(std::string_view from, std::string_view to,
                     const PutOptions &options) override;

private:
    Client client_;
};

// ---- shared by the backend, the reader and the writer
// Get Blob Properties: nullopt for a missing blob. raw_etag receives the ETag as sent.
std::optional<Metadata> head_blob(Client &client, const std::string &full_key,
                                  std::string *raw_etag = nullptr);
// Put Blob of a whole value with options' properties and condition (nullptr: none); returns
// the new ETag (plain).
std::string put_blob(Client &client, const std::string &full_key, const void *data, size_t size,
                     const PutOptions *options);
// The headers of a write's commit (Put Blob, or Put Block List with block_list).
Pairs write_headers(const PutOptions *options, bool block_list);
// Checks the answer of a write's commit (Put Blob or Put Block List): returns the new ETag, or
// throws (a failed condition as KVPS_PRECONDITION_FAILED naming the key and the condition; an
// answer lost on the way settled by comparing the stored Content-MD5 with md5).
std::string finish_write(Client &client, const std::string &full_key, const PutOptions *options,
                         const std::function<HttpResponse(bool *lost)> &send,
                         const std::string &md5);

std::unique_ptr<Reader> make_reader(Client &client, std::string full_key, uint64_t offset,
                                    uint64_t length);
std::unique_ptr<Writer> make_writer(Client &client, std::string full_key,
                                    std::optional<PutOptions> options);

}  // namespace kvps::azure
