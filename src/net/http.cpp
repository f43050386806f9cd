// libcurl easy handles, pooled: a handle goes back to the pool after each exchange with its
// connection still open, so the next request on any thread reuses it.
#include "http.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>

#include "spi/cancel.hpp"
#include "spi/error.hpp"
#include "spi/log.hpp"

namespace kvps::net {

struct Exchange {
    const HttpRequest *request = nullptr;
    HttpResponse *response = nullptr;
    const char *upload = nullptr;
    size_t upload_left = 0;
    bool into_target = false;  // decided once the status line is known
    bool streaming = false;
    bool buffering = false;     // a 2xx body goes to HttpRequest::buffer
    bool headers_done = false;  // the blank line after the headers arrived
    uint64_t body_bytes = 0;
    std::exception_ptr error;
    // The stall clock: the last time a byte moved either way.
    std::chrono::milliseconds stall{0};
    std::chrono::steady_clock::time_point last_progress;
    curl_off_t last_up = -1, last_down = -1;
    bool stalled = false;
    bool cancelled = false;  // stopped for kvps::cancel_requested()
};

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

namespace {

// Whether the exchange was asked to stop: by the asynchronous operation this thread runs, or
// through HttpRequest::cancel.
bool stop_asked(const Exchange &x) {
    return cancel_requested() ||
           (x.request->cancel && x.request->cancel->load(std::memory_order_acquire));
}

// Whether a request may be cut now without the server acting on it: one that only reads, or
// one whose body is not all sent yet (see "Cancellation" in kvps.h).
bool reads_only(const Exchange &x) {
    std::string_view method = x.request->method;
    return method == "GET" || method == "HEAD";
}

bool stoppable(const Exchange &x, curl_off_t up) {
    if (reads_only(x)) return true;
    return x.request->has_body && up < static_cast<curl_off_t>(x.request->body_size);
}

// Cuts the transfer when no byte moved for `stall` (libcurl's low-speed check averages over
// its window, so once bytes moved a stall could last several times the limit).
int on_progress(void *user, curl_off_t, curl_off_t down, curl_off_t, curl_off_t up) {
    auto *x = static_cast<Exchange *>(user);
    if (stop_asked(*x) && stoppable(*x, up)) {
        x->cancelled = true;
        return 1;
    }
    auto now = std::chrono::steady_clock::now();
    if (up != x->last_up || down != x->last_down) {
        x->last_up = up;
        x->last_down = down;
        x->last_progress = now;
        return 0;
    }
    // Compared in milliseconds: a huge limit must not overflow a conversion to nanoseconds.
    auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(now - x->last_progress);
    if (idle.count() > x->stall.count()) {
        x->stalled = true;
        return 1;
    }
    return 0;
}

size_t read_body(char *buffer, size_t size, size_t count, void *user) {
    auto *x = static_cast<Exchange *>(user);
    if (x->upload_left && stop_asked(*x)) {  // part of the body is unsent: safe to stop
        x->cancelled = true;
        return CURL_READFUNC_ABORT;
    }
    size_t n = std::min(size * count, x->upload_left);
    if (n) std::memcpy(buffer, x->upload, n);
    x->upload += n;
    x->upload_left -= n;
    return n;
}

Bytes &sink(Exchange *x) { return x->into_target ? *x->request->into : x->response->body; }

size_t write_body(char *data, size_t size, size_t count, void *user) {
    auto *x = static_cast<Exchange *>(user);
    size_t n = size * count;
    // Between two pieces of an answer: only a read may stop here (a write's body was all sent).
    if (stop_asked(*x) && reads_only(*x)) {
        x->cancelled = true;
        return 0;
    }
    x->body_bytes += n;
    if (x->streaming) return (*x->request->stream)(data, n) ? n : 0;
    if (x->buffering) {
        HttpResponse &r = *x->response;
        if (n > x->request->buffer_capacity - r.buffered) {
            r.too_large = true;
            return 0;  // aborts the transfer
        }
        std::memcpy(x->request->buffer + r.buffered, data, n);
        r.buffered += n;
        return n;
    }
    try {
        sink(x).append(data, n);
    } catch (...) {
        x->error = std::current_exception();
        return 0;  // aborts the transfer
    }
    return n;
}

std::string header_value(std::string_view line, size_t colon) {
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
        v.remove_suffix(1);
    return std::string(v);
}

bool named(std::string_view line, size_t colon, std::string_view name) {
    if (colon != name.size()) return false;
    for (size_t i = 0; i < colon; ++i)
        if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
    return true;
}

size_t on_header(char *data, size_t size, size_t count, void *user) {
    auto *x = static_cast<Exchange *>(user);
    size_t n = size * count;
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {  // a new status line (after a 100 Continue, say)
        size_t space = line.find(' ');
        x->response->status = space == std::string_view::npos ? 0 : std::atol(data + space + 1);
        x->response->content_length.reset();
        x->response->headers.clear();
        x->into_target = x->request->into && x->response->status / 100 == 2;
        x->streaming = x->request->stream && x->response->status == 206;
        x->buffering = x->request->to_buffer && x->response->status / 100 == 2;
        x->response->buffered = 0;
        x->response->too_large = false;
        x->headers_done = false;
        sink(x).resize(0);  // shrinking never allocates
        return n;
    }
    if (line == "\r\n" || line == "\n") {
        x->headers_done = true;
        return n;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return n;
    if (named(line, colon, "content-length")) {
        uint64_t length = std::strtoull(header_value(line, colon).c_str(), nullptr, 10);
        x->response->content_length = length;
        if (x->buffering && length > x->request->buffer_capacity) {
            x->response->too_large = true;
            return 0;  // aborts the transfer before any of the body is read
        }
        try {  // one allocation for the whole body
            // (A HEAD's Content-Length is the value's size, and no body follows.)
            if (!x->streaming && length < (uint64_t{1} << 40) &&
                std::string_view(x->request->method) != "HEAD")
                sink(x).reserve(static_cast<size_t>(length));
        } catch (...) {
            x->error = std::current_exception();
            return 0;
        }
    } else if (named(line, colon, "etag")) {
        x->response->etag = header_value(line, colon);
    } else if (named(line, colon, "last-modified")) {
        x->response->last_modified = header_value(line, colon);
    } else if (named(line, colon, "x-amz-request-id") || named(line, colon, "x-ms-request-id") ||
               named(line, colon, "x-guploader-uploadid")) {
        x->response->request_id = header_value(line, colon);
    } else if (named(line, colon, "date")) {
        x->response->date = header_value(line, colon);
    } else if (named(line, colon, "content-type")) {
        x->response->content_type = header_value(line, colon);
    } else {
        std::string name(line.substr(0, colon));
        for (char &c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        x->response->headers.emplace_back(std::move(name), header_value(line, colon));
    }
    return n;
}

// curl_easy_perform, but inside an asynchronous operation run as libcurl runs it (a multi
// handle, here one per thread, which keeps that thread's connections) waking every 20 ms, so a
// cancellation is seen promptly even while the server is silent (libcurl's progress callback
// then comes only about once a second).
CURLcode perform_transfer(CURL *curl, Exchange &x) {
    if (!cancellable()) return curl_easy_perform(curl);
    // The pool's threads never end; a thread that does (a helper thread of a parallel batch,
    // spi/cancel.hpp's CancelShare) frees its handle and connections as it ends.
    struct ThreadMulti {
        CURLM *handle = curl_multi_init();
        ~ThreadMulti() {
            if (handle) curl_multi_cleanup(handle);
        }
    };
    static thread_local ThreadMulti thread_multi;
    CURLM *multi = thread_multi.handle;
    if (!multi || curl_multi_add_handle(multi, curl) != CURLM_OK) return curl_easy_perform(curl);
    CURLcode result = CURLE_OK;
    for (;;) {
        int running = 0;
        if (curl_multi_perform(multi, &running) != CURLM_OK) {
            result = CURLE_RECV_ERROR;
            break;
        }
        bool done = false;
        int left = 0;
        while (CURLMsg *m = curl_multi_info_read(multi, &left))
            if (m->msg == CURLMSG_DONE) {
                result = m->data.result;
                done = true;
            }
        if (done || !running) break;
        curl_off_t up = 0;
        curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &up);
        if (cancel_requested() && stoppable(x, up)) {
            x.cancelled = true;
            result = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        curl_multi_poll(multi, nullptr, 0, 20, nullptr);
    }
    curl_multi_remove_handle(multi, curl);
    return result;
}

}  // namespace

HttpClient::HttpClient(HttpSettings options) : options_(std::move(options)) { global_init(); }

HttpClient::~HttpClient() {
    for (CURL *handle : idle_) curl_easy_cleanup(handle);
}

CURL *HttpClient::acquire() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            CURL *handle = idle_.back();
            idle_.pop_back();
            return handle;
        }
    }
    CURL *handle = curl_easy_init();
    if (!handle) fail(KVPS_NO_MEMORY, "http: cannot create a libcurl handle");
    return handle;
}

void HttpClient::release(CURL *handle) {
    curl_easy_reset(handle);  // keeps the live connection and the DNS cache
    std::lock_guard lock(mutex_);
    idle_.push_back(handle);
}

bool HttpClient::perform(const HttpRequest &request, HttpResponse &response,
                         TransportError &error) {
    if (cancel_requested() || (request.cancel && request.cancel->load(std::memory_order_acquire)))
        stop_cancelled(std::string("cancelled before its ") + request.method + " request was sent");
    // The handle returns to the pool on every way out but a broken connection.
    struct Lease {
        HttpClient *owner;
        CURL *handle;
        ~Lease() {
            if (handle) owner->release(handle);
        }
    } lease{this, acquire()};
    response = HttpResponse{};
    std::optional<Transfer> transfer;
    transfer.emplace(lease.handle, options_, request, response);
    CURLcode code = perform_transfer(lease.handle, transfer->exchange());
    auto drop = [&] {
        if (transfer->reusable()) return;
        transfer.reset();
        curl_easy_cleanup(lease.handle);
        lease.handle = nullptr;
    };
    try {
        bool answered = transfer->finish(code, error);
        drop();
        return answered;
    } catch (...) {
        drop();
        throw;
    }
}

Transfer::Transfer(CURL *curl, const HttpSettings &options, const HttpRequest &request,
                   HttpResponse &response)
    : curl_(curl), x_(std::make_unique<Exchange>()) {
    Exchange &x = *x_;
    x.request = &request;
    x.response = &response;
    x.upload = static_cast<const char *>(request.body);
    x.upload_left = request.body_size;

    curl_slist *headers = nullptr;
    for (const std::string &h : request.headers) {
        // The last guard against header injection (options are checked when a store opens).
        if (h.find_first_of("\r\n") != std::string::npos || h.find('\0') != std::string::npos) {
            curl_slist_free_all(headers);
            fail(KVPS_INVALID_ARGUMENT, "http: a request header holds a line break; refused");
        }
        headers = curl_slist_append(headers, h.c_str());
    }
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    headers_ = headers;

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // keys like "a/../b" stay as they are
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    // Clamped: any int64 count of milliseconds is safe here (0 would mean libcurl's default).
    long connect_ms = static_cast<long>(
        std::clamp<int64_t>(options.connect_timeout.count(), 1, int64_t{LONG_MAX}));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    x.stall = std::max(options.stall_timeout, std::chrono::milliseconds(1));
    x.last_progress = std::chrono::steady_clock::now();
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
    if (!options.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 256L * 1024);  // fewer, larger body callbacks

    std::string_view method = request.method;
    if (method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method);
    }
    if (request.has_body) {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(curl, CURLOPT_READDATA, &x);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                         static_cast<curl_off_t>(request.body_size));
    }
}

Transfer::~Transfer() {
    curl_easy_reset(curl_);  // no pointer into this transfer stays on the handle
    curl_slist_free_all(static_cast<curl_slist *>(headers_));
}

uint64_t Transfer::uploaded() const {
    curl_off_t up = 0;
    curl_easy_getinfo(curl_, CURLINFO_SIZE_UPLOAD_T, &up);
    return up > 0 ? static_cast<uint64_t>(up) : 0;
}

bool Transfer::finish(int result, TransportError &error) {
    Exchange &x = *x_;
    CURL *curl = curl_;
    const HttpRequest &request = *x.request;
    HttpResponse &response = *x.response;
    CURLcode code = static_cast<CURLcode>(result);
    if (x.error) {
        reusable_ = false;
        std::rethrow_exception(x.error);
    }
    if (x.cancelled) {
        reusable_ = false;  // cut mid-exchange: the connection cannot be reused
        stop_cancelled(std::string("cancelled during its ") + request.method + " request");
    }
    if (code != CURLE_OK && response.too_large) {  // stopped on purpose: the answer is known
        reusable_ = false;  // the rest of the body is unread: the connection cannot be reused
        return true;
    }
    std::string_view method = request.method;
    if (code == CURLE_OK) {
        // An answer without its framing is no answer: cut inside the headers, or a body shorter
        // (or longer) than its Content-Length.
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
        bool has_body = method != "HEAD" && response.status != 204 && response.status != 304;
        if (!x.headers_done) {
            error.message = "the answer ended inside its headers";
        } else if (has_body && response.content_length &&
                   x.body_bytes != *response.content_length) {
            error.message = "the answer ended after " + std::to_string(x.body_bytes) + " of " +
                            std::to_string(*response.content_length) + " body bytes";
        } else {
            return true;
        }
    } else if (x.stalled) {
        error.timed_out = true;
        error.message = "no byte moved for " + std::to_string(x.stall.count()) + " ms";
    } else {
        error.timed_out = code == CURLE_OPERATION_TIMEDOUT;
        error.message = curl_easy_strerror(code);
    }
    long request_bytes = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_bytes);
    error.maybe_delivered = request_bytes > 0 || x.last_up > 0;
    reusable_ = false;  // a broken connection must not go back to the pool
    response.status = 0;
    return false;
}

std::string_view HttpResponse::header(std::string_view name) const {
    for (const auto &entry : headers)
        if (entry.first == name) return entry.second;
    return {};
}

std::vector<std::pair<std::string, std::string>> HttpResponse::headers_with_prefix(
    std::string_view prefix) const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto &entry : headers)
        if (entry.first.size() > prefix.size() && entry.first.starts_with(prefix))
            out.emplace_back(entry.first.substr(prefix.size()), entry.second);
    return out;
}

std::vector<OptionSpec> with_http_options(std::vector<OptionSpec> own) {
    own.push_back(option_spec("max_attempts", KVPS_OPTION_INTEGER, "3",
                              "tries per request, with exponential backoff and full jitter (1..20)",
                              "1", "20"));
    own.push_back(option_spec("connect_timeout", KVPS_OPTION_DURATION, "10s",
                              "longest wait for a connection"));
    own.push_back(option_spec("request_timeout", KVPS_OPTION_DURATION, "30s",
                              "longest a request may go without receiving or sending a byte"));
    own.push_back(option_spec("ca_file", KVPS_OPTION_STRING, nullptr,
                              "PEM file of CA certificates to trust"));
    own.push_back(
        option_spec("verify_tls", KVPS_OPTION_BOOL, "true", "verify the server's TLS certificate"));
    return own;
}

HttpSettings http_settings(const Config &config) {
    HttpSettings s;
    s.connect_timeout = config.duration("connect_timeout");
    s.stall_timeout = config.duration("request_timeout");
    s.verify_tls = config.boolean("verify_tls");
    if (config.given("ca_file")) s.ca_file = config.string("ca_file");
    return s;
}

void warn_unverified_tls(const HttpSettings &settings, std::string_view endpoint,
                         std::string_view backend) {
    if (!settings.verify_tls && endpoint.starts_with("https://"))
        log(KVPS_LOG_WARN,
            std::string(backend) + ": verify_tls=false: the certificate of " +
                std::string(endpoint) +
                " is not checked, so anyone on the way can read and change the data");
}

std::string object_name(std::string_view key, size_t max, std::string_view names) {
    if (key.size() > max)
        fail(KVPS_INVALID_KEY, "invalid key " + quote(key) + ": it is " +
                                   std::to_string(key.size()) + " bytes, and " +
                                   std::string(names) + " are at most " + std::to_string(max) +
                                   " bytes");
    return std::string(key);
}

std::string byte_range(uint64_t offset, uint64_t length) {
    std::string range = "bytes=" + std::to_string(offset) + "-";
    if (length != KVPS_TO_END && length - 1 < UINT64_MAX - offset)
        range += std::to_string(offset + length - 1);
    return range;
}

uint64_t buffered_size(const HttpResponse &response, std::string_view what) {
    if (!response.too_large) return response.buffered;
    if (!response.content_length)
        fail(KVPS_REMOTE, std::string(what) + ": the answer has no Content-Length");
    return *response.content_length;
}

}  // namespace kvps::net
