// STS AssumeRole (SigV4-signed with the caller's credentials) and AssumeRoleWithWebIdentity
// (unsigned: the token is the proof), over the s3 backend's HTTP layer. Also the helpers every
// credential source shares.
#include <fstream>
#include <iterator>

#include "credential_sources.hpp"
#include "net/dates.hpp"
#include "spi/error.hpp"
#include "sigv4.hpp"
#include "xml.hpp"

namespace kvps::s3 {
namespace {

std::string form_encode(const std::vector<std::pair<std::string, std::string>> &fields) {
    std::string out;
    for (const auto &[name, value] : fields) {
        if (value.empty()) continue;
        if (!out.empty()) out += '&';
        out += uri_encode(name, false) + "=" + uri_encode(value, false);
    }
    return out;
}

std::string host_of(const std::string &endpoint) {
    size_t sep = endpoint.find("://");
    return sep == std::string::npos ? endpoint : endpoint.substr(sep + 3);
}

// Sends one STS action and reads <Credentials> from its answer.
Credentials sts_call(const StsTarget &sts, const Credentials *caller, const std::string &action,
                     std::vector<std::pair<std::string, std::string>> fields,
                     const std::string &source) {
    fields.insert(fields.begin(), {{"Action", action}, {"Version", "2011-06-15"}});
    std::string body = form_encode(fields);
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Host", host_of(sts.endpoint)},
        {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    if (caller) {
        std::string date = amz_date_now();
        std::string payload_hash = sha256_hex(body);
        headers.emplace_back("x-amz-date", date);
        headers.emplace_back("x-amz-content-sha256", payload_hash);
        if (!caller->session_token.empty())
            headers.emplace_back("x-amz-security-token", caller->session_token);
        SigningRequest signing{"POST", "/", {}, headers, payload_hash, date, sts.region, "sts"};
        headers.emplace_back(
            "Authorization",
            sign(signing, caller->access_key_id, caller->secret_access_key).authorization);
    }
    HttpRequest request;
    request.method = "POST";
    request.url = sts.endpoint + "/";
    for (const auto &[name, value] : headers) request.headers.push_back(name + ": " + value);
    request.body = body.data();
    request.body_size = body.size();
    request.has_body = true;
    HttpClient client(sts.http);
    std::string what = source + " at " + sts.endpoint;
    HttpResponse response = source_exchange(client, request, what);
    std::string_view text(response.body.data() ? response.body.data() : "", response.body.size());
    if (response.status != 200) {
        // <ErrorResponse><Error><Code/><Message/></Error><RequestId/></ErrorResponse>
        std::string code, message;
        try {
            XmlNode root = parse_xml(text, "STS's error answer");
            const XmlNode *error = root.name == "Error" ? &root : root.child("Error");
            if (error) {
                code = error->child_text("Code");
                message = error->child_text("Message");
            }
        } catch (const Error &) {
        }
        kvps_status status = response.status == 403 || response.status == 401 ||
                                     code == "AccessDenied" || code == "ExpiredToken" ||
                                     code == "InvalidClientTokenId" ||
                                     code == "SignatureDoesNotMatch"
                                 ? KVPS_PERMISSION_DENIED
                                 : KVPS_REMOTE;
        fail(status, "s3: " + what + ": STS " + action + " refused: " +
                         (code.empty() ? "HTTP " + std::to_string(response.status)
                                       : code + (message.empty() ? "" : ": " + message) +
                                             " (HTTP " + std::to_string(response.status) + ")"));
    }
    XmlNode root = parse_xml(text, "STS " + action + "'s answer");
    const XmlNode *result = root.child(action + "Result");
    const XmlNode *creds = result ? result->child("Credentials") : nullptr;
    if (!creds)
        fail(KVPS_REMOTE, "s3: " + what + ": STS " + action + " answered without Credentials");
    Credentials out{creds->child_text("AccessKeyId"), creds->child_text("SecretAccessKey"),
                    creds->child_text("SessionToken"), source,
                    parse_expiration(creds->child_text("Expiration"))};
    if (out.access_key_id.empty() || out.secret_access_key.empty())
        fail(KVPS_REMOTE, "s3: " + what + ": STS " + action + " answered without an access key");
    return out;
}

}  // namespace

HttpResponse source_exchange(HttpClient &client, const HttpRequest &request,
                             std::string_view what) {
    HttpResponse response;
    TransportError error;
    if (!client.perform(request, response, error))
        fail(error.timed_out ? KVPS_TIMEOUT : KVPS_NETWORK,
             "s3: " + std::string(what) + ": no answer: " + error.message);
    return response;
}

std::optional<Clock::time_point> parse_expiration(std::string_view text) {
    int64_t ns = net::iso8601_ns(text);
    if (ns == 0) return std::nullopt;
    return Clock::time_point(
        std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

Credentials sts_assume_role(const StsTarget &sts, const Credentials &caller,
                            const AssumeRoleParams &params) {
    return sts_call(sts, &caller, "AssumeRole",
                    {{"RoleArn", params.role_arn},
                     {"RoleSessionName", params.session_name},
                     {"ExternalId", params.external_id},
                     {"DurationSeconds", params.duration}},
                    params.source);
}

Credentials sts_assume_role_with_web_identity(const StsTarget &sts, const AssumeRoleParams &params,
                                              const std::string &token_file) {
    std::ifstream in(token_file, std::ios::binary);
    std::string token((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
        token.pop_back();
    if (token.empty())
        fail(KVPS_NO_CREDENTIALS,
             "s3: " + params.source + ": the token file " + token_file + " is missing or empty");
    return sts_call(sts, nullptr, "AssumeRoleWithWebIdentity",
                    {{"RoleArn", params.role_arn},
                     {"RoleSessionName", params.session_name},
                     {"WebIdentityToken", token},
                     {"DurationSeconds", params.duration}},
                    params.source);
}

}  // namespace kvps::s3
