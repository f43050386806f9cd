// Instance metadata (IMDSv2): a session token from PUT /latest/api/token, then the role named
// by /latest/meta-data/iam/security-credentials/ and its JSON credentials. IMDSv1 (no token)
// is not used. One attempt with 1 s timeouts, as the AWS SDKs do, so that a laptop does not stall.
#include "aws_config.hpp"
#include "credential_sources.hpp"
#include "spi/error.hpp"

namespace kvps::s3 {
namespace {

std::string body_of(const HttpResponse &response) {
    return std::string(response.body.data() ? response.body.data() : "", response.body.size());
}

// The session token; throws KVPS_NO_CREDENTIALS when nothing answers.
std::string session_token(HttpClient &client, const ImdsTarget &target) {
    HttpRequest request;
    request.method = "PUT";
    request.url = target.endpoint + "/latest/api/token";
    request.headers = {"X-aws-ec2-metadata-token-ttl-seconds: 21600"};
    request.has_body = true;
    HttpResponse response;
    TransportError error;
    if (!client.perform(request, response, error))
        fail(KVPS_NO_CREDENTIALS, "s3: instance metadata at " + target.endpoint +
                                      ": no answer within 1s (" + error.message + ")");
    if (response.status != 200)
        fail(KVPS_NO_CREDENTIALS, "s3: instance metadata at " + target.endpoint +
                                      ": PUT /latest/api/token answered HTTP " +
                                      std::to_string(response.status) + " (IMDSv2 unavailable)");
    return body_of(response);
}

HttpResponse metadata_get(HttpClient &client, const ImdsTarget &target, const std::string &token,
                          const std::string &path) {
    HttpRequest request;
    request.url = target.endpoint + path;
    request.headers = {"X-aws-ec2-metadata-token: " + token};
    return source_exchange(client, request, "instance metadata at " + target.endpoint);
}

}  // namespace

bool imds_disabled() {
    std::string value = env("AWS_EC2_METADATA_DISABLED");
    for (char &c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return value == "true";
}

ImdsTarget imds_target(const std::string &profile_endpoint, const HttpSettings &store_http) {
    ImdsTarget target;
    target.endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (target.endpoint.empty()) target.endpoint = profile_endpoint;
    if (target.endpoint.empty())
        target.endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE") == "IPv6"
                              ? "http://[fd00:ec2::254]"
                              : "http://169.254.169.254";
    while (target.endpoint.ends_with('/')) target.endpoint.pop_back();
    target.http = store_http;
    target.http.connect_timeout = std::chrono::seconds(1);
    target.http.stall_timeout = std::chrono::seconds(1);
    return target;
}

Credentials imds_credentials(const ImdsTarget &target) {
    HttpClient client(target.http);
    std::string token = session_token(client, target);
    const std::string base = "/latest/meta-data/iam/security-credentials/";
    HttpResponse roles = metadata_get(client, target, token, base);
    std::string role = body_of(roles);
    role = role.substr(0, role.find_first_of("\r\n"));
    if (roles.status == 404 || (roles.status == 200 && role.empty()))
        fail(KVPS_NO_CREDENTIALS,
             "s3: instance metadata at " + target.endpoint + ": the instance has no IAM role");
    std::string what = "instance metadata at " + target.endpoint + " (role '" + role + "')";
    if (roles.status != 200)
        fail(KVPS_REMOTE, "s3: instance metadata at " + target.endpoint + ": GET " + base +
                              " answered HTTP " + std::to_string(roles.status));
    HttpResponse answer = metadata_get(client, target, token, base + role);
    if (answer.status != 200)
        fail(KVPS_REMOTE, "s3: " + what + ": answered HTTP " + std::to_string(answer.status));
    JsonValue doc = parse_json(body_of(answer), what + "'s answer");
    if (std::string code = doc.text_of("Code"); !code.empty() && code != "Success")
        fail(KVPS_REMOTE, "s3: " + what + ": Code is '" + code + "', not Success");
    Credentials out{doc.text_of("AccessKeyId"), doc.text_of("SecretAccessKey"),
                    doc.text_of("Token"), "instance metadata (role '" + role + "')",
                    parse_expiration(doc.text_of("Expiration"))};
    if (out.access_key_id.empty() || out.secret_access_key.empty())
        fail(KVPS_REMOTE, "s3: " + what + ": the answer lacks AccessKeyId or SecretAccessKey");
    return out;
}

std::string imds_region(const ImdsTarget &target) {
    try {
        HttpClient client(target.http);
        std::string token = session_token(client, target);
        HttpResponse answer =
            metadata_get(client, target, token, "/latest/meta-data/placement/region");
        if (answer.status == 200) return body_of(answer);
    } catch (const Error &) {
        // No region from here: the caller falls back to us-east-1.
    }
    return "";
}

}  // namespace kvps::s3
