// Authorizing, sending, retrying and error mapping for Blob service calls.
#include "client.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include "net/retry.hpp"
#include "spi/error.hpp"
#include "spi/log.hpp"
#include "spi/text.hpp"
#include "xml.hpp"

namespace kvps::azure {
namespace {

// The REST API version kvps speaks (Azurite 3.37 knows it; the service accepts it).
constexpr const char *kApiVersion = "2021-12-02";

std::string_view body_of(const HttpResponse &response) {
    return {response.body.data() ? response.body.data() : "", response.body.size()};
}

// RFC 1123 in GMT, spelled in English whatever the process locale.
std::string http_date_now() {
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char out[40];
    std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return out;
}

// name=value&... with every byte but unreserved ones percent-encoded.
std::string encode_query(const Pairs &query) {
    std::string out;
    for (const auto &[name, value] : query) {
        if (!out.empty()) out += '&';
        out += percent_encode(name) + "=" + percent_encode(value);
    }
    return out;
}

}  // namespace

bool missing_blob(const HttpResponse &response) {
    return response.status == 404 && Client::error_code(response) != "ContainerNotFound";
}

Client::Client(Settings settings) : settings_(std::move(settings)), http_(settings_.http) {
    std::string_view e = settings_.endpoint;
    size_t sep = e.find("://");
    size_t slash = e.find('/', sep + 3);
    origin_ = std::string(e.substr(0, slash));
    base_path_ = slash == std::string_view::npos ? "" : std::string(e.substr(slash));
    net::warn_unverified_tls(settings_.http, settings_.endpoint, "az");
}

std::string Client::full_key(std::string_view key) const {
    return net::object_name(key, 1024, "blob names");
}

std::string Client::user_key(std::string_view full_key) const { return std::string(full_key); }

std::string Client::path_of(std::string_view full_key) const {
    std::string path = base_path_ + "/" + settings_.container;
    if (!full_key.empty()) path += "/" + percent_encode(full_key, "/");
    return path;
}

std::string Client::blob_url(std::string_view full_key) const {
    return origin_ + path_of(full_key);
}

std::string Client::readable_url(std::string_view full_key) const {
    return blob_url(full_key) + (settings_.sas.empty() ? "" : "?" + settings_.sas);
}

std::string Client::describe(std::string_view method, std::string_view full_key) const {
    if (full_key.empty())
        return std::string(method) + " on container '" + settings_.container + "'";
    return std::string(method) + " " + quote(user_key(full_key));
}

std::string Client::scrub(std::string text) const {
    for (const std::string *secret : {&settings_.key_text, &settings_.sas}) {
        if (secret->size() < 8) continue;
        for (size_t at; (at = text.find(*secret)) != std::string::npos;)
            text.replace(at, secret->size(), "***");
    }
    return text;
}

std::string Client::error_code(const HttpResponse &response) {
    std::string code(response.header("x-ms-error-code"));
    if (code.empty() && response.status >= 400) code = parse_error(body_of(response)).code;
    return code;
}

HttpResponse Client::send(const Call &call) {
    std::string path = path_of(call.blob);
    std::string query = encode_query(call.query);
    std::string url = origin_ + path;
    std::string full_query = query;
    if (!settings_.sas.empty()) full_query += (full_query.empty() ? "" : "&") + settings_.sas;
    if (!full_query.empty()) url += "?" + full_query;
    net::HttpRequest request;
    request.method = call.method;
    request.url = url;
    request.body = call.body;
    request.body_size = call.body_size;
    request.has_body = call.has_body;
    request.to_buffer = call.to_buffer;
    request.buffer = call.buffer;
    request.buffer_capacity = call.buffer_capacity;

    HttpResponse response;
    for (unsigned attempt = 1;; ++attempt) {
        Pairs headers = call.headers;
        headers.emplace_back("x-ms-version", kApiVersion);
        headers.emplace_back("x-ms-date", http_date_now());
        if (!settings_.key.empty()) {
            SignedRequest signing{call.method, settings_.account,
                                  path,        call.query,
                                  headers,     call.has_body ? call.body_size : 0};
            headers.emplace_back("Authorization", shared_key_authorization(signing, settings_.key));
        }
        request.headers.clear();
        // libcurl drops "Name:" without a value; "Name;" sends it empty (x-ms-meta-* may be).
        for (const auto &[name, value] : headers)
            request.headers.push_back(value.empty() ? name + ";" : name + ": " + value);

        auto started = std::chrono::steady_clock::now();
        net::TransportError transport;
        bool answered = http_.perform(request, response, transport);
        if (log_enabled(KVPS_LOG_DEBUG)) {  // never the SAS token: the query as kvps built it
            double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                                  started)
                            .count();
            char line[200];
            std::snprintf(
                line, sizeof line, " -> %s, %zu bytes up, %zu down, %.1f ms, attempt %u",
                answered ? std::to_string(response.status).c_str() : transport.message.c_str(),
                call.has_body ? call.body_size : size_t{0},
                static_cast<size_t>(response.body.size() + response.buffered), ms, attempt);
            log(KVPS_LOG_DEBUG, scrub("az: " + std::string(call.method) + " " + path +
                                      (query.empty() ? "" : "?" + query) + line));
        }
        bool last = attempt >= settings_.max_attempts;
        if (!answered) {
            if (transport.maybe_delivered && call.lost_answer) *call.lost_answer = true;
            if ((call.retry == Retry::Always || !transport.maybe_delivered) && !last) {
                net::back_off(attempt);
                continue;
            }
            fail(transport.timed_out ? KVPS_TIMEOUT : KVPS_NETWORK,
                 scrub("az: " + describe(call.method, call.blob) + ": no answer from " +
                       settings_.endpoint + ": " + transport.message + " (" +
                       std::to_string(attempt) + (attempt == 1 ? " attempt)" : " attempts)")));
        }
        if (response.status >= 400 && !last &&
            classify(response.status, error_code(response)).retryable) {
            net::back_off(attempt);
            continue;
        }
        return response;
    }
}

Client::SubRequest Client::sub_request(const char *method, std::string_view full_key,
                                       Pairs headers) const {
    SubRequest out;
    std::string path = path_of(full_key);
    out.target = settings_.sas.empty() ? path : path + "?" + settings_.sas;
    headers.emplace_back("x-ms-date", http_date_now());
    if (!settings_.key.empty()) {
        Pairs no_query;
        SignedRequest signing{method, settings_.account, path, no_query, headers, 0};
        headers.emplace_back("Authorization", shared_key_authorization(signing, settings_.key));
    }
    out.headers = std::move(headers);
    return out;
}

void Client::fail_answer(const HttpResponse &response, std::string_view what) const {
    net::XmlError error = parse_error(body_of(response));
    std::string code = error_code(response);
    kvps_status status = classify(response.status, code).status;
    std::string message = "az: " + std::string(what) + ": ";
    if (code == "ContainerNotFound")
        message += "container '" + settings_.container + "' does not exist in account '" +
                   settings_.account + "' at " + settings_.endpoint;
    else if (code == "AuthenticationFailed")
        message +=
            "the service refused the credentials (wrong account key or SAS token, or a clock "
            "more than 15 minutes off)";
    else if (!error.message.empty())
        message += error.message;
    else
        message += "the service answered HTTP " + std::to_string(response.status);
    message += " (";
    if (!code.empty()) message += code + ", ";
    message += "HTTP " + std::to_string(response.status);
    if (!response.request_id.empty()) message += ", request id " + response.request_id;
    message += ")";
    fail(status, scrub(std::move(message)));
}

}  // namespace kvps::azure
