// The gs:// request layer: URLs of the JSON API, the bearer token, retries with backoff, and one
// table turning error answers into kvps statuses. Thread-safe: one Client serves every thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth.hpp"
#include "net/http.hpp"
#include "net/retry.hpp"
#include "net/json.hpp"

namespace kvps::gcs {

using net::HttpResponse;

struct Settings {
    std::string bucket;
    std::string prefix;                        // "" or ending in '/': Backend::store_prefix
    std::string endpoint;                      // "scheme://host[:port]", no trailing slash
    std::shared_ptr<TokenSource> credentials;  // never null
    uint64_t upload_threshold = 8 << 20;       // larger values go as resumable uploads
    uint64_t chunk_size = 8 << 20;  // resumable upload chunk and reader fetch (256 KiB multiple)
    unsigned max_attempts = 3;
    net::HttpSettings http;
};

struct Call {
    const char *method = "GET";
    std::string url;                   // absolute
    std::vector<std::string> headers;  // "Name: value"
    const void *body = nullptr;        // replayed on a retry
    size_t body_size = 0;
    bool has_body = false;
    // False for a request that must not be sent twice (a create_only upload): an unanswered
    // attempt is then KVPS_OUTCOME_UNKNOWN instead of being repeated.
    bool repeatable = true;
    Bytes *into = nullptr;  // see HttpRequest::into
    std::string_view what;  // "GET 'key'", for messages
};

// An error answer's meaning: the status, and whether the same request may succeed later.
using net::ErrorClass;
// The one table: the JSON error's reason first, then the HTTP status.
ErrorClass classify(long http_status, std::string_view reason);

class Client {
public:
    explicit Client(Settings settings);

    const Settings &settings() const { return settings_; }
    // The object name (the core put the store's prefix before the key); KVPS_INVALID_KEY past
    // GCS's 1024 bytes.
    std::string full_key(std::string_view key) const;
    // "METHOD 'key'" for messages.
    std::string describe(std::string_view method, std::string_view full_key) const;

    // .../storage/v1/b/BUCKET/o[/NAME]
    std::string objects_url() const;
    std::string object_url(std::string_view full_key) const;
    // .../upload/storage/v1/b/BUCKET/o
    std::string upload_url() const;

    // Sends a call with the bearer token, retrying transport failures (when repeatable) and
    // retryable answers up to max_attempts; returns the last answer, whatever its status.
    // Throws KVPS_NETWORK / KVPS_TIMEOUT (or KVPS_OUTCOME_UNKNOWN) when no answer came back.
    HttpResponse send(const Call &call);

    // Throws the status and message an error answer stands for, with the request id.
    [[noreturn]] void fail_answer(const HttpResponse &response, std::string_view what) const;

private:
    Settings settings_;
    mutable net::HttpClient http_;
};

inline bool succeeded(const HttpResponse &response) { return response.status / 100 == 2; }
inline std::string_view body_text(const HttpResponse &response) {
    return {response.body.data() ? response.body.data() : "", response.body.size()};
}

// "a=1&b=2" with values percent-encoded.
std::string query(std::initializer_list<std::pair<std::string_view, std::string>> fields);

}  // namespace kvps::gcs
