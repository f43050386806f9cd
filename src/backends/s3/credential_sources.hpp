// The credential sources that fetch temporary credentials: STS, SSO, credential_process,
// container and instance metadata endpoints. Each returns credentials with `source` and
// `expiration` set, or throws a kvps::Error naming the source; no message holds a secret.
#pragma once

#include <string>
#include <string_view>

#include "credentials.hpp"
#include "net/http.hpp"
#include "net/json.hpp"

namespace kvps::s3 {

using net::JsonValue;
using net::parse_json;

// One HTTP exchange for a credential source. Throws KVPS_NETWORK / KVPS_TIMEOUT naming `what`
// and the URL when no answer came back.
HttpResponse source_exchange(HttpClient &client, const HttpRequest &request, std::string_view what);

// "2026-12-01T08:00:00Z" (fractions and "+00:00" accepted) -> a time; nullopt when malformed.
std::optional<Clock::time_point> parse_expiration(std::string_view text);

// --- STS (sts.cpp). The endpoint: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, the profile's
// endpoint_url, else https://sts.REGION.amazonaws.com.
struct StsTarget {
    std::string endpoint;  // scheme://host[:port]
    std::string region;
    HttpSettings http;
};
struct AssumeRoleParams {
    std::string role_arn;
    std::string session_name;
    std::string external_id;  // optional
    std::string duration;     // seconds; "" = STS's default
    std::string source;       // for messages: "profile 'dev' (role_arn, STS AssumeRole)"
};
Credentials sts_assume_role(const StsTarget &sts, const Credentials &caller,
                            const AssumeRoleParams &params);
// The token is read from `token_file` at each call (it is rotated by its issuer).
Credentials sts_assume_role_with_web_identity(const StsTarget &sts, const AssumeRoleParams &params,
                                              const std::string &token_file);

// --- credential_process (process.cpp): runs `command` with /bin/sh -c, reads its JSON.
Credentials run_credential_process(const std::string &command, const std::string &source);

// --- SSO (sso.cpp): the cached token of `aws sso login`, then the portal's GetRoleCredentials.
struct SsoParams {
    std::string cache_key;  // the sso-session's name, or the legacy sso_start_url
    std::string region;     // sso_region
    std::string account_id;
    std::string role_name;
    std::string login_hint;  // "aws sso login --profile NAME", for messages
    std::string source;
    HttpSettings http;
};
Credentials sso_role_credentials(const SsoParams &params);

// --- container credentials (container.cpp).
// True when AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI is set.
bool container_configured();
// Where kvps would ask, for messages.
std::string container_endpoint();
Credentials container_credentials(const HttpSettings &http);

// --- instance metadata, IMDSv2 (imds.cpp). The endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT,
// the profile's ec2_metadata_service_endpoint, else http://169.254.169.254. Timeouts are short
// (1 s) so that a machine outside EC2 does not stall.
struct ImdsTarget {
    std::string endpoint;
    HttpSettings http;
};
ImdsTarget imds_target(const std::string &profile_endpoint, const HttpSettings &store_http);
bool imds_disabled();  // AWS_EC2_METADATA_DISABLED=true
// Throws KVPS_NO_CREDENTIALS when nothing answers or the instance has no role.
Credentials imds_credentials(const ImdsTarget &target);
// The instance's region; "" when it cannot be read.
std::string imds_region(const ImdsTarget &target);

}  // namespace kvps::s3
