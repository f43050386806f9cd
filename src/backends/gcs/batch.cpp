// Batch delete through the JSON API's batch endpoint: up to 100 DELETEs in one multipart/mixed
// request (POST /batch/storage/v1), each answered in its own part. fake-gcs-server serves the
// same endpoint. A part that is not answered, or a batch that fails as a whole, leaves those
// keys to one DELETE each (deleting twice is harmless).
#include <algorithm>

#include "gcs_backend.hpp"
#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::gcs {
namespace {

constexpr size_t kBatch = 100;  // GCS's limit of calls in one batch request
const std::string kBatchBoundary = "kvps-gcs-batch-7c2e94d1a6";

// The parameter `name` of a Content-Type value ("multipart/mixed; boundary=x").
std::string type_parameter(std::string_view type, std::string_view name) {
    std::string lowered = lower(type);
    size_t at = lowered.find(std::string(name) + "=");
    if (at == std::string::npos) return "";
    std::string_view value = type.substr(at + name.size() + 1);
    value = value.substr(0, value.find(';'));
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    return std::string(strip_quotes(value));
}

struct PartAnswer {
    long status = 0;
    std::string body;
};

// The answers of a multipart/mixed batch reply, by Content-ID ("response-N" -> N).
std::vector<std::pair<size_t, PartAnswer>> parse_batch(std::string_view body,
                                                       const std::string &boundary) {
    std::vector<std::pair<size_t, PartAnswer>> out;
    std::string delimiter = "--" + boundary;
    for (size_t at = body.find(delimiter); at != std::string_view::npos;) {
        size_t start = at + delimiter.size();
        size_t next = body.find(delimiter, start);
        std::string_view part =
            body.substr(start, (next == std::string_view::npos ? body.size() : next) - start);
        at = next;
        std::string lowered = lower(part.substr(0, std::min<size_t>(part.size(), 512)));
        size_t id_at = lowered.find("content-id:");
        size_t http_at = part.find("HTTP/1.");
        if (id_at == std::string::npos || http_at == std::string_view::npos) continue;
        size_t digits = part.find_first_of("0123456789", part.find("response-", id_at));
        if (digits == std::string_view::npos) continue;
        size_t digits_end = part.find_first_not_of("0123456789", digits);
        std::optional<int64_t> id = parse_integer(part.substr(digits, digits_end - digits));
        std::optional<int64_t> status = parse_integer(part.substr(http_at + 9, 3));
        if (!id || !status) continue;
        PartAnswer answer;
        answer.status = static_cast<long>(*status);
        size_t body_at = part.find("\r\n\r\n", http_at);
        if (body_at != std::string_view::npos) {
            std::string_view text = part.substr(body_at + 4);
            while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
                text.remove_suffix(1);
            answer.body = std::string(text);
        }
        out.emplace_back(static_cast<size_t>(*id), std::move(answer));
    }
    return out;
}

}  // namespace

void GcsBackend::delete_many(std::span<DeleteItem> items) {
    for (size_t first = 0; first < items.size(); first += kBatch) {
        std::span<DeleteItem> batch = items.subspan(first, std::min(kBatch, items.size() - first));
        std::vector<bool> answered(batch.size(), false);
        try {
            std::string body;
            std::string path = "/storage/v1/b/" + percent_encode(client_.settings().bucket) + "/o/";
            for (size_t i = 0; i < batch.size(); ++i) {
                batch[i].status = KVPS_OK;
                body += "--" + kBatchBoundary +
                        "\r\nContent-Type: application/http\r\nContent-ID: <" + std::to_string(i) +
                        ">\r\n\r\nDELETE " + path + percent_encode(client_.full_key(batch[i].key)) +
                        " HTTP/1.1\r\nContent-Length: 0\r\n\r\n\r\n";
            }
            body += "--" + kBatchBoundary + "--\r\n";
            Call call;
            call.method = "POST";
            call.url = client_.settings().endpoint + "/batch/storage/v1";
            call.headers = {"Content-Type: multipart/mixed; boundary=" + kBatchBoundary};
            call.has_body = true;
            call.body = body.data();
            call.body_size = body.size();
            call.what = "batch delete";
            HttpResponse response = client_.send(call);  // deleting twice is harmless
            if (!succeeded(response)) client_.fail_answer(response, "batch delete");
            std::string boundary = type_parameter(response.content_type, "boundary");
            if (boundary.empty())
                fail(KVPS_REMOTE, "gs: batch delete: the answer is not multipart (" +
                                      response.content_type + ")");
            for (auto &[i, answer] : parse_batch(body_text(response), boundary)) {
                if (i >= batch.size()) continue;
                answered[i] = true;
                if (answer.status / 100 == 2 || answer.status == 404) continue;
                HttpResponse part;
                part.status = answer.status;
                part.body.append(answer.body.data(), answer.body.size());
                part.request_id = response.request_id;
                try {
                    client_.fail_answer(part,
                                        client_.describe("DELETE", client_.full_key(batch[i].key)));
                } catch (...) {
                    batch[i].status = record_failure(batch[i].error);
                }
            }
        } catch (...) {  // the batch failed whole (or a key is invalid): each key on its own
        }
        // Parts without an answer (or a batch that failed whole): one DELETE each.
        for (size_t i = 0; i < batch.size(); ++i)
            if (!answered[i]) delete_item(*this, batch[i]);
    }
}

}  // namespace kvps::gcs
