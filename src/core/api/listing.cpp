// The C API, section Listing.
#include "api/shim.hpp"

#include <algorithm>

#include "cursor.hpp"
#include "keys.hpp"

using namespace kvps::shim;

namespace {

// A prefix or start_after: NULL is "", else at most KVPS_KEY_MAX bytes of UTF-8.
std::string_view check_list_text(const char *text, const char *what) {
    std::string_view t = text ? text : "";
    if (t.size() > KVPS_KEY_MAX)
        kvps::fail(KVPS_INVALID_KEY, std::string("invalid ") + what + " " + kvps::quote(t) +
                                         ": longer than " + std::to_string(KVPS_KEY_MAX) +
                                         " bytes");
    if (!t.empty() && !kvps::is_utf8(t))
        kvps::fail(KVPS_INVALID_KEY,
                   std::string("invalid ") + what + " " + kvps::quote(t) + ": not valid UTF-8");
    return t;
}

// kvps_list and kvps_list_with.
kvps_status list_page(kvps_store *store, const kvps_list_options &options, kvps_list_page **out) {
    require(store, "store");
    require(out, "out");
    if (!(store->registered->spec.capabilities & KVPS_CAP_LIST))
        kvps::fail(KVPS_UNSUPPORTED, "backend " + store->registered->spec.name +
                                         " cannot list keys (no KVPS_CAP_LIST)");
    std::string_view p = check_list_text(options.prefix, "prefix");
    std::string_view start_after = check_list_text(options.start_after, "start_after");
    std::string_view delimiter = options.delimiter ? options.delimiter : "";
    if (options.delimiter &&
        (delimiter.empty() || delimiter.size() > KVPS_KEY_MAX || !kvps::is_utf8(delimiter) ||
         std::any_of(delimiter.begin(), delimiter.end(),
                     [](char c) { return (unsigned char)c < 0x20 || c == 0x7f; })))
        kvps::fail(KVPS_INVALID_ARGUMENT,
                   "invalid delimiter " + kvps::quote(delimiter) +
                       ": use NULL for none, else non-empty UTF-8 without control characters");
    // A cursor belongs to one prefix and one delimiter: it carries both.
    std::string scope(p);
    if (!delimiter.empty()) scope.append("\x1f").append(delimiter);
    std::string token;
    if (options.cursor && *options.cursor)
        token = kvps::read_cursor(options.cursor, store->store_id, scope);
    kvps::ListQuery query{p, token, token.empty() ? start_after : std::string_view(), delimiter,
                          options.page_size ? options.page_size : 1000};
    return logged(
        "list", p,
        [&](uint64_t &amount) {
            kvps::ListResult result = store->backend->list_with(query);
            auto page = std::make_unique<kvps_list_page>();
            page->entries = std::move(result.entries);
            page->prefixes = std::move(result.prefixes);
            page->views.reserve(page->entries.size());
            for (const kvps::Entry &e : page->entries)
                page->views.push_back(
                    kvps_entry{e.key.c_str(), e.size, e.mtime_ns, e.etag.c_str()});
            page->complete = result.next.empty();
            if (!page->complete)
                page->cursor = kvps::make_cursor(store->store_id, scope, result.next);
            amount = page->entries.size() + page->prefixes.size();
            *out = page.release();
            return KVPS_OK;
        },
        "keys");
}

}  // namespace

extern "C" {

KVPS_API kvps_status kvps_list(kvps_store *store, const char *prefix, const char *cursor,
                               size_t page_size, kvps_list_page **out) {
    return guard([&] {
        kvps_list_options options = KVPS_LIST_OPTIONS_INIT;
        options.prefix = prefix;
        options.cursor = cursor;
        options.page_size = page_size;
        return list_page(store, options, out);
    });
}

KVPS_API size_t kvps_list_page_count(const kvps_list_page *page) {
    return page ? page->views.size() : 0;
}

KVPS_API const kvps_entry *kvps_list_page_entry(const kvps_list_page *page, size_t i) {
    return page && i < page->views.size() ? &page->views[i] : nullptr;
}

KVPS_API const char *kvps_list_page_cursor(const kvps_list_page *page) {
    return page && !page->complete ? page->cursor.c_str() : nullptr;
}

KVPS_API void kvps_list_page_free(kvps_list_page *page) { delete page; }

/* ---- listing one level at a time, and from a position */

KVPS_API kvps_status kvps_list_with(kvps_store *store, const kvps_list_options *options,
                                    kvps_list_page **out) {
    return guard([&] {
        kvps_list_options defaults = KVPS_LIST_OPTIONS_INIT;
        if (options && options->version != KVPS_LIST_OPTIONS_VERSION)
            kvps::fail(KVPS_INVALID_ARGUMENT, "kvps_list_options.version is " +
                                                  std::to_string(options->version) +
                                                  "; initialize it with KVPS_LIST_OPTIONS_INIT");
        return list_page(store, options ? *options : defaults, out);
    });
}

KVPS_API size_t kvps_list_page_prefix_count(const kvps_list_page *page) {
    return page ? page->prefixes.size() : 0;
}

KVPS_API const char *kvps_list_page_prefix(const kvps_list_page *page, size_t i) {
    return page && i < page->prefixes.size() ? page->prefixes[i].c_str() : nullptr;
}

}  // extern "C"
