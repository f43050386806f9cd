// Batch delete with Blob Batch: up to 256 Delete Blob sub-requests in one multipart/mixed POST
// (?restype=container&comp=batch), each authorized on its own, each answered on its own. A
// sub-answer that is missing or unreadable, and a batch the service refuses whole, fall back
// to one Delete Blob per key (the core's per-item policy), so every item gets its own status.
#include <algorithm>

#include "azure_backend.hpp"
#include "net/crypto.hpp"
#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::azure {
namespace {

constexpr size_t kBatchMax = 256;  // the service's limit of sub-requests per batch

std::string random_boundary() { return "batch_" + net::random_hex() + net::random_hex(); }

// A header's value in a block of "Name: value\r\n" lines, the name compared without case.
std::string_view header_in(std::string_view block, std::string_view name) {
    size_t at = 0;
    while (at < block.size()) {
        size_t end = block.find("\r\n", at);
        std::string_view line = block.substr(at, end == std::string_view::npos ? end : end - at);
        size_t colon = line.find(':');
        if (colon != std::string_view::npos && lower(line.substr(0, colon)) == lower(name)) {
            std::string_view value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
            return value;
        }
        if (end == std::string_view::npos) break;
        at = end + 2;
    }
    return {};
}

struct SubAnswer {
    long status = 0;
    std::string code;  // x-ms-error-code
};

// The sub-answers of a batch answer, by Content-ID (the item's index in the batch).
std::vector<std::optional<SubAnswer>> parse_batch_answer(std::string_view body,
                                                         std::string_view boundary, size_t n) {
    std::vector<std::optional<SubAnswer>> out(n);
    std::string delimiter = "--" + std::string(boundary);
    size_t at = body.find(delimiter);
    while (at != std::string_view::npos) {
        at += delimiter.size();
        size_t next = body.find(delimiter, at);
        std::string_view part =
            body.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at);
        at = next;
        // The part's MIME headers, a blank line, then the HTTP answer.
        size_t blank = part.find("\r\n\r\n");
        if (blank == std::string_view::npos) continue;
        std::string id(header_in(part.substr(0, blank + 2), "Content-ID"));
        std::string_view answer = part.substr(blank + 4);
        if (id.empty() || !answer.starts_with("HTTP/1.1 ") || answer.size() < 12) continue;
        char *end = nullptr;
        unsigned long index = std::strtoul(id.c_str(), &end, 10);
        if (*end != '\0' || index >= n) continue;
        SubAnswer sub;
        sub.status = std::strtol(std::string(answer.substr(9, 3)).c_str(), nullptr, 10);
        size_t head_end = answer.find("\r\n\r\n");
        sub.code = std::string(header_in(answer.substr(0, head_end), "x-ms-error-code"));
        out[index] = sub;
    }
    return out;
}

}  // namespace

void AzureBackend::delete_many(std::span<DeleteItem> items) {
    const Settings &settings = client_.settings();
    if (settings.key.empty() && settings.sas.empty()) {  // anonymous: no batch to authorize
        for (DeleteItem &item : items) delete_item(*this, item);
        return;
    }
    for (size_t from = 0; from < items.size(); from += kBatchMax) {
        std::span<DeleteItem> chunk = items.subspan(from, std::min(kBatchMax, items.size() - from));
        std::string boundary = random_boundary(), body;
        std::vector<std::string> full(chunk.size());
        std::vector<bool> sent(chunk.size(), false);
        for (size_t i = 0; i < chunk.size(); ++i) {
            try {
                full[i] = client_.full_key(chunk[i].key);
            } catch (...) {
                chunk[i].status = record_failure(chunk[i].error);
                continue;
            }
            Client::SubRequest sub =
                client_.sub_request("DELETE", full[i], {{"x-ms-delete-snapshots", "include"}});
            body += "--" + boundary +
                    "\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: "
                    "binary\r\nContent-ID: " +
                    std::to_string(i) + "\r\n\r\nDELETE " + sub.target + " HTTP/1.1\r\n";
            for (const auto &[name, value] : sub.headers) body += name + ": " + value + "\r\n";
            body += "Content-Length: 0\r\n\r\n";
            sent[i] = true;
        }
        if (body.empty()) continue;
        body += "--" + boundary + "--\r\n";
        Call call;
        call.method = "POST";
        call.query = {{"restype", "container"}, {"comp", "batch"}};
        call.headers = {{"Content-Type", "multipart/mixed; boundary=" + boundary}};
        call.body = body.data();
        call.body_size = body.size();
        call.has_body = true;
        std::vector<std::optional<SubAnswer>> answers(chunk.size());
        try {
            HttpResponse response = client_.send(call);  // deletes repeat safely
            std::string_view type = response.content_type;
            size_t b = type.find("boundary=");
            if (succeeded(response) && b != std::string_view::npos) {
                std::string_view answer_boundary = strip_quotes(type.substr(b + 9));
                answers = parse_batch_answer(
                    std::string_view(response.body.data() ? response.body.data() : "",
                                     response.body.size()),
                    answer_boundary, chunk.size());
            }
        } catch (const Error &) {
            // No answer: each key goes on its own below, and reports its own failure.
        }
        for (size_t i = 0; i < chunk.size(); ++i) {
            if (!sent[i]) continue;
            DeleteItem &item = chunk[i];
            const std::optional<SubAnswer> &a = answers[i];
            if (!a || (a->status / 100 != 2 && a->status != 404 &&
                       classify(a->status, a->code).retryable)) {
                delete_item(*this, item);  // no usable answer, or one worth repeating
                continue;
            }
            if (a->status / 100 == 2 || (a->status == 404 && a->code == "BlobNotFound")) {
                item.status = KVPS_OK;
                continue;
            }
            item.status = classify(a->status, a->code).status;
            item.error = "az: " + client_.describe("DELETE", full[i]) +
                         " in a Blob Batch: " + (a->code.empty() ? "" : a->code + ", ") + "HTTP " +
                         std::to_string(a->status);
        }
    }
}

}  // namespace kvps::azure
