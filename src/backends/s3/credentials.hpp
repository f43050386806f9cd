// Where the s3 backend's credentials, region and endpoint come from: the AWS SDKs' chain, in
// their order (see README.md, "Credentials"):
//   1. anonymous=true (no signing at all), the options access_key_id/secret_access_key/
//      session_token, the URL's user:password;
//   2. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (skipped
//      when the profile option names a profile, as the AWS CLI's --profile does);
//   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN -> STS AssumeRoleWithWebIdentity;
//   4. the shared files' profile (option profile, AWS_PROFILE, else "default"): role_arn with
//      source_profile / credential_source / web_identity_token_file (STS AssumeRole, chained),
//      sso_session or legacy sso_* (cached token, GetRoleCredentials), static keys of the
//      credentials file, credential_process, static keys of the config file;
//   5. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI);
//   6. instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED=true.
// Nothing found is KVPS_NO_CREDENTIALS with every place looked at, in order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "spi/options.hpp"
#include "net/http.hpp"

namespace kvps::s3 {

// The shared HTTP layer (src/net), by the names the s3 code has always used.
using net::HttpClient;
using net::HttpRequest;
using net::HttpResponse;
using net::HttpSettings;
using net::TransportError;

using Clock = std::chrono::system_clock;

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;  // never put in a message or a log line
    std::string session_token;      // optional; never in a message either
    std::string source;             // where they came from, for messages ("the environment", ...)
    std::optional<Clock::time_point> expiration;  // temporary credentials only
    bool anonymous() const { return access_key_id.empty(); }
};

// The credentials a store signs with, thread-safe. Temporary credentials are fetched again
// from their source ahead of expiry: from kRefreshAhead before it one caller refreshes while
// the others go on with the current ones; from kMustRefresh before it, callers wait for fresh
// ones. A refresh that fails while the current ones are still good is logged (WARN) and tried
// again later. An I/O thread that must never block asks with get_or_wait / renew_or_wait: a
// refresh it needs runs on a thread of its own, and it is called back.
class CredentialProvider : public std::enable_shared_from_this<CredentialProvider> {
public:
    using Fetch = std::function<Credentials()>;
    // Called once a refresh a caller waits for ended: with the credentials to sign with, or
    // (nullptr) with what the refresh threw. Runs on the thread that refreshed; must not block.
    using Ready = std::function<void(std::shared_ptr<const Credentials>, std::exception_ptr)>;
    static constexpr std::chrono::seconds kRefreshAhead{300};
    static constexpr std::chrono::seconds kMustRefresh{60};
    static constexpr std::chrono::seconds kRetryPause{30};

    // Fixed credentials (or anonymous ones): never refreshed.
    explicit CredentialProvider(Credentials fixed);
    // Credentials from a source that can be asked again with `fetch`.
    CredentialProvider(Credentials first, Fetch fetch);

    // The credentials to sign the next request with.
    std::shared_ptr<const Credentials> get();
    // The server refused `used` as expired (ExpiredToken): fresh credentials from the source,
    // once for all the threads that saw the same refusal. nullptr when the source cannot be
    // asked again. Throws what the source throws.
    std::shared_ptr<const Credentials> renew(const std::shared_ptr<const Credentials> &used);
    // The current credentials, never refreshing (for scrubbing messages).
    std::shared_ptr<const Credentials> peek() const;
    // Whether the source can be asked again (renew does something).
    bool renewable() const { return static_cast<bool>(fetch_); }

    // get() that never blocks (the provider must be owned by a shared_ptr): the credentials to
    // sign with; or nullptr when they must be refreshed first: the refresh then runs on a
    // thread of its own (or is already running), and ready is called once it ended. A refresh
    // ahead of expiry runs on its own thread too, while the current credentials are returned.
    std::shared_ptr<const Credentials> get_or_wait(Ready ready);
    // renew() that never blocks: false when the source cannot be asked again; else ready is
    // called with fresh credentials (or what renewing threw), possibly before this returns.
    bool renew_or_wait(const std::shared_ptr<const Credentials> &used, Ready ready);

private:
    std::shared_ptr<const Credentials> refresh(std::unique_lock<std::mutex> &lock, bool must);
    // After a refresh (fresh, or error): the new state; tells every waiter. Called with lock
    // held; returns with it held (released while waiters are called).
    void refreshed(std::unique_lock<std::mutex> &lock, std::shared_ptr<const Credentials> fresh,
                   std::exception_ptr error, bool must);
    // Starts a refresh on a thread of its own (refreshing_ must be false). lock held.
    void refresh_in_background(bool must);

    mutable std::mutex mutex_;
    std::condition_variable refreshed_;
    std::shared_ptr<const Credentials> current_;
    Fetch fetch_;
    bool refreshing_ = false;
    Clock::time_point next_try_{};  // no optional refresh before this
    struct Waiter {
        Ready ready;
        bool renewal;  // renew_or_wait's: a failed refresh fails it, whatever the expiry says
    };
    std::vector<Waiter> waiting_;  // get_or_wait / renew_or_wait callers, until the refresh ends
};

// Runs the chain (which may call STS, SSO, a process, container or instance metadata
// endpoints; `http` gives their TLS settings). Throws KVPS_NO_CREDENTIALS when no source has
// credentials, KVPS_INVALID_OPTION for half a key pair, and the failing source's status, named,
// when a configured source fails. When `region` is non-null and empty, it receives the
// instance's region if the credentials came from instance metadata.
std::shared_ptr<CredentialProvider> resolve_credentials(const Config &config,
                                                        const HttpSettings &http = {},
                                                        std::string *region = nullptr);

// The region: option, AWS_REGION, AWS_DEFAULT_REGION, the profile's region; "" when none
// (the caller then asks the credential chain, else uses us-east-1).
std::string resolve_region(const Config &config);

// The endpoint: option, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url;
// nullopt means AWS itself.
std::optional<std::string> resolve_endpoint(const Config &config);

}  // namespace kvps::s3
