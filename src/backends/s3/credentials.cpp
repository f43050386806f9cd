// The credential chain (order in credentials.hpp), the refreshing provider, region and
// endpoint resolution.
#include "credentials.hpp"

#include <ctime>
#include <thread>
#include <vector>

#include "aws_config.hpp"
#include "credential_sources.hpp"
#include "spi/error.hpp"
#include "spi/log.hpp"

namespace kvps::s3 {

// --- CredentialProvider

CredentialProvider::CredentialProvider(Credentials fixed)
    : current_(std::make_shared<const Credentials>(std::move(fixed))) {}

CredentialProvider::CredentialProvider(Credentials first, Fetch fetch)
    : current_(std::make_shared<const Credentials>(std::move(first))), fetch_(std::move(fetch)) {}

std::shared_ptr<const Credentials> CredentialProvider::peek() const {
    std::lock_guard lock(mutex_);
    return current_;
}

std::shared_ptr<const Credentials> CredentialProvider::get() {
    std::unique_lock lock(mutex_);
    if (!fetch_ || !current_->expiration) return current_;
    Clock::time_point now = Clock::now();
    Clock::time_point expiry = *current_->expiration;
    if (now < expiry - kRefreshAhead) return current_;
    bool must = now >= expiry - kMustRefresh;
    if (!must) {
        // Someone is on it, or the last try failed a moment ago: go on with the current ones.
        if (refreshing_ || now < next_try_) return current_;
        return refresh(lock, false);
    }
    if (refreshing_) {
        refreshed_.wait(lock, [&] { return !refreshing_; });
        if (current_->expiration && Clock::now() < *current_->expiration - kMustRefresh)
            return current_;
    }
    return refresh(lock, true);
}

std::shared_ptr<const Credentials> CredentialProvider::renew(
    const std::shared_ptr<const Credentials> &used) {
    std::unique_lock lock(mutex_);
    if (!fetch_) return nullptr;
    refreshed_.wait(lock, [&] { return !refreshing_; });
    if (current_ != used) return current_;  // another thread renewed them already
    return refresh(lock, true);
}

std::shared_ptr<const Credentials> CredentialProvider::refresh(std::unique_lock<std::mutex> &lock,
                                                               bool must) {
    refreshing_ = true;
    lock.unlock();
    std::shared_ptr<const Credentials> fresh;
    std::exception_ptr error;
    try {
        fresh = std::make_shared<const Credentials>(fetch_());
    } catch (...) {
        error = std::current_exception();
    }
    lock.lock();
    refreshed(lock, fresh, error, must);
    if (fresh) return fresh;
    if (must) std::rethrow_exception(error);
    return current_;
}

void CredentialProvider::refreshed(std::unique_lock<std::mutex> &lock,
                                   std::shared_ptr<const Credentials> fresh,
                                   std::exception_ptr error, bool must) {
    refreshing_ = false;
    next_try_ = Clock::now() + kRetryPause;
    refreshed_.notify_all();
    if (fresh) {
        current_ = fresh;
    } else if (!must) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception &e) {
            log(KVPS_LOG_WARN,
                std::string("s3: refreshing the credentials from ") + current_->source +
                    " failed (the current ones stay in use until they expire): " + e.what());
        }
    }
    std::vector<Waiter> waiters;
    waiters.swap(waiting_);
    if (waiters.empty()) return;
    // After a failed refresh, a waiter still signs with the current credentials while they
    // are good for kMustRefresh; else it fails as a blocking caller would.
    bool usable =
        fresh || !current_->expiration || Clock::now() < *current_->expiration - kMustRefresh;
    std::shared_ptr<const Credentials> current = current_;
    lock.unlock();
    for (Waiter &w : waiters) {
        if (fresh || (usable && !w.renewal))
            w.ready(current, nullptr);
        else
            w.ready(nullptr, error);
    }
    lock.lock();
}

void CredentialProvider::refresh_in_background(bool must) {
    refreshing_ = true;
    try {
        std::thread([self = shared_from_this(), must] {
            std::shared_ptr<const Credentials> fresh;
            std::exception_ptr error;
            try {
                fresh = std::make_shared<const Credentials>(self->fetch_());
            } catch (...) {
                error = std::current_exception();
            }
            std::unique_lock lock(self->mutex_);
            self->refreshed(lock, std::move(fresh), std::move(error), must);
        }).detach();
    } catch (...) {
        refreshing_ = false;
        throw;
    }
}

std::shared_ptr<const Credentials> CredentialProvider::get_or_wait(Ready ready) {
    std::unique_lock lock(mutex_);
    if (!fetch_ || !current_->expiration) return current_;
    Clock::time_point now = Clock::now();
    Clock::time_point expiry = *current_->expiration;
    if (now < expiry - kRefreshAhead) return current_;
    if (now < expiry - kMustRefresh) {  // ahead of expiry: refresh meanwhile
        if (!refreshing_ && now >= next_try_) refresh_in_background(false);
        return current_;
    }
    if (!refreshing_) refresh_in_background(true);
    waiting_.push_back({std::move(ready), false});
    return nullptr;
}

bool CredentialProvider::renew_or_wait(const std::shared_ptr<const Credentials> &used,
                                       Ready ready) {
    std::unique_lock lock(mutex_);
    if (!fetch_) return false;
    if (!refreshing_ && current_ != used) {  // another caller renewed them already
        std::shared_ptr<const Credentials> current = current_;
        lock.unlock();
        ready(std::move(current), nullptr);
        return true;
    }
    if (!refreshing_) refresh_in_background(true);
    waiting_.push_back({std::move(ready), true});
    return true;
}

namespace {

// Everything the chain needs to look at, loaded once per open.
class Chain {
public:
    Chain(const Config &config, const HttpSettings &http)
        : config_(config),
          http_(http),
          files_(AwsFiles::load()),
          profile_(choose_profile(config.given("profile") ? std::optional(config.string("profile"))
                                                          : std::nullopt)) {}

    std::shared_ptr<CredentialProvider> resolve(std::string *region);

    // Credentials found, with the way to fetch them again when they are temporary.
    using Found = std::optional<std::pair<Credentials, CredentialProvider::Fetch>>;

private:
    std::string option(const char *name) const {
        return config_.given(name) ? config_.string(name) : std::string();
    }
    Found fixed(std::string id, std::string secret, std::string token, const std::string &source);
    Found web_identity_from_env();
    Found from_profile(const std::string &name, std::vector<std::string> &visited);
    Found assume_role(const std::string &name, std::vector<std::string> &visited);
    Found sso(const std::string &name);
    StsTarget sts_target(const std::string &profile) const;
    std::string profile_label(const std::string &name) const { return "profile '" + name + "'"; }

    const Config &config_;
    HttpSettings http_;
    AwsFiles files_;
    ProfileChoice profile_;
    std::vector<std::string> looked_;  // the places looked at, for the "nothing found" message
};

// Ready-made credentials; a fetch that is repeated for temporary ones.
Chain::Found found(Credentials first, CredentialProvider::Fetch again = nullptr) {
    return std::make_pair(std::move(first), std::move(again));
}

Chain::Found fetched(CredentialProvider::Fetch fetch) {
    Credentials first = fetch();
    return found(std::move(first), std::move(fetch));
}

Chain::Found Chain::fixed(std::string id, std::string secret, std::string token,
                          const std::string &source) {
    if (id.empty() && secret.empty()) return std::nullopt;
    if (id.empty() || secret.empty())
        fail(KVPS_INVALID_OPTION,
             "s3: credentials from " + source + ": " +
                 (id.empty() ? "a secret access key without an access key id"
                             : "an access key id without a secret access key"));
    return found(Credentials{std::move(id), std::move(secret), std::move(token), source, {}});
}

std::string session_name(std::string given) {
    if (!given.empty()) return given;
    return "kvps-session-" + std::to_string(std::time(nullptr));
}

StsTarget Chain::sts_target(const std::string &profile) const {
    StsTarget sts;
    sts.http = http_;
    sts.region = resolve_region(config_);
    if (sts.region.empty()) sts.region = files_.from_config(profile, "region");
    if (sts.region.empty()) sts.region = "us-east-1";
    for (const char *name : {"AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"})
        if (sts.endpoint.empty()) sts.endpoint = env(name);
    if (sts.endpoint.empty()) sts.endpoint = files_.from_config(profile, "endpoint_url");
    if (sts.endpoint.empty()) sts.endpoint = "https://sts." + sts.region + ".amazonaws.com";
    while (sts.endpoint.ends_with('/')) sts.endpoint.pop_back();
    return sts;
}

Chain::Found Chain::web_identity_from_env() {
    std::string token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE");
    std::string role = env("AWS_ROLE_ARN");
    looked_.push_back("web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)");
    if (token_file.empty() && role.empty()) return std::nullopt;
    if (token_file.empty() || role.empty())
        fail(KVPS_INVALID_OPTION,
             std::string("s3: web identity credentials need both "
                         "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN; ") +
                 (role.empty() ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE") + " is not set");
    AssumeRoleParams params{
        role, session_name(env("AWS_ROLE_SESSION_NAME")), "", "",
        "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, STS AssumeRoleWithWebIdentity)"};
    StsTarget sts = sts_target(profile_.name);
    return fetched([sts, params, token_file] {
        return sts_assume_role_with_web_identity(sts, params, token_file);
    });
}

// credential_source: where a role's caller credentials come from instead of a source_profile.
Credentials credential_source(const std::string &what, const std::string &which,
                              const std::string &imds_endpoint, const HttpSettings &http) {
    if (which == "Environment") {
        std::string id = env("AWS_ACCESS_KEY_ID"), secret = env("AWS_SECRET_ACCESS_KEY");
        if (id.empty() || secret.empty())
            fail(KVPS_NO_CREDENTIALS, "s3: " + what +
                                          ": AWS_ACCESS_KEY_ID and "
                                          "AWS_SECRET_ACCESS_KEY are not both set");
        return Credentials{id, secret, env("AWS_SESSION_TOKEN"), "the environment", {}};
    }
    if (which == "EcsContainer") {
        if (!container_configured())
            fail(KVPS_NO_CREDENTIALS, "s3: " + what +
                                          ": AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
                                          "and _FULL_URI are not set");
        return container_credentials(http);
    }
    if (which == "Ec2InstanceMetadata") return imds_credentials(imds_target(imds_endpoint, http));
    fail(KVPS_INVALID_OPTION, "s3: " + what +
                                  " is not one of Environment, EcsContainer, "
                                  "Ec2InstanceMetadata");
}

// role_arn: STS AssumeRole with the credentials of source_profile (itself possibly a role:
// chained) or of credential_source, or AssumeRoleWithWebIdentity with web_identity_token_file.
Chain::Found Chain::assume_role(const std::string &name, std::vector<std::string> &visited) {
    std::string label = profile_label(name);
    AssumeRoleParams params{files_.get(name, "role_arn"),
                            session_name(files_.get(name, "role_session_name")),
                            files_.get(name, "external_id"), files_.get(name, "duration_seconds"),
                            label + " (role_arn, STS AssumeRole)"};
    StsTarget sts = sts_target(name);
    std::string token_file = files_.get(name, "web_identity_token_file");
    std::string source_profile = files_.get(name, "source_profile");
    std::string source = files_.get(name, "credential_source");
    if (!token_file.empty()) {
        params.source = label + " (web_identity_token_file, STS AssumeRoleWithWebIdentity)";
        return fetched([sts, params, token_file] {
            return sts_assume_role_with_web_identity(sts, params, token_file);
        });
    }
    if (source_profile.empty() == source.empty())
        fail(KVPS_INVALID_OPTION,
             "s3: " + label + " has role_arn and " +
                 (source.empty() ? "neither source_profile nor credential_source"
                                 : "both source_profile and credential_source") +
                 " (in " + files_.describe() + ")");
    CredentialProvider::Fetch caller;
    if (!source.empty()) {
        std::string what = label + " credential_source " + source;
        std::string imds = files_.from_config(name, "ec2_metadata_service_endpoint");
        caller = [what, source, imds, http = http_] {
            return credential_source(what, source, imds, http);
        };
    } else {
        Found base;
        if (source_profile == name) {
            // A profile may name itself to take its own static keys as the role's caller.
            base = fixed(files_.get(name, "aws_access_key_id"),
                         files_.get(name, "aws_secret_access_key"),
                         files_.get(name, "aws_session_token"), label);
            if (!base)
                fail(KVPS_NO_CREDENTIALS, "s3: " + label +
                                              " is its own source_profile but has "
                                              "no aws_access_key_id");
        } else {
            for (const std::string &seen : visited)
                if (seen == source_profile)
                    fail(KVPS_INVALID_OPTION, "s3: " + label + ": source_profile '" +
                                                  source_profile + "' makes a loop of profiles");
            if (!files_.has_profile(source_profile))
                fail(KVPS_NO_CREDENTIALS, "s3: " + label + ": its source_profile '" +
                                              source_profile + "' is in neither " +
                                              files_.describe());
            base = from_profile(source_profile, visited);
            if (!base)
                fail(KVPS_NO_CREDENTIALS, "s3: " + label + ": its source_profile '" +
                                              source_profile + "' has no credentials");
        }
        // The caller's credentials: fetched again with the role's when they are temporary.
        auto first = std::make_shared<Credentials>(base->first);
        CredentialProvider::Fetch again = base->second;
        caller = [first, again]() mutable {
            if (again && first->expiration &&
                Clock::now() >= *first->expiration - CredentialProvider::kMustRefresh)
                *first = again();
            return *first;
        };
    }
    return fetched([sts, params, caller] { return sts_assume_role(sts, caller(), params); });
}

Chain::Found Chain::sso(const std::string &name) {
    std::string label = profile_label(name);
    SsoParams params;
    params.account_id = files_.get(name, "sso_account_id");
    params.role_name = files_.get(name, "sso_role_name");
    params.http = http_;
    params.login_hint = "aws sso login --profile " + name;
    if (std::string session = files_.get(name, "sso_session"); !session.empty()) {
        std::optional<IniSection> section = files_.sso_session(session);
        if (!section)
            fail(KVPS_INVALID_OPTION, "s3: " + label + " names sso_session '" + session +
                                          "', which has no [sso-session " + session +
                                          "] section in " + files_.describe());
        params.cache_key = session;
        params.region = (*section)["sso_region"];
        params.source = label + " (sso_session '" + session + "', SSO GetRoleCredentials)";
    } else {
        params.cache_key = files_.get(name, "sso_start_url");
        params.region = files_.get(name, "sso_region");
        params.source = label + " (legacy sso_start_url, SSO GetRoleCredentials)";
    }
    for (auto [value, key] : {std::pair{&params.account_id, "sso_account_id"},
                              {&params.role_name, "sso_role_name"},
                              {&params.region, "sso_region"}})
        if (value->empty())
            fail(KVPS_INVALID_OPTION, "s3: " + label + " uses SSO but has no " + key + " (in " +
                                          files_.describe() + ")");
    return fetched([params] { return sso_role_credentials(params); });
}

// One profile's credentials, in the AWS CLI's order.
Chain::Found Chain::from_profile(const std::string &name, std::vector<std::string> &visited) {
    visited.push_back(name);
    std::string label = profile_label(name);
    if (!files_.get(name, "role_arn").empty()) return assume_role(name, visited);
    if (!files_.get(name, "sso_session").empty() || !files_.get(name, "sso_start_url").empty())
        return sso(name);
    if (Found f = fixed(files_.from_credentials(name, "aws_access_key_id"),
                        files_.from_credentials(name, "aws_secret_access_key"),
                        files_.from_credentials(name, "aws_session_token"),
                        label + " of the shared credentials file"))
        return f;
    if (std::string command = files_.get(name, "credential_process"); !command.empty()) {
        std::string source = label + " (credential_process)";
        return fetched([command, source] { return run_credential_process(command, source); });
    }
    return fixed(files_.from_config(name, "aws_access_key_id"),
                 files_.from_config(name, "aws_secret_access_key"),
                 files_.from_config(name, "aws_session_token"),
                 label + " of the shared config file");
}

std::shared_ptr<CredentialProvider> Chain::resolve(std::string *region) {
    auto provider = [](Found f) {
        return f->second
                   ? std::make_shared<CredentialProvider>(std::move(f->first), std::move(f->second))
                   : std::make_shared<CredentialProvider>(std::move(f->first));
    };
    bool anonymous = config_.given("anonymous") && config_.boolean("anonymous");
    if (anonymous) {
        for (const char *name : {"access_key_id", "secret_access_key", "session_token"})
            if (config_.given(name))
                fail(KVPS_INVALID_OPTION, std::string("s3: option anonymous=true and option ") +
                                              name + " contradict each other");
        return std::make_shared<CredentialProvider>(Credentials{{}, {}, {}, "anonymous=true", {}});
    }
    looked_.push_back("the options access_key_id/secret_access_key");
    if (Found f = fixed(option("access_key_id"), option("secret_access_key"),
                        option("session_token"), "the options"))
        return provider(std::move(f));
    const Url &url = config_.url();
    looked_.push_back("the URL's user:password");
    if (Found f = fixed(url.user, url.password, option("session_token"), "the URL"))
        return provider(std::move(f));
    if (profile_.origin == "option profile") {
        looked_.push_back("the environment (skipped: option profile names the profile)");
    } else {
        looked_.push_back("the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)");
        if (Found f = fixed(env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"),
                            env("AWS_SESSION_TOKEN"),
                            "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"))
            return provider(std::move(f));
    }
    if (Found f = web_identity_from_env()) return provider(std::move(f));

    std::string label = profile_label(profile_.name);
    if (!files_.has_profile(profile_.name)) {
        if (!profile_.origin.empty())
            fail(KVPS_NO_CREDENTIALS, "s3: " + label + " (from " + profile_.origin +
                                          ") is in neither " + files_.describe());
        looked_.push_back("profile 'default' of " + files_.describe() + ": no such profile");
    } else {
        looked_.push_back(label + " of " + files_.describe() + ": no credentials in it");
        std::vector<std::string> visited;
        if (Found f = from_profile(profile_.name, visited)) return provider(std::move(f));
    }

    looked_.push_back("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, _FULL_URI)");
    if (container_configured()) {
        return provider(fetched([http = http_] { return container_credentials(http); }));
    }

    if (imds_disabled()) {
        looked_.push_back("instance metadata (skipped: AWS_EC2_METADATA_DISABLED=true)");
    } else {
        ImdsTarget imds =
            imds_target(files_.from_config(profile_.name, "ec2_metadata_service_endpoint"), http_);
        try {
            Found f = fetched([imds] { return imds_credentials(imds); });
            if (region && region->empty()) *region = imds_region(imds);
            return provider(std::move(f));
        } catch (const Error &e) {
            if (e.status() != KVPS_NO_CREDENTIALS) throw;
            looked_.push_back(e.message().substr(e.message().starts_with("s3: ") ? 4 : 0));
        }
    }
    std::string message =
        "s3: no credentials found (anonymous=true sends unsigned requests). Looked at, in order:";
    for (size_t i = 0; i < looked_.size(); ++i)
        message += " " + std::to_string(i + 1) + ". " + looked_[i] + ";";
    message.back() = '.';
    fail(KVPS_NO_CREDENTIALS, message);
}

std::string profile_setting(const Config &config, const char *name) {
    ProfileChoice profile = choose_profile(
        config.given("profile") ? std::optional(config.string("profile")) : std::nullopt);
    return AwsFiles::load().from_config(profile.name, name);
}

}  // namespace

std::shared_ptr<CredentialProvider> resolve_credentials(const Config &config,
                                                        const HttpSettings &http,
                                                        std::string *region) {
    return Chain(config, http).resolve(region);
}

std::string resolve_region(const Config &config) {
    if (config.given("region")) return config.string("region");
    for (const char *name : {"AWS_REGION", "AWS_DEFAULT_REGION"})
        if (std::string value = env(name); !value.empty()) return value;
    return profile_setting(config, "region");
}

std::optional<std::string> resolve_endpoint(const Config &config) {
    if (config.given("endpoint")) return config.string("endpoint");
    for (const char *name : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"})
        if (std::string value = env(name); !value.empty()) return value;
    if (std::string value = profile_setting(config, "endpoint_url"); !value.empty()) return value;
    return std::nullopt;
}

}  // namespace kvps::s3
