// Container credentials (ECS task roles, EKS Pod Identity): a GET on
// http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, or on
// AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http to a loopback or the ECS/EKS link-local
// addresses only), with the Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
// AWS_CONTAINER_AUTHORIZATION_TOKEN. The answer is JSON: AccessKeyId, SecretAccessKey, Token,
// Expiration.
#include <fstream>
#include <iterator>

#include "aws_config.hpp"
#include "credential_sources.hpp"
#include "spi/error.hpp"

namespace kvps::s3 {
namespace {

constexpr const char *kEcsHost = "http://169.254.170.2";

// The host of an http:// URL, without port or brackets.
std::string http_host(const std::string &url) {
    std::string rest = url.substr(7);
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (size_t at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
    if (rest.starts_with('[')) return rest.substr(1, rest.find(']') - 1);
    return rest.substr(0, rest.find(':'));
}

bool allowed_http_host(const std::string &host) {
    return host == "localhost" || host == "::1" || host.starts_with("127.") ||
           host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23";
}

}  // namespace

bool container_configured() {
    return !env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").empty() ||
           !env("AWS_CONTAINER_CREDENTIALS_FULL_URI").empty();
}

std::string container_endpoint() {
    if (std::string relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); !relative.empty())
        return kEcsHost + relative;
    return env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

Credentials container_credentials(const HttpSettings &store_http) {
    std::string url = container_endpoint();
    bool relative = !env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").empty();
    std::string source = std::string("container credentials (AWS_CONTAINER_CREDENTIALS_") +
                         (relative ? "RELATIVE_URI" : "FULL_URI") + ")";
    if (!relative && !url.starts_with("https://") &&
        !(url.starts_with("http://") && allowed_http_host(http_host(url))))
        fail(KVPS_INVALID_OPTION, "s3: " + source + ": '" + url +
                                      "' must be https, or http to a loopback address, "
                                      "169.254.170.2, 169.254.170.23 or fd00:ec2::23");
    HttpRequest request;
    request.url = url;
    std::string token;
    if (std::string file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !file.empty()) {
        std::ifstream in(file, std::ios::binary);
        if (!in)
            fail(KVPS_NO_CREDENTIALS, "s3: " + source +
                                          ": cannot read "
                                          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " +
                                          file);
        token.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } else {
        token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (token.find_first_of("\r\n") != std::string::npos)
        fail(KVPS_INVALID_OPTION, "s3: " + source + ": the authorization token has a line break");
    if (!token.empty()) request.headers.push_back("Authorization: " + token);
    HttpSettings http = store_http;
    http.connect_timeout = std::chrono::seconds(2);
    http.stall_timeout = std::chrono::seconds(2);
    HttpClient client(http);
    std::string what = source + " at " + url;
    HttpResponse response = source_exchange(client, request, what);
    if (response.status != 200)
        fail(
            response.status == 401 || response.status == 403 ? KVPS_PERMISSION_DENIED : KVPS_REMOTE,
            "s3: " + what + ": the endpoint answered HTTP " + std::to_string(response.status));
    JsonValue doc = parse_json(
        std::string_view(response.body.data() ? response.body.data() : "", response.body.size()),
        what + "'s answer");
    Credentials out{doc.text_of("AccessKeyId"), doc.text_of("SecretAccessKey"),
                    doc.text_of("Token"), source, parse_expiration(doc.text_of("Expiration"))};
    if (out.access_key_id.empty() || out.secret_access_key.empty())
        fail(KVPS_REMOTE, "s3: " + what + ": the answer lacks AccessKeyId or SecretAccessKey");
    return out;
}

}  // namespace kvps::s3
