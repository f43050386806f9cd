// Listing: List Blobs with the service's delimiter (BlobPrefix elements) and markers.
#include <algorithm>
#include <cstdlib>

#include "azure_backend.hpp"
#include "properties.hpp"
#include "spi/error.hpp"
#include "spi/text.hpp"
#include "xml.hpp"

namespace kvps::azure {
namespace {

// kvps's token: "<n>:<after><marker>", where after (n bytes) is the last item listed (or the
// start_after asked for) and marker the service's NextMarker ("" = from the start). The
// service has no start-after, so items up to `after` are skipped as they come; `after` also
// keeps a common prefix from being listed twice should the service repeat one across pages.
std::string make_token(const std::string &after, const std::string &marker) {
    return std::to_string(after.size()) + ":" + after + marker;
}

void read_token(std::string_view token, std::string &after, std::string &marker) {
    size_t colon = token.find(':');
    char *end = nullptr;
    std::string digits(token.substr(0, colon));
    unsigned long long n = colon == std::string_view::npos || colon == 0
                               ? ~0ULL
                               : std::strtoull(digits.c_str(), &end, 10);
    if (n == ~0ULL || *end != '\0' || n > token.size() - colon - 1)
        fail(KVPS_INVALID_ARGUMENT, "invalid list cursor: not one of this az store's");
    after = std::string(token.substr(colon + 1, n));
    marker = std::string(token.substr(colon + 1 + n));
}

}  // namespace

ListResult AzureBackend::list(std::string_view prefix, std::string_view token, size_t limit) {
    return list_with(ListQuery{prefix, token, "", "", limit});
}

// One or more List Blobs pages: each asks for just the items still missing, so every item the
// service sends is either listed or skipped (at or before `after`), and its NextMarker is the
// exact resume point. Blobs and BlobPrefix elements come in one name order (a prefix where its
// first blob would be, which is also its byte order among the other items).
// A delimiter longer than one character is folded by the core from a flat listing: Azurite
// 3.37 cuts such a delimiter's BlobPrefix after its first character ("b/" for "b/c" with "/c").
ListResult AzureBackend::list_with(const ListQuery &query) {
    if (query.delimiter.size() > 1) return Backend::list_with(query);
    std::string after(query.start_after), marker;
    if (!query.token.empty()) read_token(query.token, after, marker);
    ListResult out;
    size_t items = 0;
    while (true) {
        Call call;
        call.query = {{"restype", "container"},
                      {"comp", "list"},
                      {"prefix", std::string(query.prefix)},
                      {"maxresults", std::to_string(std::min<size_t>(query.limit - items, 5000))}};
        if (!query.delimiter.empty())
            call.query.emplace_back("delimiter", std::string(query.delimiter));
        if (!marker.empty()) call.query.emplace_back("marker", marker);
        HttpResponse response = client_.send(call);
        if (!succeeded(response)) client_.fail_answer(response, client_.describe("List Blobs", ""));
        ListBlobsPage page = parse_list_blobs(std::string_view(
            response.body.data() ? response.body.data() : "", response.body.size()));
        // Blobs and prefixes merged back into the service's one order.
        struct Item {
            std::string name;                  // the user's key or common prefix
            const ListedBlob *blob = nullptr;  // nullptr: a common prefix
            bool operator<(const Item &o) const { return name < o.name; }
        };
        std::vector<Item> merged;
        merged.reserve(page.blobs.size() + page.prefixes.size());
        for (const ListedBlob &b : page.blobs) merged.push_back(Item{b.name, &b});
        for (const std::string &p : page.prefixes) merged.push_back(Item{p, nullptr});
        std::sort(merged.begin(), merged.end());
        for (Item &item : merged) {
            if (item.name <= after) continue;
            after = item.name;
            ++items;
            if (!item.blob)
                out.prefixes.push_back(std::move(item.name));
            else
                out.entries.push_back(Entry{std::move(item.name), item.blob->size,
                                            item.blob->mtime_ns, plain_etag(item.blob->etag)});
        }
        marker = std::move(page.next_marker);
        if (marker.empty()) return out;
        if (items >= query.limit) {
            out.next = make_token(after, marker);
            return out;
        }
    }
}

}  // namespace kvps::azure
