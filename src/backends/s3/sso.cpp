// IAM Identity Center (SSO): the access token `aws sso login` cached in
// ~/.aws/sso/cache/SHA1(session name or legacy start URL).json, exchanged at the portal
// (https://portal.sso.REGION.amazonaws.com, or AWS_ENDPOINT_URL_SSO) for role credentials with
// GetRoleCredentials. kvps does not log in or refresh the token itself: an expired token is an
// error that says to run `aws sso login`.
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "aws_config.hpp"
#include "credential_sources.hpp"
#include "net/crypto.hpp"
#include "spi/error.hpp"
#include "spi/text.hpp"
#include "sigv4.hpp"

namespace kvps::s3 {
namespace {

std::string sha1_hex(const std::string &text) {
    return to_hex(net::digest(net::Algorithm::sha1, text));
}

}  // namespace

Credentials sso_role_credentials(const SsoParams &params) {
    std::string home = env("HOME");
    std::string cache = home + "/.aws/sso/cache/" + sha1_hex(params.cache_key) + ".json";
    std::ifstream in(cache, std::ios::binary);
    if (!in)
        fail(KVPS_NO_CREDENTIALS, "s3: " + params.source + ": no cached SSO token (" + cache +
                                      " is missing); run: " + params.login_hint);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    JsonValue token = parse_json(text, params.source + " token cache " + cache);
    std::string access_token = token.text_of("accessToken");
    std::optional<Clock::time_point> expires = parse_expiration(token.text_of("expiresAt"));
    if (access_token.empty() || !expires)
        fail(KVPS_NO_CREDENTIALS, "s3: " + params.source + ": the token cache " + cache +
                                      " lacks accessToken or expiresAt; run: " + params.login_hint);
    if (*expires <= Clock::now())
        fail(KVPS_NO_CREDENTIALS, "s3: " + params.source + ": the cached SSO token expired at " +
                                      token.text_of("expiresAt") + "; run: " + params.login_hint);

    std::string portal = env("AWS_ENDPOINT_URL_SSO");
    if (portal.empty()) portal = "https://portal.sso." + params.region + ".amazonaws.com";
    while (portal.ends_with('/')) portal.pop_back();
    HttpRequest request;
    request.url = portal +
                  "/federation/credentials?account_id=" + uri_encode(params.account_id, false) +
                  "&role_name=" + uri_encode(params.role_name, false);
    request.headers = {"x-amz-sso_bearer_token: " + access_token};
    HttpClient client(params.http);
    std::string what = params.source + " at " + portal;
    HttpResponse response = source_exchange(client, request, what);
    std::string_view body(response.body.data() ? response.body.data() : "", response.body.size());
    if (response.status == 401 || response.status == 403)
        fail(KVPS_PERMISSION_DENIED,
             "s3: " + what + ": GetRoleCredentials refused the cached token (HTTP " +
                 std::to_string(response.status) + "); run: " + params.login_hint);
    if (response.status != 200)
        fail(KVPS_REMOTE, "s3: " + what + ": GetRoleCredentials answered HTTP " +
                              std::to_string(response.status));
    JsonValue doc = parse_json(body, what + "'s answer");
    const JsonValue *role = doc.get("roleCredentials");
    if (!role) fail(KVPS_REMOTE, "s3: " + what + ": the answer has no roleCredentials");
    Credentials out{role->text_of("accessKeyId"), role->text_of("secretAccessKey"),
                    role->text_of("sessionToken"), params.source, std::nullopt};
    if (out.access_key_id.empty() || out.secret_access_key.empty())
        fail(KVPS_REMOTE, "s3: " + what + ": the answer lacks accessKeyId or secretAccessKey");
    // expiration: milliseconds since the epoch.
    if (std::string ms = role->text_of("expiration"); !ms.empty())
        out.expiration =
            Clock::time_point(std::chrono::milliseconds(std::strtoll(ms.c_str(), nullptr, 10)));
    return out;
}

}  // namespace kvps::s3
