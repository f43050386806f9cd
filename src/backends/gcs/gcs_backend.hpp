// The gs:// backend: kvps operations as requests of GCS's JSON API through one Client. The kvps
// etag of a value is its GCS generation, so conditions map to ifGenerationMatch.
#pragma once

#include <memory>

#include "client.hpp"
#include "spi/backend.hpp"

namespace kvps::gcs {

class GcsBackend final : public Backend {
public:
    explicit GcsBackend(Settings settings) : client_(std::move(settings)) {}
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
    std::optional<Bytes> get_checked(std::string_view key,
                                     std::optional<uint32_t> &crc32c) override;
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

// An object resource as the JSON API describes it.
struct ObjectInfo {
    Metadata meta;  // etag = generation
    std::optional<uint32_t> crc32c;
};
ObjectInfo object_info(const net::JsonValue &resource);
// GET of the object resource; nullopt for a missing key.
std::optional<ObjectInfo> get_object_info(Client &client, const std::string &full_key);

// Pins a read to one generation: generation=G (fake-gcs-server honours this one) and
// ifGenerationMatch=G (GCS: 412 once the live object is another generation).
std::string generation_query(const std::string &generation);
// The query parameters a write's condition needs ("" = none).
std::string condition_query(const PutOptions &options);
// The JSON object resource of a new value: name, content type, user metadata.
std::string resource_json(const std::string &full_key, const Properties &properties);
// Throws KVPS_PRECONDITION_FAILED for a 412, else what the error answer stands for.
[[noreturn]] void fail_write(Client &client, const HttpResponse &response, std::string_view key,
                             const PutOptions &options, std::string_view what);
// The generation of the object a successful upload answered with.
std::string uploaded_generation(const HttpResponse &response, std::string_view what);

// One upload request (media, or multipart with properties) of a value held in memory; key is the
// user's key (for messages). Returns the new generation.
std::string upload_simple(Client &client, const std::string &full_key, std::string_view key,
                          const void *data, size_t size, const PutOptions &options);

std::unique_ptr<Reader> make_reader(Client &client, std::string full_key, const ObjectInfo &info,
                                    uint64_t offset, uint64_t length);
std::unique_ptr<Writer> make_writer(Client &client, std::string full_key, PutOptions options);

}  // namespace kvps::gcs
