// One HTTP exchange over libcurl, on keep-alive handles pooled across calls and threads, shared by
// the backends that speak HTTP (s3, and the other cloud stores). No retries and no knowledge of
// any service here: each backend's client signs, retries and maps answers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spi/bytes.hpp"
#include "spi/options.hpp"

typedef void CURL;

namespace kvps::net {

struct HttpSettings {
    std::chrono::milliseconds connect_timeout{10000};
    // Longest a transfer may go without a byte moving either way (so large bodies are not cut
    // short); also bounds the wait for the answer once the request is sent.
    std::chrono::milliseconds stall_timeout{30000};
    bool verify_tls = true;
    std::string ca_file;  // "" = the system's
};

// The options every backend that speaks HTTP declares, written once: own's rows, then
// max_attempts (read by the backend's retry loop, net/retry.hpp), connect_timeout,
// request_timeout, ca_file and verify_tls.
std::vector<OptionSpec> with_http_options(std::vector<OptionSpec> own);
// The HttpSettings those options give.
HttpSettings http_settings(const Config &config);

struct HttpRequest {
    const char *method = "GET";
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    const void *body = nullptr;        // kept by the caller until the exchange ends
    size_t body_size = 0;
    bool has_body = false;  // PUT/POST send Content-Length even when 0
    Bytes *into = nullptr;  // where a 2xx body goes (cleared first); else response.body
    // When set, a 206 body is handed over piece by piece instead (returning false stops the
    // transfer); other answers still land in response.body.
    const std::function<bool(const char *, size_t)> *stream = nullptr;
    // When to_buffer is set, a 2xx body is written to buffer (capacity bytes) instead; a body
    // that would not fit is not read (HttpResponse::too_large), and the connection is dropped.
    bool to_buffer = false;
    char *buffer = nullptr;
    size_t buffer_capacity = 0;
    // When set, turning true stops the exchange as kvps::cancel_requested() does (a read at
    // once, a write only while part of its body is unsent): Transfer::finish then throws
    // KVPS_CANCELLED. For a driver on another thread (net/multi.hpp).
    const std::atomic<bool> *cancel = nullptr;
};

struct HttpResponse {
    long status = 0;
    Bytes body;  // error documents always land here
    std::optional<uint64_t> content_length;
    std::string etag, last_modified;
    // The service's request id: x-amz-request-id, x-ms-request-id or x-guploader-uploadid.
    std::string request_id;
    uint64_t buffered = 0;   // bytes written to HttpRequest::buffer
    bool too_large = false;  // the 2xx body did not fit HttpRequest::buffer
    std::string date;        // the server's clock (Date header)
    std::string content_type;
    // Every other header, its name lower-cased, in the order received.
    std::vector<std::pair<std::string, std::string>> headers;

    // The value of another header (name lower-case), "" when absent.
    std::string_view header(std::string_view name) const;
    // The headers whose names start with prefix (lower-case), with the prefix removed.
    std::vector<std::pair<std::string, std::string>> headers_with_prefix(
        std::string_view prefix) const;
};

// The outcome of a transfer that did not get an answer.
struct TransportError {
    bool timed_out = false;
    // False when the request provably never left (no connection, TLS refused): the server
    // cannot have acted on it.
    bool maybe_delivered = true;
    std::string message;     // libcurl's description
    bool cancelled = false;  // stopped by MultiClient::cancel (net/multi.hpp)
};

// libcurl's global setup, once per process (before any handle is made).
void global_init();

struct Exchange;

// One exchange set up on a libcurl handle, run by whoever drives the handle: HttpClient::perform
// with curl_easy_perform, MultiClient (net/multi.hpp) on an I/O thread. The request and response
// must outlive it. Both paths share every callback, header parser and verdict here.
class Transfer {
public:
    // Sets the handle up (throws KVPS_INVALID_ARGUMENT for a header holding a line break).
    Transfer(CURL *handle, const HttpSettings &options, const HttpRequest &request,
             HttpResponse &response);
    ~Transfer();
    Transfer(const Transfer &) = delete;
    Transfer &operator=(const Transfer &) = delete;

    // After libcurl finished with `code` (a CURLcode): whether an HTTP answer came back (false
    // fills error). Rethrows what a callback caught; throws KVPS_CANCELLED for a transfer
    // stopped by kvps::cancel_requested().
    bool finish(int code, TransportError &error);
    // Whether the handle's connection may serve another request (decided by finish).
    bool reusable() const { return reusable_; }
    // Body bytes sent so far.
    uint64_t uploaded() const;
    Exchange &exchange() { return *x_; }

private:
    CURL *curl_;
    std::unique_ptr<Exchange> x_;
    void *headers_ = nullptr;  // curl_slist
    bool reusable_ = true;
};

class HttpClient {
public:
    explicit HttpClient(HttpSettings options);
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    // One exchange. Returns false and fills *error when no HTTP answer came back.
    bool perform(const HttpRequest &request, HttpResponse &response, TransportError &error);

private:
    CURL *acquire();
    void release(CURL *handle);

    HttpSettings options_;
    std::mutex mutex_;
    std::vector<CURL *> idle_;  // keep-alive handles: each keeps its open connections
};

// Warns (a log line) when settings leave the certificate of an https endpoint unchecked.
// backend prefixes the line ("s3").
void warn_unverified_tls(const HttpSettings &settings, std::string_view endpoint,
                         std::string_view backend);

// The value of a Range header for [offset, offset + length), length >= 1: "bytes=O-L", or the
// open "bytes=O-" for KVPS_TO_END and for a last byte past what uint64 holds (a huge last byte
// is not understood by every server).
std::string byte_range(uint64_t offset, uint64_t length);
// The size a GET into the caller's buffer (HttpRequest::buffer) answered: the bytes written,
// or, when the body did not fit, its Content-Length (KVPS_REMOTE naming `what` when absent).
uint64_t buffered_size(const HttpResponse &response, std::string_view what);

// key as a service's object name: KVPS_INVALID_KEY when it is longer than the service takes
// (max bytes; names says what the service calls them, e.g. "S3 keys").
std::string object_name(std::string_view key, size_t max, std::string_view names);

}  // namespace kvps::net
