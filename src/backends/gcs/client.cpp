// Sending, retrying and error mapping for gs:// calls.
#include "client.hpp"

#include <cstdio>

#include "net/retry.hpp"
#include "spi/error.hpp"
#include "spi/log.hpp"
#include "spi/text.hpp"

namespace kvps::gcs {
namespace {

struct ReasonRule {
    std::string_view reason;
    ErrorClass meaning;
};
// GCS's JSON error reasons (cloud.google.com/storage/docs/json_api/v1/status-codes).
constexpr ReasonRule kReasons[] = {
    {"notFound", {KVPS_NOT_FOUND, false}},
    {"conditionNotMet", {KVPS_PRECONDITION_FAILED, false}},
    {"forbidden", {KVPS_PERMISSION_DENIED, false}},
    {"insufficientPermissions", {KVPS_PERMISSION_DENIED, false}},
    {"authError", {KVPS_PERMISSION_DENIED, false}},
    {"required", {KVPS_PERMISSION_DENIED, false}},  // 401 "Login Required"
    {"accountDisabled", {KVPS_PERMISSION_DENIED, false}},
    {"userProjectAccessDenied", {KVPS_PERMISSION_DENIED, false}},
    {"rateLimitExceeded", {KVPS_REMOTE, true}},
    {"userRateLimitExceeded", {KVPS_REMOTE, true}},
    {"backendError", {KVPS_REMOTE, true}},
    {"internalError", {KVPS_REMOTE, true}},
    {"quotaExceeded", {KVPS_NO_SPACE, false}},
    {"storageQuotaExceeded", {KVPS_NO_SPACE, false}},
};

struct StatusRule {
    long http;
    ErrorClass meaning;
};
constexpr StatusRule kStatuses[] = {
    {304, {KVPS_PRECONDITION_FAILED, false}},
    {401, {KVPS_PERMISSION_DENIED, false}},
    {403, {KVPS_PERMISSION_DENIED, false}},
    {404, {KVPS_NOT_FOUND, false}},
    {408, {KVPS_TIMEOUT, true}},
    {412, {KVPS_PRECONDITION_FAILED, false}},
    {429, {KVPS_REMOTE, true}},
    {500, {KVPS_REMOTE, true}},
    {502, {KVPS_REMOTE, true}},
    {503, {KVPS_REMOTE, true}},
    {504, {KVPS_REMOTE, true}},
};

struct ErrorBody {
    std::string reason, message;
};

// {"error": {"code": 404, "message": "...", "errors": [{"reason": "notFound", ...}]}}; servers
// that answer in plain text give their text as the message.
ErrorBody parse_error(std::string_view body) {
    ErrorBody out;
    if (body.empty()) return out;
    try {
        net::JsonValue doc = net::parse_json(body, "the error answer");
        const net::JsonValue *error = doc.get("error");
        if (!error) return out;
        if (error->kind == net::JsonValue::Kind::String) {  // OAuth style
            out.reason = error->text;
            return out;
        }
        out.message = error->text_of("message");
        if (const net::JsonValue *errors = error->get("errors"); errors && !errors->items.empty())
            out.reason = errors->items.front().text_of("reason");
    } catch (const Error &) {
        out.message = std::string(body.substr(0, 200));
        while (!out.message.empty() && (out.message.back() == '\n' || out.message.back() == '\r'))
            out.message.pop_back();
    }
    return out;
}

std::string describe_attempts(unsigned attempt) {
    return std::to_string(attempt) + (attempt == 1 ? " attempt" : " attempts");
}

}  // namespace

ErrorClass classify(long http_status, std::string_view reason) {
    for (const ReasonRule &rule : kReasons)
        if (rule.reason == reason) return rule.meaning;
    for (const StatusRule &rule : kStatuses)
        if (rule.http == http_status) return rule.meaning;
    return {KVPS_REMOTE, http_status >= 500};
}

std::string query(std::initializer_list<std::pair<std::string_view, std::string>> fields) {
    std::string out;
    for (const auto &[name, value] : fields) {
        if (!out.empty()) out += '&';
        out += std::string(name) + "=" + percent_encode(value);
    }
    return out;
}

Client::Client(Settings settings) : settings_(std::move(settings)), http_(settings_.http) {
    net::warn_unverified_tls(settings_.http, settings_.endpoint, "gs");
}

std::string Client::full_key(std::string_view key) const {
    return net::object_name(key, 1024, "GCS object names");
}

std::string Client::describe(std::string_view method, std::string_view full_key) const {
    return std::string(method) + " " + quote(full_key);
}

std::string Client::objects_url() const {
    return settings_.endpoint + "/storage/v1/b/" + percent_encode(settings_.bucket) + "/o";
}

std::string Client::object_url(std::string_view full_key) const {
    return objects_url() + "/" + percent_encode(full_key);
}

std::string Client::upload_url() const {
    return settings_.endpoint + "/upload/storage/v1/b/" + percent_encode(settings_.bucket) + "/o";
}

HttpResponse Client::send(const Call &call) {
    net::HttpRequest request;
    request.method = call.method;
    request.url = call.url;
    request.body = call.body;
    request.body_size = call.body_size;
    request.has_body = call.has_body;
    request.into = call.into;
    HttpResponse response;
    bool renewed = false;  // a token the server refused is renewed once per call
    for (unsigned attempt = 1;; ++attempt) {
        std::string token = settings_.credentials->get();
        request.headers = call.headers;
        if (!token.empty()) request.headers.push_back("Authorization: Bearer " + token);
        auto started = std::chrono::steady_clock::now();
        net::TransportError transport;
        bool answered = http_.perform(request, response, transport);
        if (log_enabled(KVPS_LOG_DEBUG)) {
            double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                  started)
                            .count();
            char line[96];
            std::snprintf(line, sizeof line, ", %.1f ms, attempt %u", ms, attempt);
            std::string path =
                call.url.substr(std::min(call.url.size(), settings_.endpoint.size()));
            log(KVPS_LOG_DEBUG,
                "gs: " + std::string(call.method) + " " + path + " -> " +
                    (answered ? std::to_string(response.status) : transport.message) + line);
        }
        bool last = attempt >= settings_.max_attempts;
        if (!answered) {
            // (a request that surely never reached the server may go again, repeatable or not)
            if ((call.repeatable || !transport.maybe_delivered) && !last) {
                net::back_off(attempt);
                continue;
            }
            if (!call.repeatable && transport.maybe_delivered)
                fail(KVPS_OUTCOME_UNKNOWN, "gs: " + std::string(call.what) +
                                               ": the answer was lost (" + transport.message +
                                               "): the write may or may not have happened");
            fail(transport.timed_out ? KVPS_TIMEOUT : KVPS_NETWORK,
                 "gs: " + std::string(call.what) + ": no answer from " + settings_.endpoint + ": " +
                     transport.message + " (" + describe_attempts(attempt) + ")");
        }
        if (response.status == 401 && !token.empty() && !renewed) {
            renewed = true;
            settings_.credentials->invalidate(token);
            --attempt;  // not one of max_attempts
            continue;
        }
        if (response.status >= 400) {
            ErrorClass meaning = classify(response.status, parse_error(body_text(response)).reason);
            if (meaning.retryable && !last) {
                net::back_off(attempt);
                continue;
            }
        }
        return response;
    }
}

void Client::fail_answer(const HttpResponse &response, std::string_view what) const {
    ErrorBody error = parse_error(body_text(response));
    ErrorClass meaning = classify(response.status, error.reason);
    std::string message = "gs: " + std::string(what) + ": ";
    if (meaning.status == KVPS_NOT_FOUND && error.message.find("ucket") != std::string::npos)
        message += "bucket '" + settings_.bucket + "' does not exist on " + settings_.endpoint;
    else if (!error.message.empty())
        message += error.message;
    else
        message += "the server answered HTTP " + std::to_string(response.status);
    message += " (";
    if (!error.reason.empty()) message += error.reason + ", ";
    message += "HTTP " + std::to_string(response.status);
    if (!response.request_id.empty()) message += ", request id " + response.request_id;
    message += ")";
    fail(meaning.status, settings_.credentials->scrub(std::move(message)));
}

}  // namespace kvps::gcs
