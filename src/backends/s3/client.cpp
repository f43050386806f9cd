// Signing, sending, retrying and error mapping for S3 calls.
#include "client.hpp"

#include <ctime>
#include <thread>

#include "net/retry.hpp"
#include "spi/error.hpp"
#include "spi/log.hpp"
#include "sigv4.hpp"
#include "xml.hpp"

namespace kvps::s3 {
namespace {

constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
const std::string kEmptyHash = sha256_hex("", 0);

bool retryable_status(long status) {
    return status == 500 || status == 502 || status == 503 || status == 504;
}

bool retryable_code(std::string_view code) {
    return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
           code == "ServiceUnavailable" || code == "RequestTimeTooSkewed";
}

kvps_status status_for(long http_status, std::string_view code) {
    if (code == "NoSuchKey" || code == "NoSuchBucket" || code == "NoSuchUpload")
        return KVPS_NOT_FOUND;
    if (code == "AccessDenied" || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" ||
        code == "AllAccessDisabled" || code == "ExpiredToken" || code == "InvalidToken" ||
        code == "InvalidTokenId" || code == "InvalidSecurity" || code == "AccountProblem")
        return KVPS_PERMISSION_DENIED;
    if (code == "PreconditionFailed") return KVPS_PRECONDITION_FAILED;
    // The server refuses the key itself (too long; MinIO: "." or ".." segments, "//";
    // versitygw: data under a key ending in "/").
    if (code == "KeyTooLongError" || code == "XMinioInvalidResourceName" ||
        code == "XMinioInvalidObjectName" || code == "DirectoryObjectContainsData")
        return KVPS_INVALID_KEY;
    if (code == "RequestTimeout") return KVPS_TIMEOUT;
    if (code == "XMinioStorageFull" || code == "QuotaExceeded") return KVPS_NO_SPACE;
    if (code.empty()) {
        if (http_status == 401 || http_status == 403) return KVPS_PERMISSION_DENIED;
        if (http_status == 404) return KVPS_NOT_FOUND;
        if (http_status == 304 || http_status == 412) return KVPS_PRECONDITION_FAILED;
    }
    return KVPS_REMOTE;
}

// The server refused the credentials as expired: AWS says ExpiredToken; MinIO says
// InvalidAccessKeyId once temporary keys have expired.
bool expired_credentials(const HttpResponse &response, const Credentials &used) {
    if (response.status != 400 && response.status != 403) return false;
    std::string_view body(response.body.data() ? response.body.data() : "", response.body.size());
    std::string code = parse_error(body).code;
    return code == "ExpiredToken" || (code == "InvalidAccessKeyId" && !used.session_token.empty());
}

}  // namespace

Client::Client(Settings settings) : settings_(std::move(settings)), http_(settings_.http) {
    // Whatever their source (options, URL, environment, files), these reach a request header:
    // a CR or LF would add a header line. Named, never shown (some are secrets).
    const std::pair<const char *, const std::string *> in_headers[] = {
        {"region", &settings_.region},
        {"endpoint", &settings_.endpoint},
    };
    for (const auto &[name, value] : in_headers)
        for (unsigned char c : *value)
            if (c < 0x20 || c == 0x7f)
                fail(KVPS_INVALID_OPTION, std::string("s3: option ") + name +
                                              " contains a control character (CR, LF, tab...)");
    net::warn_unverified_tls(settings_.http, settings_.endpoint, "s3");
    std::string_view endpoint = settings_.endpoint;
    size_t sep = endpoint.find("://");
    scheme_ = std::string(endpoint.substr(0, sep));
    host_ = std::string(endpoint.substr(sep + 3));
}

std::string Client::url_for(const Call &call, std::string &host) const {
    std::string path;
    if (settings_.path_style) {
        host = host_;
        path = "/" + uri_encode(settings_.bucket, false);
        if (!call.key.empty())
            path += "/" + uri_encode(call.key, true);
        else
            path += "/";
    } else {
        host = settings_.bucket + "." + host_;
        path = "/" + uri_encode(call.key, true);
    }
    return path;
}

std::string Client::full_key(std::string_view key) const {
    return net::object_name(key, 1024, "S3 keys");
}

std::string Client::describe(std::string_view method, std::string_view full_key) const {
    if (full_key.empty()) return std::string(method) + " on bucket '" + settings_.bucket + "'";
    return std::string(method) + " " + quote(full_key);
}

std::string Client::scrub(std::string text) const {
    std::shared_ptr<const Credentials> creds = settings_.credentials->peek();
    for (const std::string *secret : {&creds->secret_access_key, &creds->session_token}) {
        if (secret->empty()) continue;
        for (size_t at; (at = text.find(*secret)) != std::string::npos;)
            text.replace(at, secret->size(), "***");
    }
    return text;
}

void Client::begin(const Call &call, Sending &s) const {
    s.path = url_for(call, s.host);
    s.query = canonical_query(call.query);
    HttpRequest &request = s.request;
    request.method = call.method;
    request.url = scheme_ + "://" + s.host + s.path + (s.query.empty() ? "" : "?" + s.query);
    request.body = call.body;
    request.body_size = call.body_size;
    request.has_body = call.has_body;
    request.into = call.into;
    request.to_buffer = call.to_buffer;
    request.buffer = call.buffer;
    request.buffer_capacity = call.buffer_capacity;
    request.cancel = call.cancel;
    if (!call.has_body || call.body_size == 0)
        s.payload_hash = kEmptyHash;
    else if (settings_.unsigned_payload)
        s.payload_hash = kUnsignedPayload;
    else
        s.payload_hash = sha256_hex(call.body, call.body_size);
}

void Client::sign_next(const Call &call, Sending &s,
                       std::shared_ptr<const Credentials> creds_given) const {
    ++s.attempt;
    s.used = creds_given ? std::move(creds_given) : settings_.credentials->get();
    const Credentials &creds = *s.used;
    // Credentials from any source reach headers too: named, never shown.
    for (const auto &[name, value] :
         {std::pair<const char *, const std::string *>{"access_key_id", &creds.access_key_id},
          {"session_token", &creds.session_token}})
        for (unsigned char c : *value)
            if (c < 0x20 || c == 0x7f)
                fail(KVPS_INVALID_OPTION, std::string("s3: ") + name + " (from " + creds.source +
                                              ") contains a control character (CR, LF, tab...)");
    std::vector<std::pair<std::string, std::string>> headers = call.headers;
    headers.emplace_back("Host", s.host);
    std::string date = amz_date_now();
    if (!creds.anonymous()) {
        headers.emplace_back("x-amz-date", date);
        headers.emplace_back("x-amz-content-sha256", s.payload_hash);
        if (!creds.session_token.empty())
            headers.emplace_back("x-amz-security-token", creds.session_token);
        SigningRequest signing{call.method,    s.path, call.query,       headers,
                               s.payload_hash, date,   settings_.region, "s3"};
        Signature signature = sign(signing, creds.access_key_id, creds.secret_access_key);
        headers.emplace_back("Authorization", std::move(signature.authorization));
    }
    s.request.headers.clear();
    // libcurl drops "Name:" without a value; "Name;" sends it empty (x-amz-meta-* may be).
    for (const auto &[name, value] : headers)
        s.request.headers.push_back(value.empty() ? name + ";" : name + ": " + value);
    s.started = std::chrono::steady_clock::now();
}

Client::Next Client::judge(const Call &call, Sending &s, bool answered, HttpResponse &response,
                           const TransportError &transport,
                           std::chrono::microseconds &pause) const {
    unsigned attempt = s.attempt;
    if (log_enabled(KVPS_LOG_DEBUG)) {
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s.started)
                .count();
        uint64_t down = response.body.size() + s.streamed +
                        (call.into && succeeded(response) ? call.into->size() : 0);
        char line[160];
        std::snprintf(
            line, sizeof line, " -> %s, %zu bytes up, %llu down, %.1f ms, attempt %u",
            answered ? std::to_string(response.status).c_str() : transport.message.c_str(),
            call.has_body ? call.body_size : size_t{0}, static_cast<unsigned long long>(down), ms,
            attempt);
        log(KVPS_LOG_DEBUG, "s3: " + std::string(call.method) + " " + s.path +
                                (s.query.empty() ? "" : "?" + s.query) + line);
    }
    pause = std::chrono::microseconds(0);
    bool last = attempt >= settings_.max_attempts;
    if (!answered && transport.maybe_delivered && call.lost_answer) *call.lost_answer = true;
    if (!answered) {
        if (call.retry == Retry::Always && !last && s.streamed == 0) {
            pause = net::backoff_pause(attempt);
            return Next::Retry;
        }
        fail(transport.timed_out ? KVPS_TIMEOUT : KVPS_NETWORK,
             "s3: " + describe(call.method, call.key) + ": no answer from " + settings_.endpoint +
                 ": " + transport.message + " (" + std::to_string(attempt) +
                 (attempt == 1 ? " attempt)" : " attempts)"));
    }
    if (!s.renewed && s.streamed == 0 && settings_.credentials->renewable() &&
        expired_credentials(response, *s.used)) {
        s.renewed = true;
        --s.attempt;  // not one of max_attempts
        return Next::Renew;
    }
    std::string_view body(response.body.data() ? response.body.data() : "", response.body.size());
    if (call.error_in_200 && response.status == 200 && is_error_document(body))
        response.status = 500;  // S3: a 200 carrying <Error> failed; treat it as a server error
    bool retry = retryable_status(response.status);
    if (!retry && response.status >= 400 && !body.empty())
        retry = retryable_code(parse_error(body).code);
    if (retry && !last) {
        pause = net::backoff_pause(attempt);
        return Next::Retry;
    }
    return Next::Answer;
}

HttpResponse Client::send(const Call &call) {
    Sending s;
    begin(call, s);
    std::function<bool(const char *, size_t)> counting;
    if (call.stream) {
        counting = [&](const char *data, size_t size) {
            s.streamed += size;
            return (*call.stream)(data, size);
        };
        s.request.stream = &counting;
    }
    HttpResponse response;
    for (;;) {
        sign_next(call, s);
        TransportError transport;
        bool answered = http_.perform(s.request, response, transport);
        std::chrono::microseconds pause;
        Next next = judge(call, s, answered, response, transport, pause);
        if (next == Next::Answer) return response;
        if (next == Next::Renew)
            settings_.credentials->renew(s.used);
        else
            std::this_thread::sleep_for(pause);
    }
}

void Client::fail_answer(const HttpResponse &response, std::string_view what) const {
    std::string_view body(response.body.data() ? response.body.data() : "", response.body.size());
    S3ErrorBody error = parse_error(body);
    std::string request_id = error.request_id.empty() ? response.request_id : error.request_id;
    kvps_status status = status_for(response.status, error.code);
    std::string message = "s3: " + std::string(what) + ": ";
    if (error.code == "NoSuchBucket")
        message += "bucket '" + settings_.bucket + "' does not exist on " + settings_.endpoint;
    else if (status == KVPS_INVALID_KEY)
        message +=
            "the server refuses this key" + (error.message.empty() ? "" : ": " + error.message);
    else if (!error.code.empty())
        message += error.code + (error.message.empty() ? "" : ": " + error.message);
    else
        message += "the server answered HTTP " + std::to_string(response.status);
    message += " (";
    if (!error.code.empty()) message += error.code + ", ";
    message += "HTTP " + std::to_string(response.status);
    if (!request_id.empty()) message += ", request id " + request_id;
    message += ")";
    fail(status, scrub(std::move(message)));
}

}  // namespace kvps::s3
