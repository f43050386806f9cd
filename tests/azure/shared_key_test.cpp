// Shared Key known answers: the string to sign, written by hand from Microsoft's specification
// ("Authorize with Shared Key", version 2009-09-19 and later), and its signature, computed
// independently with the openssl CLI:
//   printf '%s' "$STRING_TO_SIGN" | openssl dgst -sha256 -mac HMAC -binary
//       -macopt hexkey:$(printf '%s' "$KEY" | base64 -d | od -An -tx1 | tr -d ' \n') | base64
// (one line)
// with KEY the storage emulator's published development key.
#include <csetjmp>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

#include <string>

#include "sas.hpp"
#include "shared_key.hpp"
#include "spi/text.hpp"

using namespace kvps::azure;

static const char *kKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

static std::string key() { return *kvps::base64_decode(kKey); }

// A Put Block with a content type, a condition, metadata (white space to fold, a name in
// mixed case) and two query parameters, on the emulator's path-style URL.
static void test_put_block(void **) {
    Pairs query = {{"comp", "block"}, {"blockid", "AAAA"}};
    Pairs headers = {{"Content-Type", "text/plain"},
                     {"If-Match", "\"0x1\""},
                     {"x-ms-version", "2021-12-02"},
                     {"X-MS-Meta-Color", "  blue   sky "},
                     {"x-ms-date", "Tue, 01 Dec 2026 10:00:00 GMT"}};
    SignedRequest r{
        "PUT", "devstoreaccount1", "/devstoreaccount1/mycontainer/a%20b", query, headers, 11};
    const char *expected =
        "PUT\n\n\n11\n\ntext/plain\n\n\n\"0x1\"\n\n\n\n"
        "x-ms-date:Tue, 01 Dec 2026 10:00:00 GMT\nx-ms-meta-color:blue "
        "sky\nx-ms-version:2021-12-02\n"
        "/devstoreaccount1/devstoreaccount1/mycontainer/a%20b\nblockid:AAAA\ncomp:block";
    assert_string_equal(string_to_sign(r).c_str(), expected);
    assert_string_equal(shared_key_signature(key(), expected).c_str(),
                        "IhNsPx20fFjEL4rPMrAvCCWj4BW6LST2czFbtyWBSWY=");
    assert_string_equal(shared_key_authorization(r, key()).c_str(),
                        "SharedKey devstoreaccount1:IhNsPx20fFjEL4rPMrAvCCWj4BW6LST2czFbtyWBSWY=");
}

// A List Blobs: no body (Content-Length empty), a parameter given twice (values sorted and
// joined by a comma), names sorted.
static void test_list(void **) {
    Pairs query = {{"restype", "container"}, {"prefix", "c"}, {"comp", "list"}, {"prefix", "a b"}};
    Pairs headers = {{"x-ms-version", "2021-12-02"},
                     {"x-ms-date", "Tue, 01 Dec 2026 10:00:00 GMT"}};
    SignedRequest r{"GET", "devstoreaccount1", "/devstoreaccount1/mycontainer", query, headers, 0};
    const char *expected =
        "GET\n\n\n\n\n\n\n\n\n\n\n\n"
        "x-ms-date:Tue, 01 Dec 2026 10:00:00 GMT\nx-ms-version:2021-12-02\n"
        "/devstoreaccount1/devstoreaccount1/mycontainer\ncomp:list\nprefix:a "
        "b,c\nrestype:container";
    assert_string_equal(string_to_sign(r).c_str(), expected);
    assert_string_equal(shared_key_signature(key(), expected).c_str(),
                        "IySsobmlyhR87zn0aM47bYa08E2mfdccOAG8pqN8+GM=");
}

// A service SAS (signed version 2021-12-02: 16 lines, the resource not encoded): the read one
// and the write one, signatures computed with the openssl CLI as above over
//   printf 'r\n\n2026-12-01T15:00:00Z\n/blob/devstoreaccount1/mycontainer/app/a b.txt'
//          '\n\n\n\n2021-12-02\nb\n\n\n\n\n\n\n'
static void test_service_sas(void **) {
    BlobSas read{"devstoreaccount1", "mycontainer", "app/a b.txt", "r", "2026-12-01T15:00:00Z"};
    const char *expected =
        "r\n\n2026-12-01T15:00:00Z\n/blob/devstoreaccount1/mycontainer/app/a b.txt\n\n\n\n"
        "2021-12-02\nb\n\n\n\n\n\n\n";
    assert_string_equal(sas_string_to_sign(read).c_str(), expected);
    assert_string_equal(sas_query(read, key()).c_str(),
                        "sv=2021-12-02&sr=b&sp=r&se=2026-12-01T15%3A00%3A00Z&sig="
                        "Osvtvg1j9iGC62qVT9iyGP9ijTVuholpRdpk9SjWQq8%3D");
    BlobSas write = read;
    write.permissions = "cw";
    assert_string_equal(sas_query(write, key()).c_str(),
                        "sv=2021-12-02&sr=b&sp=cw&se=2026-12-01T15%3A00%3A00Z&sig="
                        "muULZcpNVqoI%2Fi%2FG%2BeueSLXPvB8cFPZ2f0FFHy7rGtk%3D");
    assert_string_equal(iso8601(1796137200).c_str(), "2026-12-01T15:00:00Z");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_block),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_service_sas),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
