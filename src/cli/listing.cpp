#include "listing.hpp"

#include "errors.hpp"
#include "interrupt.hpp"
#include "store.hpp"

namespace cli {

void list_each(kvps_store *store, const std::string &prefix,
               const std::function<void(const kvps_entry &)> &each,
               const std::function<void()> &page_done) {
    std::string cursor;
    for (;;) {
        check_interrupted();
        kvps_list_page *raw = nullptr;
        kvps_status status =
            kvps_list(store, prefix.c_str(), cursor.empty() ? nullptr : cursor.c_str(), 0, &raw);
        if (status != KVPS_OK)
            store_error(status, std::string("cannot list ") + kvps_store_url(store) + ": ");
        Page page(raw);
        size_t count = kvps_list_page_count(page.get());
        for (size_t i = 0; i < count; ++i) each(*kvps_list_page_entry(page.get(), i));
        if (page_done) page_done();
        const char *next = kvps_list_page_cursor(page.get());
        if (next == nullptr) return;
        cursor = next;
    }
}

std::vector<Entry> list_all(kvps_store *store, const std::string &prefix) {
    std::vector<Entry> entries;
    list_each(store, prefix, [&](const kvps_entry &entry) {
        entries.push_back({entry.key, entry.size, entry.mtime_ns, entry.etag ? entry.etag : ""});
    });
    return entries;
}

void key_not_found(kvps_store *store, const std::string &key) {
    // A one-key listing succeeds on any existing store, and names the culprit otherwise.
    kvps_list_page *raw = nullptr;
    kvps_status status = kvps_list(store, key.c_str(), nullptr, 1, &raw);
    kvps_list_page_free(raw);
    if (status != KVPS_OK && status != KVPS_INVALID_KEY && status != KVPS_UNSUPPORTED)
        store_error(status);
    not_found(key);
}

}  // namespace cli
