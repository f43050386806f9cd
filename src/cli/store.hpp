// Owning wrappers around the library's handles, and how the tool picks its store.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "kvps.h"

namespace cli {

struct StoreCloser {
    void operator()(kvps_store *store) const { kvps_close(store); }
};
struct ReaderCloser {
    void operator()(kvps_reader *reader) const { kvps_reader_close(reader); }
};
// A writer that is dropped without commit is aborted: its bytes never become visible.
struct WriterAborter {
    void operator()(kvps_writer *writer) const { kvps_writer_abort(writer); }
};
struct PageFreer {
    void operator()(kvps_list_page *page) const { kvps_list_page_free(page); }
};
using Store = std::unique_ptr<kvps_store, StoreCloser>;
using Reader = std::unique_ptr<kvps_reader, ReaderCloser>;
using Writer = std::unique_ptr<kvps_writer, WriterAborter>;
using Page = std::unique_ptr<kvps_list_page, PageFreer>;

// The store URL: --store, else $KVPS_STORE, else the default folder (created here).
std::string choose_store_url(const std::optional<std::string> &flag);

// file://$XDG_DATA_HOME/kvps/store, or file://$HOME/.local/share/kvps/store; the folder
// itself is not touched.
std::string default_store_folder();

// Opens url; on failure throws the library's message (exit 2 for a bad URL, scheme or option,
// or a store that does not exist; 3 for a storage failure). With verbose, prints
// "store: URL" (secrets removed) on standard error.
Store open_store(const std::string &url, bool verbose, const char *role = "store");

// Commits the writer (which frees it whatever the result); throws the library's message,
// after context.
void commit(Writer writer, const std::string &context = "");

}  // namespace cli
