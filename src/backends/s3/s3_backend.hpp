// The s3:// backend: kvps operations as S3 requests through one Client.
#pragma once

#include <memory>

#include "spi/backend.hpp"
#include "client.hpp"
#include "conditional.hpp"
#include "net/multi.hpp"

namespace kvps::s3 {

class S3Backend final : public Backend {
public:
    explicit S3Backend(Settings settings)
        : client_(std::move(settings)),
          multi_(client_.settings().http, client_.settings().max_connections) {}
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
    void put_many(std::span<PutItem> items) override;
    void get_many(std::span<GetItem> items) override;
    void delete_many(std::span<DeleteItem> items) override;

    // ---- listing by level, reads into the caller's memory, checksums, presigned URLs (reads.cpp)
    ListResult list_with(const ListQuery &query) override;
    std::optional<Bytes> get_checked(std::string_view key,
                                     std::optional<uint32_t> &crc32c) override;
    std::optional<uint64_t> get_into(std::string_view key, uint64_t offset, void *buffer,
                                     size_t capacity, std::optional<uint32_t> &crc32c) override;
    std::string presign(std::string_view key, std::string_view method,
                        uint64_t expires_seconds) override;
    // ---- conditional writes, properties, copy and rename (conditional.cpp)
    std::string put_with(std::string_view key, const void *data, size_t size,
                         const PutOptions &options) override;
    std::unique_ptr<Writer> open_writer_with(std::string_view key,
                                             const PutOptions &options) override;
    std::optional<Bytes> get_with(std::string_view key, Metadata &meta) override;
    std::string copy(std::string_view from, std::string_view to,
                     const PutOptions &options) override;
    std::string rename(std::string_view from, std::string_view to,
                       const PutOptions &options) override;
    // ---- asynchronous GET, ranged GET, HEAD, DELETE on multi_'s I/O thread (async.cpp)
    std::shared_ptr<AsyncOperation> start(const AsyncRequest &request, AsyncDone done) override;

private:
    Client client_;
    ConditionProbe probe_;
    net::MultiClient multi_;  // last: its I/O thread stops before the rest goes
};

// A single PutObject of a whole value held by the caller, with extra headers (signed). An
// answer lost on the way is settled as settle_lost_answer says.
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

// After a write whose answer was lost (failure: what the write would report), one HEAD tells
// what happened: returns when the value in place has the ETag the write would have made
// (expected_etag: lowercase hex MD5, or the multipart "hex-N"); throws `failure` (message
// extended) when another value is in place or none; throws KVPS_OUTCOME_UNKNOWN when it cannot
// be told (the check failed too, or the server's ETags are not MD5s).
void settle_lost_answer(Client &client, const std::string &full_key,
                        const std::string &expected_etag, const Error &failure,
                        const HeadAnswer &head = nullptr);

// Lowercase hex MD5 of data; with raw, the 16 bytes themselves.
std::string md5_hex(const void *data, size_t size);
std::string md5_raw(const void *data, size_t size);

// HeadObject: nullopt for a missing key. raw_etag receives the ETag as sent (quotes kept).
std::optional<Metadata> head_object(Client &client, const std::string &full_key,
                                    std::string *raw_etag = nullptr,
                                    std::optional<uint32_t> *crc32c = nullptr);

// ---- the requests of single-value operations and what their answers mean, shared by the
// blocking calls and the asynchronous ones (async.cpp). Each *_answer throws as the blocking
// call does; a Call keeps a view of full_key.
Call head_call(const std::string &full_key, bool checksum);
std::optional<Metadata> head_answer(const Client &client, const std::string &full_key,
                                    const HttpResponse &response, std::string *raw_etag = nullptr,
                                    std::optional<uint32_t> *crc32c = nullptr);
// A GET of the whole value with its stored CRC32C (get_checked).
Call checked_get_call(const std::string &full_key);
std::optional<Bytes> checked_get_answer(const Client &client, const std::string &full_key,
                                        HttpResponse &response, std::optional<uint32_t> &crc);
// A ranged GET (length >= 1; KVPS_TO_END allowed).
Call range_call(const std::string &full_key, uint64_t offset, uint64_t length);
std::optional<Bytes> range_answer(const Client &client, const std::string &full_key,
                                  HttpResponse &response, uint64_t offset, uint64_t length);
Call delete_call(const std::string &full_key);
// A PUT of size bytes at data (kept by the caller until the exchange ends); headers are the
// caller's.
Call put_call(const std::string &full_key, const void *data, size_t size);
void delete_answer(const Client &client, const std::string &full_key, const HttpResponse &response);

std::unique_ptr<Reader> make_reader(Client &client, std::string full_key, uint64_t offset,
                                    uint64_t length);
std::unique_ptr<Writer> make_writer(Client &client, std::string full_key);
// A writer whose PutObject or CreateMultipartUpload carries options' properties and whose
// PutObject or CompleteMultipartUpload carries its condition (probed with probe first).
std::unique_ptr<Writer> make_writer(Client &client, std::string full_key, PutOptions options,
                                    ConditionProbe &probe);
// PutObject with options' properties and condition; returns the new ETag (quotes kept).
std::string put_object_with(Client &client, const std::string &full_key, const void *data,
                            size_t size, const PutOptions &options);

// put_object_with's steps, which the asynchronous put (async.cpp) drives too: send call(); a
// final answer means answered(); a failure thrown on the way (by sending or by answered) is
// settled by a HEAD when needs_settling() says an attempt went unanswered, through settled().
// The caller's data must outlive it.
class SinglePut {
public:
    SinglePut(std::string full_key, const void *data, size_t size, PutOptions options);
    SinglePut(const SinglePut &) = delete;
    SinglePut &operator=(const SinglePut &) = delete;

    const Call &call() const { return call_; }
    const std::string &full_key() const { return full_; }
    // The new ETag, for the call's final answer; throws as put_with does (a refused condition
    // as KVPS_PRECONDITION_FAILED naming it).
    std::string answered(const Client &client, const HttpResponse &response) const;
    // Whether failure must be settled by a HEAD (an attempt's answer was lost) rather than
    // reported as it is.
    bool needs_settling(const Error &failure) const;
    // After failure: the new ETag when the HEAD finds the value sent in place; else throws
    // (failure itself, or KVPS_OUTCOME_UNKNOWN) as settle_lost_answer / settle_conditional do.
    std::string settled(Client &client, const Error &failure,
                        const HeadAnswer &head = nullptr) const;

private:
    std::string full_;
    const void *data_;
    size_t size_;
    PutOptions options_;
    Call call_;  // its key views full_, its lost_answer points at lost_
    std::string write_id_;
    bool lost_ = false;
};

}  // namespace kvps::s3
