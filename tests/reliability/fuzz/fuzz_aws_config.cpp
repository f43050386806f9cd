// libFuzzer: the AWS shared files parser (src/backends/s3/aws_config.cpp). The input is the
// credentials file, a NUL, then the config file. Never a crash; every [NAME] section of the
// credentials file is a profile; a value read back is trimmed, one line, and the
// credentials file's value wins over the config file's.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "aws_config.hpp"

namespace {

bool untrimmed(std::string_view value) {
    if (value.empty()) return false;
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    return blank(value.front()) || blank(value.back()) ||
           value.find('\n') != std::string_view::npos;
}

// The [NAME] headers of an INI text, trimmed as the parser trims them.
std::vector<std::string> headers_of(std::string_view text) {
    std::vector<std::string> out;
    auto trim = [](std::string_view s) {
        size_t b = s.find_first_not_of(" \t\r");
        if (b == std::string_view::npos) return std::string();
        return std::string(s.substr(b, s.find_last_not_of(" \t\r") - b + 1));
    };
    while (!text.empty()) {
        size_t end = text.find('\n');
        std::string line = trim(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (line.size() >= 2 && line.front() == '[' && line.back() == ']')
            out.push_back(trim(std::string_view(line).substr(1, line.size() - 2)));
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view input(reinterpret_cast<const char *>(data), size);
    size_t nul = input.find('\0');
    std::string_view credentials = input.substr(0, nul);
    std::string_view config =
        nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
    kvps::s3::AwsFiles files = kvps::s3::AwsFiles::parse(credentials, config);

    std::vector<std::string> profiles = headers_of(credentials);
    for (const std::string &header : headers_of(config)) {
        if (header.starts_with("profile ")) profiles.push_back(header.substr(8));
        if (header.starts_with("sso-session ")) files.sso_session(header.substr(12));
    }
    profiles.push_back("default");
    for (const std::string &name : headers_of(credentials))
        if (!files.has_profile(name)) std::abort();  // a section the parser lost
    for (std::string profile : profiles) {
        size_t b = profile.find_first_not_of(" \t\r");
        profile = b == std::string::npos ? "" : profile.substr(b);
        for (const char *setting :
             {"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "region",
              "s3.endpoint_url", "endpoint_url", "sso_session", "credential_process",
              "source_profile", "role_arn"}) {
            std::string mine = files.from_credentials(profile, setting);
            std::string theirs = files.from_config(profile, setting);
            std::string got = files.get(profile, setting);
            if (untrimmed(mine) || untrimmed(theirs)) std::abort();
            if (got != (mine.empty() ? theirs : mine)) std::abort();
        }
    }
    return 0;
}
