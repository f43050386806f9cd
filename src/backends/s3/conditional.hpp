// Conditional writes, content type and metadata, server-side copy on S3.
//   - Conditions are S3's own: If-None-Match: * (create_only) and If-Match: "etag", on PutObject
//     and on CompleteMultipartUpload, so a streamed write keeps its condition.
//   - A server that ignores them must never let kvps report a conditional write as done: the
//     first conditional write of a store handle probes the server once (ConditionProbe) and
//     refuses with KVPS_UNSUPPORTED when a condition that must fail did not.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spi/error.hpp"
#include "spi/put_options.hpp"

namespace kvps::net {
struct HttpResponse;
}

namespace kvps::s3 {

class Client;
using net::HttpResponse;
using Headers = std::vector<std::pair<std::string, std::string>>;

// What the server does with conditions, found out once per store handle.
class ConditionProbe {
public:
    // Throws KVPS_UNSUPPORTED when the server ignores conditions on PutObject (or, with
    // multipart, on CompleteMultipartUpload).
    void require(Client &client, bool multipart);
    // require(client, false) that never waits: false when the server was not probed yet (or
    // is being probed right now); true when it honours conditions; throws as require does.
    bool require_known(const Client &client);

private:
    enum class State { Unknown, Honoured, Ignored };
    State check_put(Client &client);
    State check_complete(Client &client);
    std::mutex mutex_;
    State put_ = State::Unknown;
    State complete_ = State::Unknown;
};

// An ETag as kvps shows it: without quotes, at most KVPS_ETAG_MAX - 1 bytes.
std::string plain_etag(std::string etag);
// Content-Type and x-amz-meta-* headers for properties (a default content type when none).
Headers property_headers(const Properties &properties);
// If-None-Match / If-Match for a condition; none without one.
Headers condition_headers(const PutOptions &options);
// A lost answer to a conditional write cannot be settled by the bytes in place: they may
// have been there before (a create_only or an If-Match the server refused). So a conditional
// write carries a random write id in kvps's own metadata (hidden from the user's), and only
// a value in place with that id is this write's.
inline constexpr std::string_view kWriteIdHeader = "x-amz-meta-kvps-write";
// Adds a fresh write id to a conditional write's headers (PutObject or
// CreateMultipartUpload) when the user's metadata leaves room for it within S3's limit.
void add_write_id(Headers &headers, const PutOptions &options);
// The write id in headers; "" when none.
std::string write_id_of(const Headers &headers);
// The answer to the HEAD that settles a lost answer: returns it, or throws what sending it threw
// (nullptr: the settling function sends it with the client).
using HeadAnswer = std::function<HttpResponse()>;
// After a conditional write whose answer was lost (failure: what it would report), one HEAD
// tells what happened. Returns the ETag when the value in place carries write_id; throws
// `failure` (message extended) when another value or none is in place; throws
// KVPS_OUTCOME_UNKNOWN when it cannot be told (the HEAD failed too; or no write id could be
// sent and the key holds the bytes sent, md5: their lowercase hex MD5).
std::string settle_conditional(Client &client, const std::string &full_key,
                               const std::string &write_id, const std::string &md5,
                               const Error &failure, const HeadAnswer &head = nullptr);
// The properties an answer carries.
Properties properties_of(const HttpResponse &response);
// Throws KVPS_PRECONDITION_FAILED naming the key and the condition when a conditional write's
// failed answer means the condition failed (412; 404 with If-Match; 409
// ConditionalRequestConflict); else the answer's own error.
[[noreturn]] void fail_conditional_answer(const Client &client, const HttpResponse &response,
                                          std::string_view full_key, const PutOptions &options,
                                          std::string_view what);
// The same for an error already thrown (by CompleteMultipartUpload, say): rethrows e when it
// is not a failed condition.
[[noreturn]] void rethrow_as_condition(std::string_view full_key, const PutOptions &options,
                                       const Error &e);

}  // namespace kvps::s3
