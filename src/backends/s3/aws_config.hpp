// The AWS shared files, read the way the AWS CLI reads them: ~/.aws/credentials ([NAME]
// sections) and ~/.aws/config ([default], [profile NAME], [sso-session NAME]), their paths
// overridable with AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE. A missing file is empty.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kvps::s3 {

// One section's settings; names lowercased. A nested block ("s3 =" followed by indented
// lines) is kept as "s3.name".
using IniSection = std::map<std::string, std::string>;

// The value of an environment variable; "" when unset.
std::string env(const char *name);

class AwsFiles {
public:
    // Reads both files now.
    static AwsFiles load();
    // The same from the files' texts (the fuzz target's way in).
    static AwsFiles parse(std::string_view credentials, std::string_view config);

    // True when either file has a section for the profile.
    bool has_profile(const std::string &name) const;
    // One setting of a profile: the credentials file's value, else the config file's; "" when
    // neither has it.
    std::string get(const std::string &profile, const std::string &name) const;
    // Only from the credentials file, or only from the config file.
    std::string from_credentials(const std::string &profile, const std::string &name) const;
    std::string from_config(const std::string &profile, const std::string &name) const;
    // An [sso-session NAME] section of the config file.
    std::optional<IniSection> sso_session(const std::string &name) const;

    // "PATH (missing)" for each file, credentials file first: for messages.
    std::string describe() const;

private:
    std::string credentials_path_, config_path_;
    bool credentials_found_ = false, config_found_ = false;
    std::map<std::string, IniSection> credentials_;  // profile name -> settings
    std::map<std::string, IniSection> config_;       // profile name -> settings
    std::map<std::string, IniSection> sso_sessions_;
};

// The profile kvps uses: the `profile` option when given, else AWS_PROFILE, else
// AWS_DEFAULT_PROFILE, else "default". `origin` says which, for messages ("" for the default).
struct ProfileChoice {
    std::string name;
    std::string origin;  // "option profile", "AWS_PROFILE", ... or "" when defaulted
};
ProfileChoice choose_profile(const std::optional<std::string> &option);

}  // namespace kvps::s3
