// Listing by level (the server's delimiter and start-after), reads into the caller's memory,
// end-to-end checksums (x-amz-checksum-crc32c, with a metadata fallback) and presigned URLs.
#include <algorithm>
#include <cstring>
#include <memory>

#include "spi/checksum.hpp"
#include "spi/error.hpp"
#include "s3_backend.hpp"
#include "sigv4.hpp"
#include "xml.hpp"

namespace kvps::s3 {
namespace {

constexpr std::string_view kChecksumMode = "x-amz-checksum-mode";

bool missing(const HttpResponse &response) {
    if (response.status != 404) return false;
    std::string_view body(response.body.data() ? response.body.data() : "", response.body.size());
    return body.empty() || parse_error(body).code != "NoSuchBucket";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> checksum_headers(uint32_t crc) {
    return {{"x-amz-checksum-crc32c", crc32c_base64(crc)},
            {"x-amz-meta-kvps-crc32c", crc32c_hex(crc)}};
}

std::optional<uint32_t> answered_checksum(const HttpResponse &response) {
    // A multipart object's x-amz-checksum-crc32c is a checksum of part checksums ("...-3"):
    // crc32c_from_base64 refuses it, and the value reads unverified.
    std::string_view checksum = response.header("x-amz-checksum-crc32c");
    if (!checksum.empty()) {
        if (std::optional<uint32_t> crc = crc32c_from_base64(checksum)) return crc;
    }
    std::string_view ours = response.header("x-amz-meta-kvps-crc32c");
    if (!ours.empty()) return crc32c_from_hex(ours);
    return std::nullopt;
}

// The last key a common prefix can hold: the prefix padded with U+10FFFF (the greatest UTF-8
// sequence in byte order) up to S3's 1024-byte key limit, so start-after it skips every key
// below the prefix and nothing else.
std::string past_prefix(const std::string &full_prefix) {
    static const char kMax4[] = "\xf4\x8f\xbf\xbf",
                      *kMaxOf[] = {"", "\x7f", "\xdf\xbf", "\xef\xbf\xbf"};
    std::string out = full_prefix;
    while (out.size() + 4 <= 1024) out += kMax4;
    if (out.size() < 1024) out += kMaxOf[1024 - out.size()];
    return out;
}

// A flat listing pages with the server's continuation tokens. A listing with a delimiter does
// not: servers differ on common prefixes across pages (MinIO's token after a prefix under a
// delimiter other than "/" lists that prefix again, forever), so each page starts after the
// last item seen, with start-after. Its token is 'k' or 'p' (the item is a key or a common
// prefix) and the item.
ListResult S3Backend::list_with(const ListQuery &query) {
    bool level = !query.delimiter.empty();
    std::string done;  // items up to here are listed or skipped
    bool done_is_prefix = false;
    if (level && !query.token.empty()) {
        if (query.token[0] != 'k' && query.token[0] != 'p')
            fail(KVPS_INVALID_ARGUMENT, "invalid list cursor: not one of this s3 store's");
        done_is_prefix = query.token[0] == 'p';
        done = query.token.substr(1);
    } else if (query.token.empty()) {
        done = query.start_after;
    }
    Call call;
    call.query = {{"list-type", "2"},
                  {"encoding-type", "url"},
                  {"max-keys", std::to_string(std::min<size_t>(query.limit, 1000))},
                  {"prefix", std::string(query.prefix)}};
    if (level) call.query.emplace_back("delimiter", std::string(query.delimiter));
    if (!level && !query.token.empty())
        call.query.emplace_back("continuation-token", std::string(query.token));
    else if (!done.empty())
        call.query.emplace_back("start-after", done_is_prefix ? past_prefix(done) : done);
    HttpResponse response = client_.send(call);
    if (!succeeded(response)) client_.fail_answer(response, client_.describe("ListObjectsV2", ""));
    ListObjectsPage page = parse_list_objects(
        std::string_view(response.body.data() ? response.body.data() : "", response.body.size()));
    ListResult out;
    // The resume point: the greatest item the server sent, kept or not (a common prefix that
    // precedes start_after is skipped whole, as kvps lists only items after start_after).
    // Order: a common prefix P comes after every key below it: it sorts as P + "\xff" (a byte
    // no UTF-8 key holds).
    auto order_of = [](const std::string &item, bool prefix) {
        return prefix ? item + '\xff' : item;
    };
    const std::string done_order = order_of(done, done_is_prefix);
    std::string resume = done, resume_order = done_order;
    bool resume_is_prefix = done_is_prefix;
    auto passed = [&](const std::string &item, bool prefix) {
        std::string order = order_of(item, prefix);
        if (order <= resume_order) return;
        resume = item;
        resume_order = std::move(order);
        resume_is_prefix = prefix;
    };
    for (ListedObject &o : page.objects) {
        std::string key = std::move(o.key);
        bool listed = done.empty() || key > done_order;
        passed(key, false);
        if (listed)
            out.entries.push_back(
                Entry{std::move(key), o.size, o.mtime_ns,
                      o.etag.substr(0, std::min<size_t>(o.etag.size(), KVPS_ETAG_MAX - 1))});
    }
    for (std::string &p : page.common_prefixes) {
        std::string folded = std::move(p);
        bool listed = done.empty() || folded > done;
        passed(folded, true);
        if (listed) out.prefixes.push_back(std::move(folded));
    }
    if (page.truncated) {
        if (level) {
            out.next = (resume_is_prefix ? "p" : "k") + resume;
        } else {
            out.next = page.next_token;
            if (out.next.empty())
                fail(KVPS_REMOTE,
                     "s3: ListObjectsV2 answered a truncated page without a continuation token");
        }
    }
    return out;
}

Call checked_get_call(const std::string &full_key) {
    Call call;
    call.key = full_key;
    call.headers = {{std::string(kChecksumMode), "ENABLED"}};
    return call;
}

std::optional<Bytes> checked_get_answer(const Client &client, const std::string &full_key,
                                        HttpResponse &response, std::optional<uint32_t> &crc) {
    if (missing(response)) return std::nullopt;
    if (!succeeded(response)) client.fail_answer(response, client.describe("GET", full_key));
    crc = answered_checksum(response);
    return std::move(response.body);
}

std::optional<Bytes> S3Backend::get_checked(std::string_view key, std::optional<uint32_t> &crc) {
    std::string full = client_.full_key(key);
    HttpResponse response = client_.send(checked_get_call(full));
    return checked_get_answer(client_, full, response, crc);
}

// The body goes straight from libcurl into the caller's buffer; a value that does not fit is
// known from Content-Length before any of it is read.
std::optional<uint64_t> S3Backend::get_into(std::string_view key, uint64_t offset, void *buffer,
                                            size_t capacity, std::optional<uint32_t> &crc) {
    std::string full = client_.full_key(key);
    Call call;
    call.key = full;
    if (offset == 0)
        call.headers = {{std::string(kChecksumMode), "ENABLED"}};
    else
        call.headers = {{"Range", net::byte_range(offset, KVPS_TO_END)}};
    call.to_buffer = true;
    call.buffer = static_cast<char *>(buffer);
    call.buffer_capacity = capacity;
    HttpResponse response = client_.send(call);
    if (missing(response)) return std::nullopt;
    if (offset > 0 && response.status == 416) return 0;  // the offset is at or past the end
    if (!succeeded(response)) client_.fail_answer(response, client_.describe("GET", full));
    if (offset > 0 && response.status == 200)  // the server ignored the range: the generic way
        return Backend::get_into(key, offset, buffer, capacity, crc);
    if (offset == 0 && !response.too_large) crc = answered_checksum(response);
    return net::buffered_size(response, "s3: " + client_.describe("GET", full));
}

std::string presign_url(const Client &client, std::string_view method, const std::string &full_key,
                        uint64_t expires_seconds, std::string_view amz_date) {
    const Settings &settings = client.settings();
    std::shared_ptr<const Credentials> current = settings.credentials->get();
    const Credentials &creds = *current;
    if (creds.anonymous())
        fail(KVPS_UNSUPPORTED, "s3: cannot presign " + client.describe(method, full_key) +
                                   ": the store has no credentials to sign with");
    Call call;
    call.method = method == "PUT" ? "PUT" : "GET";
    call.key = full_key;
    std::string host;
    std::string path = client.url_for(call, host);
    std::string scope =
        std::string(amz_date.substr(0, 8)) + "/" + settings.region + "/s3/aws4_request";
    std::vector<std::pair<std::string, std::string>> query = {
        {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
        {"X-Amz-Credential", creds.access_key_id + "/" + scope},
        {"X-Amz-Date", std::string(amz_date)},
        {"X-Amz-Expires", std::to_string(expires_seconds)},
        {"X-Amz-SignedHeaders", "host"},
    };
    if (!creds.session_token.empty())
        query.emplace_back("X-Amz-Security-Token", creds.session_token);
    SigningRequest signing{call.method,        path,     query,           {{"host", host}},
                           "UNSIGNED-PAYLOAD", amz_date, settings.region, "s3"};
    Signature signature = sign(signing, creds.access_key_id, creds.secret_access_key);
    return client.scheme() + "://" + host + path + "?" + canonical_query(query) +
           "&X-Amz-Signature=" + signature.signature;
}

std::string S3Backend::presign(std::string_view key, std::string_view method,
                               uint64_t expires_seconds) {
    return presign_url(client_, method, client_.full_key(key), expires_seconds, amz_date_now());
}

}  // namespace kvps::s3
