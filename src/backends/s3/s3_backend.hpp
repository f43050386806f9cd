// The s3:// backend: kvps operations as S3 requests through one Client.
#pragma once

#include <memory>

#include "spi/backend.hpp"
#include "client.hpp"

namespace kvps::s3 {

class S3Backend final : public Backend {
public:
    explicit S3Backend(Settings settings) : client_(std::move(settings)) {}

    void put(std::string_view key, const void *data, size_t size) override;
    std::optional<Bytes> get(std::string_view key) override;
    std::optional<Metadata> stat(std::string_view key) override;
    void remove(std::string_view key) override;
    ListResult list(std::string_view prefix, std::string_view token, size_t limit) override;
    std::optional<Bytes> get_range(std::string_view key, uint64_t offset, uint64_t length) override;
    std::unique_ptr<Reader> open_reader(std::string_view key, uint64_t offset,
                                        uint64_t length) override;
    std::unique_ptr<Writer> open_writer(std::string_view key) override;
    void put_many(std::span<PutItem> items) override;
    void get_many(std::span<GetItem> items) override;
    void delete_many(std::span<DeleteItem> items) override;

    // ---- listing by level, reads into the caller's memory, checksums, presigned URLs (reads.cpp)
    ListResult list_with(const ListQuery &query) override;
    std::optional<Bytes> get_checked(std::string_view key, std::optional<uint32_t> &crc32c) override;
    std::optional<uint64_t> get_into(std::string_view key, uint64_t offset, void *buffer, size_t capacity,
                                     std::optional<uint32_t> &crc32c) override;
    std::string presign(std::string_view key, std::string_view method, uint64_t expires_seconds) override;

private:
    Client client_;
};

// A single PutObject of a whole value held by the caller, with extra headers (signed).
void put_object(Client &client, const std::string &full_key, const void *data, size_t size,
                const std::vector<std::pair<std::string, std::string>> &headers = {});

// ---- end-to-end checksums and presigned URLs (reads.cpp)
// The headers that store a value's CRC32C with it: x-amz-checksum-crc32c, which the server
// verifies on arrival and keeps, and the metadata x-amz-meta-kvps-crc32c for servers that do not
// keep checksums.
std::vector<std::pair<std::string, std::string>> checksum_headers(uint32_t crc32c);
// The CRC32C an answer carries for the whole object (nullopt when none: written by another tool,
// or in parts).
std::optional<uint32_t> answered_checksum(const HttpResponse &response);
// A SigV4 query-signed URL for method on full_key, valid expires_seconds from amz_date.
std::string presign_url(const Client &client, std::string_view method, const std::string &full_key,
                        uint64_t expires_seconds, std::string_view amz_date);

// HeadObject: nullopt for a missing key. raw_etag receives the ETag as sent (quotes kept).
std::optional<Metadata> head_object(Client &client, const std::string &full_key,
                                    std::string *raw_etag = nullptr,
                                    std::optional<uint32_t> *crc32c = nullptr);

std::unique_ptr<Reader> make_reader(Client &client, std::string full_key, uint64_t offset,
                                    uint64_t length);
std::unique_ptr<Writer> make_writer(Client &client, std::string full_key);

}  // namespace kvps::s3
