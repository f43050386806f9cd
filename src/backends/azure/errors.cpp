// The one table from the Blob service's error codes (x-ms-error-code) to kvps statuses, and
// whether a request may be repeated after them.
#include <array>

#include "client.hpp"

namespace kvps::azure {
namespace {

struct Rule {
    std::string_view code;
    kvps_status status;
    bool retryable;
};

constexpr std::array kRules{
    Rule{"BlobNotFound", KVPS_NOT_FOUND, false},
    Rule{"ContainerNotFound", KVPS_NOT_FOUND, false},
    Rule{"ResourceNotFound", KVPS_NOT_FOUND, false},
    Rule{"CannotVerifyCopySource", KVPS_NOT_FOUND, false},
    Rule{"ConditionNotMet", KVPS_PRECONDITION_FAILED, false},
    Rule{"TargetConditionNotMet", KVPS_PRECONDITION_FAILED, false},
    Rule{"SourceConditionNotMet", KVPS_PRECONDITION_FAILED, false},
    Rule{"BlobAlreadyExists", KVPS_PRECONDITION_FAILED, false},
    Rule{"AuthenticationFailed", KVPS_PERMISSION_DENIED, false},
    Rule{"AuthorizationFailure", KVPS_PERMISSION_DENIED, false},
    Rule{"AuthorizationPermissionMismatch", KVPS_PERMISSION_DENIED, false},
    Rule{"AuthorizationResourceTypeMismatch", KVPS_PERMISSION_DENIED, false},
    Rule{"AuthorizationServiceMismatch", KVPS_PERMISSION_DENIED, false},
    Rule{"AuthorizationSourceIPMismatch", KVPS_PERMISSION_DENIED, false},
    Rule{"AuthorizationProtocolMismatch", KVPS_PERMISSION_DENIED, false},
    Rule{"InsufficientAccountPermissions", KVPS_PERMISSION_DENIED, false},
    Rule{"AccountIsDisabled", KVPS_PERMISSION_DENIED, false},
    Rule{"InvalidResourceName", KVPS_INVALID_KEY, false},
    Rule{"InvalidUri", KVPS_INVALID_KEY, false},
    Rule{"OperationTimedOut", KVPS_TIMEOUT, true},
    Rule{"ServerBusy", KVPS_REMOTE, true},
    Rule{"InternalError", KVPS_REMOTE, true},
    Rule{"AccountBeingCreated", KVPS_REMOTE, true},
};

}  // namespace

ErrorClass classify(long http_status, std::string_view code) {
    for (const Rule &rule : kRules)
        if (rule.code == code) return {rule.status, rule.retryable};
    bool server_side = http_status == 429 || http_status == 500 || http_status == 502 ||
                       http_status == 503 || http_status == 504;
    if (http_status == 401 || http_status == 403) return {KVPS_PERMISSION_DENIED, false};
    if (http_status == 404) return {KVPS_NOT_FOUND, false};
    if (http_status == 304 || http_status == 412) return {KVPS_PRECONDITION_FAILED, false};
    if (http_status == 408) return {KVPS_TIMEOUT, true};
    return {KVPS_REMOTE, server_side};
}

}  // namespace kvps::azure
