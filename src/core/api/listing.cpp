// The C API, section Listing.
#include "api/shim.hpp"

#include "cursor.hpp"
#include "keys.hpp"

using namespace kvps::shim;

extern "C" {

KVPS_API kvps_status kvps_list(kvps_store *store, const char *prefix, const char *cursor,
                               size_t page_size, kvps_list_page **out) {
    return guard([&] {
        require(store, "store");
        require(out, "out");
        std::string_view p = prefix ? prefix : "";
        if (p.size() > KVPS_KEY_MAX)
            kvps::fail(KVPS_INVALID_KEY, "invalid prefix " + kvps::quote(p) + ": longer than " +
                                             std::to_string(KVPS_KEY_MAX) + " bytes");
        if (!p.empty() && !kvps::is_utf8(p))
            kvps::fail(KVPS_INVALID_KEY, "invalid prefix " + kvps::quote(p) + ": not valid UTF-8");
        std::string token;
        if (cursor && *cursor) token = kvps::read_cursor(cursor, store->cursor_id, p);
        size_t limit = page_size ? page_size : 1000;
        return logged("list", p, [&](uint64_t &amount) {
            kvps::ListResult result = store->backend->list(p, token, limit);
            auto page = std::make_unique<kvps_list_page>();
            page->entries = std::move(result.entries);
            page->views.reserve(page->entries.size());
            for (const kvps::Entry &e : page->entries)
                page->views.push_back(kvps_entry{e.key.c_str(), e.size, e.mtime_ns, e.etag.c_str()});
            page->complete = result.next.empty();
            if (!page->complete) page->cursor = kvps::make_cursor(store->cursor_id, p, result.next);
            amount = page->entries.size();
            *out = page.release();
            return KVPS_OK;
        }, "keys");
    });
}

KVPS_API size_t kvps_list_page_count(const kvps_list_page *page) { return page ? page->views.size() : 0; }

KVPS_API const kvps_entry *kvps_list_page_entry(const kvps_list_page *page, size_t i) {
    return page && i < page->views.size() ? &page->views[i] : nullptr;
}

KVPS_API const char *kvps_list_page_cursor(const kvps_list_page *page) {
    return page && !page->complete ? page->cursor.c_str() : nullptr;
}

KVPS_API void kvps_list_page_free(kvps_list_page *page) { delete page; }

}  // extern "C"
