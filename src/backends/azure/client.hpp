// The Blob service request layer: addressing, Shared Key or SAS authorization, retries with
// backoff, and turning error answers into kvps statuses (errors.cpp). Thread-safe: one Client
// serves every thread of a store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kvps.h"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "shared_key.hpp"

namespace kvps::azure {

using net::HttpResponse;
using net::HttpSettings;

struct Settings {
    std::string account;
    std::string container;
    std::string prefix;  // "" or ending in '/': Backend::store_prefix
    std::string
        endpoint;     // the blob service's root, "scheme://host[:port][/path]", no trailing '/'
    std::string key;  // the decoded account key (secret); "" = none
    std::string key_text;  // the key as given, base64 (secret): scrubbed from messages
    std::string sas;       // a SAS token without its '?' (secret); "" = none
    uint64_t block_size = 8 << 20;
    unsigned concurrency = 4;
    unsigned max_attempts = 3;
    HttpSettings http;
};

using net::Retry;  // which failures a request may be repeated after

struct Call {
    const char *method = "GET";
    std::string_view blob;  // the full blob name (prefix included); "" = the container
    Pairs query;
    Pairs headers;               // extra headers, all signed
    const void *body = nullptr;  // replayed on a retry
    size_t body_size = 0;
    bool has_body = false;
    Retry retry = Retry::Always;
    // See HttpRequest::to_buffer: a 2xx body straight into the caller's memory.
    bool to_buffer = false;
    char *buffer = nullptr;
    size_t buffer_capacity = 0;
    bool *lost_answer = nullptr;  // set when an attempt went unanswered (the server may have acted)
};

// What an error answer stands for: one table (errors.cpp) from x-ms-error-code and status.
using net::ErrorClass;
ErrorClass classify(long http_status, std::string_view code);

class Client {
public:
    explicit Client(Settings settings);

    const Settings &settings() const { return settings_; }
    // The blob name (the core put the store's prefix before the key); at most 1024 bytes, else
    // KVPS_INVALID_KEY.
    std::string full_key(std::string_view key) const;
    // The key of a blob name for messages (the core shows the caller's key).
    std::string user_key(std::string_view full_key) const;
    // A blob's URL, without authorization (SAS) parameters.
    std::string blob_url(std::string_view full_key) const;
    // The same URL with the store's SAS token, when it has one (a copy's source).
    std::string readable_url(std::string_view full_key) const;

    // Sends a call, retrying as its Retry allows, and returns the last answer, whatever its
    // status. Throws KVPS_NETWORK / KVPS_TIMEOUT when no answer came back.
    HttpResponse send(const Call &call);

    // Throws the status and message an error answer stands for (request id included). `what`
    // names the operation, e.g. "GET 'photos/1.jpg'".
    [[noreturn]] void fail_answer(const HttpResponse &response, std::string_view what) const;
    // The service's error code of an answer: x-ms-error-code, else the body's <Code>.
    static std::string error_code(const HttpResponse &response);

    // A Blob Batch sub-request, authorized as a call is (a Shared Key signature over its
    // headers, or the SAS token on its target): the request line's target and the headers.
    struct SubRequest {
        std::string target;
        Pairs headers;
    };
    SubRequest sub_request(const char *method, std::string_view full_key, Pairs headers) const;

    // "GET 'key'" for messages.
    std::string describe(std::string_view method, std::string_view full_key) const;
    // Removes the key and SAS token from a text (defence in depth: they are never put in one).
    std::string scrub(std::string text) const;

private:
    std::string path_of(std::string_view full_key) const;

    Settings settings_;
    std::string origin_;     // "scheme://host[:port]"
    std::string base_path_;  // the endpoint's path ("" or "/account" for path-style emulators)
    net::HttpClient http_;
};

// True when an answer's status is a success (2xx).
inline bool succeeded(const HttpResponse &response) { return response.status / 100 == 2; }

// A 404 that means "no such blob" (not "no such container", which is an error).
bool missing_blob(const HttpResponse &response);

}  // namespace kvps::azure
