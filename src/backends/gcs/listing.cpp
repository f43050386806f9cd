// gs:// listings: flat (prefix, start_after) and by level (the server's delimiter and its
// `prefixes`), paged by startOffset.
//
// Pages go by startOffset rather than page tokens: fake-gcs-server has none, and a position in
// the name space survives what a token may not. startOffset is inclusive, so a page asks for one
// item more than it keeps and drops the item it starts at. fake-gcs-server's maxResults cuts the
// items alone and answers every common prefix past startOffset, so a page is only known to be
// complete up to its last item when the items were cut (GCS itself counts both and says so with
// nextPageToken).
#include <algorithm>

#include "gcs_backend.hpp"
#include "spi/error.hpp"
#include "spi/text.hpp"

namespace kvps::gcs {
namespace {

constexpr size_t kMaxPage = 999;  // GCS's maxResults is at most 1000, and one more is asked

// A startOffset past every name under `full_prefix` and before every name after them: the prefix
// with its last byte raised when it is ASCII, else padded with U+10FFFF (the greatest UTF-8
// sequence) to GCS's 1024-byte name limit; startOffset must stay valid UTF-8.
std::string past_prefix(const std::string &full_prefix) {
    std::string out = full_prefix;
    if (!out.empty() && static_cast<unsigned char>(out.back()) < 0x7f) {
        ++out.back();
        return out;
    }
    static const char *const kMaxOf[] = {"", "\x7f", "\xdf\xbf", "\xef\xbf\xbf"};
    while (out.size() + 4 <= 1024) out += "\xf4\x8f\xbf\xbf";
    if (out.size() < 1024) out += kMaxOf[1024 - out.size()];
    return out;
}

// An item of a listing by level: a key, or a common prefix. A prefix P comes after every key it
// stands for, so for resuming it sorts as P + "\xff" (a byte no UTF-8 name holds).
struct Item {
    std::string name;  // in the user's key space
    bool prefix = false;
    Entry entry;  // a key's
    std::string order() const { return prefix ? name + '\xff' : name; }
};

}  // namespace

ListResult GcsBackend::list(std::string_view prefix, std::string_view token, size_t limit) {
    // Keys are whole object names: the core put the store's prefix before them (prefixed.cpp).
    std::string full_prefix(prefix), after(token);
    size_t asked = std::min(limit, kMaxPage) + (after.empty() ? 0 : 1);  // the one at startOffset
    Call call;
    call.url = client_.objects_url() + "?" +
               query({{"prefix", full_prefix}, {"maxResults", std::to_string(asked)}});
    if (!after.empty()) call.url += "&" + query({{"startOffset", after}});
    std::string what = "list " + quote(prefix);
    call.what = what;
    HttpResponse response = client_.send(call);
    if (!succeeded(response)) client_.fail_answer(response, what);
    net::JsonValue page = net::parse_json(body_text(response), "the listing");
    ListResult result;
    size_t received = 0;
    bool cut = false;  // a name past the limit: the one at startOffset was not there
    if (const net::JsonValue *items = page.get("items"))
        for (const net::JsonValue &item : items->items) {
            ++received;
            std::string name = item.text_of("name");
            if (!name.starts_with(full_prefix) || name <= after) continue;
            if (result.entries.size() == limit) {
                cut = true;
                break;
            }
            ObjectInfo info = object_info(item);
            result.entries.push_back(
                {std::move(name), info.meta.size, info.meta.mtime_ns, info.meta.etag});
        }
    bool more = cut || !page.text_of("nextPageToken").empty() || received >= asked;
    if (more && !result.entries.empty()) result.next = result.entries.back().key;
    return result;
}

// Without a delimiter: list() from start_after (its token is a position too). With one: the
// server folds; the token is 'k' or 'p' (the last item is a key or a common prefix) and the item.
// fake-gcs-server cuts a common prefix one byte after a delimiter's first byte; a listing where a
// prefix does not end at the delimiter goes through the core's generic fold (tokens with a NUL).
ListResult GcsBackend::list_with(const ListQuery &query) {
    if (query.delimiter.empty())
        return list(query.prefix, query.token.empty() ? query.start_after : query.token,
                    query.limit);
    if (query.token.find('\0') != std::string_view::npos) return Backend::list_with(query);
    std::string done;  // items up to here are listed or skipped (user's key space)
    bool done_is_prefix = false;
    if (!query.token.empty()) {
        if (query.token[0] != 'k' && query.token[0] != 'p')
            fail(KVPS_INVALID_ARGUMENT, "invalid list cursor: not one of this gs store's");
        done_is_prefix = query.token[0] == 'p';
        done = query.token.substr(1);
    } else {
        done = query.start_after;
    }
    std::string full_prefix(query.prefix);
    std::string what = "list " + quote(query.prefix) + " by " + quote(query.delimiter);
    ListResult out;
    size_t kept = 0;
    for (;;) {
        std::string done_order = done_is_prefix ? done + '\xff' : done;
        std::string start;
        if (!done.empty()) start = done_is_prefix ? past_prefix(done) : done;
        size_t asked = std::min(query.limit - kept, kMaxPage) + 1;
        Call call;
        call.url = client_.objects_url() + "?" +
                   gcs::query({{"prefix", full_prefix},
                               {"delimiter", std::string(query.delimiter)},
                               {"maxResults", std::to_string(asked)}});
        if (!start.empty()) call.url += "&" + gcs::query({{"startOffset", start}});
        call.what = what;
        HttpResponse response = client_.send(call);
        if (!succeeded(response)) client_.fail_answer(response, what);
        net::JsonValue page = net::parse_json(body_text(response), "the listing");

        std::vector<Item> items;
        size_t keys_received = 0;
        if (const net::JsonValue *objects = page.get("items"))
            for (const net::JsonValue &object : objects->items) {
                ++keys_received;
                std::string name = object.text_of("name");
                if (!name.starts_with(full_prefix)) continue;
                ObjectInfo info = object_info(object);
                items.push_back(
                    {name, false, Entry{name, info.meta.size, info.meta.mtime_ns, info.meta.etag}});
            }
        if (const net::JsonValue *prefixes = page.get("prefixes"))
            for (const net::JsonValue &p : prefixes->items) {
                if (common_prefix(p.text, full_prefix, query.delimiter) != p.text) {
                    if (kept == 0 && query.token.empty()) return Backend::list_with(query);
                    fail(KVPS_REMOTE, "gs: " + what + ": the server answered the common prefix " +
                                          quote(p.text) + ", which does not end at the delimiter");
                }
                items.push_back({p.text, true, {}});
            }
        std::sort(items.begin(), items.end(),
                  [](const Item &a, const Item &b) { return a.order() < b.order(); });
        // How far the page is known complete: GCS says more with nextPageToken and counts keys
        // and prefixes together; fake-gcs-server cuts the keys alone.
        bool more_token = !page.text_of("nextPageToken").empty();
        bool keys_cut = keys_received >= asked;
        std::string bound;  // "" = to the end of the listing
        if (more_token && !items.empty())
            bound = items.back().order();
        else if (keys_cut)
            for (const Item &item : items)
                if (!item.prefix) bound = item.order();
        bool complete = !more_token && !keys_cut;
        // The resume point: the greatest item passed, listed or not (a common prefix at or before
        // start_after is skipped whole, as only items after start_after are listed).
        std::string resume = done, resume_order = done_order;
        bool resume_is_prefix = done_is_prefix, full = false;
        for (Item &item : items) {
            std::string order = item.order();
            if (!complete && order > bound) break;
            bool listed = done.empty() || (item.prefix ? item.name > done : order > done_order);
            if (listed && kept == query.limit) {
                full = true;
                break;
            }
            if (order > resume_order) {
                resume = item.name;
                resume_order = std::move(order);
                resume_is_prefix = item.prefix;
            }
            if (!listed) continue;
            ++kept;
            if (item.prefix)
                out.prefixes.push_back(std::move(item.name));
            else
                out.entries.push_back(std::move(item.entry));
        }
        if (complete && !full) return out;
        if (!full && kept < query.limit) {  // pages still to come: on with the next
            if (resume_order == done_order)
                fail(KVPS_REMOTE, "gs: " + what + ": the server's listing does not advance");
            done = resume;
            done_is_prefix = resume_is_prefix;
            continue;
        }
        out.next = (resume_is_prefix ? "p" : "k") + resume;
        return out;
    }
}

}  // namespace kvps::gcs
