// The S3 request layer: addressing, SigV4 signing, retries with backoff, and turning S3 error
// answers into kvps statuses. Thread-safe: one Client serves every thread of a store.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "credentials.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"

namespace kvps::s3 {

struct Settings {
    std::string bucket;
    std::string prefix;    // "" or ending in '/': the store's prefix (see Backend::store_prefix)
    std::string endpoint;  // "scheme://host[:port]", no trailing slash
    std::string region;
    bool path_style = true;
    std::shared_ptr<CredentialProvider> credentials;  // never null
    uint64_t part_size = 8 << 20;
    unsigned concurrency = 4;
    unsigned max_attempts = 3;
    unsigned max_connections = 64;  // of the asynchronous operations' I/O thread
    bool unsigned_payload = false;
    HttpSettings http;
    uint64_t copy_threshold = uint64_t{5} << 30;  // larger copies use UploadPartCopy
};

using net::Retry;  // which failures a step may be repeated after

struct Call {
    const char *method = "GET";
    std::string_view key;  // the full object key (prefix included); "" = the bucket
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers;  // extra headers, all signed
    const void *body = nullptr;                                // replayed on a retry
    size_t body_size = 0;
    bool has_body = false;
    Retry retry = Retry::Always;
    bool error_in_200 =
        false;              // a 200 whose body is <Error> is a failure (CompleteMultipartUpload)
    Bytes *into = nullptr;  // see HttpRequest::into
    // See HttpRequest::stream. Once a byte went to it, a lost connection is not retried here
    // (the caller resumes where the bytes stopped).
    const std::function<bool(const char *, size_t)> *stream = nullptr;
    // See HttpRequest::to_buffer: a 2xx body straight into the caller's memory.
    bool to_buffer = false;
    char *buffer = nullptr;
    size_t buffer_capacity = 0;
    // Set to true when any attempt went unanswered (the server may have acted on it).
    bool *lost_answer = nullptr;
    // See HttpRequest::cancel: a request that work outliving one operation sends (a multipart
    // upload's parts) stops when this turns true.
    const std::atomic<bool> *cancel = nullptr;
};

class Client {
public:
    explicit Client(Settings settings);

    const Settings &settings() const { return settings_; }
    // The object key (the core put the store's prefix before it). S3 keys are at most 1024
    // bytes, so a longer key is KVPS_INVALID_KEY here, for every operation alike.
    std::string full_key(std::string_view key) const;

    // Sends a call, retrying as its Retry allows, and returns the last answer, whatever its
    // status. Throws KVPS_NETWORK / KVPS_TIMEOUT when no answer came back.
    HttpResponse send(const Call &call);

    // The steps of send, which the asynchronous path (async.cpp) also drives, on an I/O thread:
    // begin once, then per attempt sign_next, the exchange, and judge.
    struct Sending {
        std::string host, path, query, payload_hash;
        HttpRequest request;
        unsigned attempt = 0;
        bool renewed = false;  // credentials the server called expired are renewed once per call
        uint64_t streamed = 0;
        std::shared_ptr<const Credentials> used;
        std::chrono::steady_clock::time_point started;
    };
    void begin(const Call &call, Sending &s) const;
    // Signs the next attempt with creds (nullptr: the provider's get(), which may block while
    // the credentials are refreshed; an I/O thread passes the ones get_or_wait gave).
    void sign_next(const Call &call, Sending &s,
                   std::shared_ptr<const Credentials> creds = nullptr) const;
    enum class Next { Answer, Retry, Renew };
    // After an attempt: Answer (response is the call's answer), Retry after pause, or Renew:
    // the server refused the credentials as expired, so renew them (CredentialProvider::renew
    // or renew_or_wait) and retry at once. Throws KVPS_NETWORK / KVPS_TIMEOUT when no answer
    // came back and no attempt is left.
    Next judge(const Call &call, Sending &s, bool answered, HttpResponse &response,
               const TransportError &transport, std::chrono::microseconds &pause) const;

    // Throws the status and message an error answer stands for. `what` names the operation,
    // e.g. "GET 'photos/1.jpg'".
    [[noreturn]] void fail_answer(const HttpResponse &response, std::string_view what) const;

    // "GET 'key'" for messages.
    std::string describe(std::string_view method, std::string_view full_key) const;

    // The request path of a call (URI-encoded) and, in host, the host to send it to.
    std::string url_for(const Call &call, std::string &host) const;
    // "http" or "https".
    const std::string &scheme() const { return scheme_; }

    // Whether the server keeps a whole-value CRC32C for multipart uploads (S3's FULL_OBJECT
    // checksum type): learnt from the first multipart upload (see MultipartUpload).
    enum class Support { Unknown, Yes, No };
    std::atomic<Support> full_object_crc32c{Support::Unknown};

private:
    std::string scrub(std::string text) const;

    Settings settings_;
    std::string host_;  // the endpoint's host[:port]
    std::string scheme_;
    HttpClient http_;
};

// True when an answer's status is a success (2xx).
inline bool succeeded(const HttpResponse &response) { return response.status / 100 == 2; }

}  // namespace kvps::s3
