// SigV4 against the AWS signing test suite (../shared/sigv4-test-suite/v4, read at run time):
// for every case that applies to S3 header signing, the canonical request, the string to sign,
// the signature and the Authorization header must match byte for byte.
//
//     s3_sigv4_test SUITE_DIR        (SUITE_DIR holds v4/)
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sigv4.hpp"

// cmocka last: it defines macros (fail, skip) that clash with standard headers.
#include <cstdarg>
#include <csetjmp>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

namespace fs = std::filesystem;
using kvps::s3::SigningRequest;

namespace {

std::string slurp(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) fail_msg("cannot read %s", path.c_str());
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// The string value of "name": "..." in a flat JSON object (the context files are simple).
std::string json_string(const std::string &json, const std::string &name) {
    size_t at = json.find('"' + name + '"');
    if (at == std::string::npos) return "";
    size_t open = json.find('"', json.find(':', at) + 1);
    size_t close = json.find('"', open + 1);
    return json.substr(open + 1, close - open - 1);
}

bool json_true(const std::string &json, const std::string &name) {
    size_t at = json.find('"' + name + '"');
    if (at == std::string::npos) return false;
    size_t value = json.find_first_not_of(" :", at + name.size() + 2);
    return json.compare(value, 4, "true") == 0;
}

int hex_value(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

std::string percent_decode(const std::string &text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

struct Case {
    fs::path dir;
    std::string name;
};

// S3 signs the path as sent: cases whose expected result comes from normalizing a path with
// dot segments or repeated slashes do not apply.
bool changed_by_normalization(const std::string &path) {
    return path.find("//") != std::string::npos || path.find("/./") != std::string::npos ||
           path.find("/../") != std::string::npos || path.ends_with("/.") || path.ends_with("/..");
}

struct ParsedRequest {
    std::string method, path, query, body;
    std::vector<std::pair<std::string, std::string>> headers;
};

ParsedRequest parse_request(const std::string &text) {
    ParsedRequest out;
    size_t line_end = text.find('\n');
    std::string line = text.substr(0, line_end);
    size_t space = line.find(' ');
    size_t version = line.rfind(" HTTP/");
    out.method = line.substr(0, space);
    std::string target = line.substr(space + 1, version - space - 1);
    size_t question = target.find('?');
    out.path = target.substr(0, question);
    if (question != std::string::npos) out.query = target.substr(question + 1);
    size_t pos = line_end + 1;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string header = text.substr(pos, end - pos);
        pos = end + 1;
        if (header.empty()) {
            out.body = pos < text.size() ? text.substr(pos) : "";
            break;
        }
        if (header[0] == ' ' || header[0] == '\t') {  // a folded continuation line
            out.headers.back().second += ' ' + header;
            continue;
        }
        size_t colon = header.find(':');
        out.headers.emplace_back(header.substr(0, colon), header.substr(colon + 1));
    }
    return out;
}

bool applies_to_s3(const Case &c) {
    std::string context = slurp(c.dir / "context.json");
    return !json_true(context, "normalize") ||
           !changed_by_normalization(parse_request(slurp(c.dir / "request.txt")).path);
}

void check_case(void **state) {
    const Case &c = *static_cast<const Case *>(*state);
    if (!applies_to_s3(c)) {  // skip() jumps out: no C++ object may be alive here
        print_message("%s: not applicable (S3 signs paths unnormalized)\n", c.name.c_str());
        skip();
    }
    std::string context = slurp(c.dir / "context.json");
    ParsedRequest request = parse_request(slurp(c.dir / "request.txt"));

    std::string timestamp = json_string(context, "timestamp");  // 2015-08-30T12:36:00Z
    std::string amz_date;
    for (char ch : timestamp)
        if (ch != '-' && ch != ':') amz_date += ch;
    std::string region = json_string(context, "region");
    std::string service = json_string(context, "service");
    std::string token = json_string(context, "token");
    std::string payload_hash = kvps::s3::sha256_hex(request.body);

    SigningRequest signing;
    signing.method = request.method;
    std::string encoded_path = kvps::s3::uri_encode(request.path, true);
    signing.path = encoded_path;
    std::stringstream query(request.query);
    for (std::string part; std::getline(query, part, '&');) {
        if (part.empty()) continue;
        size_t eq = part.find('=');
        signing.query.emplace_back(
            percent_decode(part.substr(0, eq)),
            eq == std::string::npos ? "" : percent_decode(part.substr(eq + 1)));
    }
    signing.headers = request.headers;
    signing.headers.emplace_back("X-Amz-Date", amz_date);
    if (!token.empty() && !json_true(context, "omit_session_token"))
        signing.headers.emplace_back("X-Amz-Security-Token", token);
    if (json_true(context, "sign_body"))
        signing.headers.emplace_back("X-Amz-Content-Sha256", payload_hash);
    signing.payload_hash = payload_hash;
    signing.amz_date = amz_date;
    signing.region = region;
    signing.service = service;

    kvps::s3::Signature got = kvps::s3::sign(signing, json_string(context, "access_key_id"),
                                             json_string(context, "secret_access_key"));

    assert_string_equal(got.canonical_request.c_str(),
                        slurp(c.dir / "header-canonical-request.txt").c_str());
    assert_string_equal(got.string_to_sign.c_str(),
                        slurp(c.dir / "header-string-to-sign.txt").c_str());
    assert_string_equal(got.signature.c_str(), slurp(c.dir / "header-signature.txt").c_str());
    std::string signed_request = slurp(c.dir / "header-signed-request.txt");
    size_t auth = signed_request.find("Authorization:");
    assert_true(auth != std::string::npos);
    size_t auth_end = signed_request.find('\n', auth);
    std::string expected = signed_request.substr(auth + 14, auth_end - auth - 14);
    assert_string_equal(got.authorization.c_str(), expected.c_str());
}

void uri_encoding(void **) {
    assert_string_equal(kvps::s3::uri_encode("a b+c%d~e*f'g/h", true).c_str(),
                        "a%20b%2Bc%25d~e%2Af%27g/h");
    assert_string_equal(kvps::s3::uri_encode("a/b", false).c_str(), "a%2Fb");
    assert_string_equal(kvps::s3::uri_encode("\xc3\xa9", true).c_str(), "%C3%A9");
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SIGV4_TEST_SUITE_DIR\n", argv[0]);
        return 2;
    }
    fs::path root = fs::path(argv[1]) / "v4";
    if (!fs::is_directory(root)) {
        fprintf(stderr, "%s: no test vectors at %s\n", argv[0], root.c_str());
        return 1;
    }
    std::vector<Case> cases;
    for (const auto &entry : fs::directory_iterator(root))
        if (entry.is_directory() && fs::exists(entry.path() / "header-canonical-request.txt"))
            cases.push_back({entry.path(), entry.path().filename().string()});
    std::sort(cases.begin(), cases.end(),
              [](const Case &a, const Case &b) { return a.name < b.name; });
    if (cases.empty()) {
        fprintf(stderr, "%s: no cases in %s\n", argv[0], root.c_str());
        return 1;
    }

    std::vector<CMUnitTest> tests;
    tests.push_back(cmocka_unit_test(uri_encoding));
    for (Case &c : cases) {
        CMUnitTest t = cmocka_unit_test_prestate(check_case, &c);
        t.name = c.name.c_str();
        tests.push_back(t);
    }
    return _cmocka_run_group_tests("s3_sigv4", tests.data(), tests.size(), nullptr, nullptr);
}
