// Where the s3 backend's credentials, region and endpoint come from, in the order the AWS tools
// use: the store's options, the URL's user info, the environment (AWS_*), then the shared
// files (~/.aws/credentials and ~/.aws/config, profile AWS_PROFILE or "default").
#pragma once

#include <optional>
#include <string>

#include "spi/options.hpp"

namespace kvps::s3 {

struct Credentials {
    std::string access_key_id;
    std::string secret_access_key;  // never put in a message or a log line
    std::string session_token;      // optional
    std::string source;             // where they came from, for messages ("environment", ...)
    bool anonymous() const { return access_key_id.empty(); }
};

// Throws KVPS_INVALID_OPTION when a source gives half a key pair. No credentials anywhere
// means anonymous (unsigned) requests, for public buckets.
Credentials resolve_credentials(const Config &config);

// The region: option, AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1.
std::string resolve_region(const Config &config);

// The endpoint: option, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url;
// nullopt means AWS itself.
std::optional<std::string> resolve_endpoint(const Config &config);

}  // namespace kvps::s3
