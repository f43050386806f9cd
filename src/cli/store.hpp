// Owning wrappers around the library's handles, and how an argument names a store and a key.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

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

// Where an argument points: a store and a key (or prefix) in it.
//   scheme://...        a store URL: the whole store
//   NAME:KEY            KEY in the store of alias NAME ("NAME:" is the whole store)
//   /abs, ./rel, ../rel, ~/dir, ., .., ~
//                       a plain folder (pathmapped: key a/b is the file a/b), or, for a file,
//                       the key named by its file name in its folder
//   anything else       a key in the current store (--store, $KVPS_STORE, the default one)
struct Location {
    std::string url;           // the store, before the tool's defaults (see open_store)
    std::string key;           // the key or prefix; "" for the whole store
    bool whole_store = false;  // the argument named a store, not a key
    bool is_default = false;   // the tool's own default store
    bool plain_path = false;   // a folder named by a path
    std::string folder;        // that folder, absolute
};

// How a plain path that names no existing folder is read.
enum class MissingPath { folder, file };

Location locate(const std::string &argument, const std::optional<std::string> &store_flag,
                MissingPath missing = MissingPath::folder);

// The current store: --store (a URL, a path or an alias name), else $KVPS_STORE, else the
// default folder $XDG_DATA_HOME/kvps/store.
Location current_store(const std::optional<std::string> &store_flag);

// file://$XDG_DATA_HOME/kvps/store, or file://$HOME/.local/share/kvps/store.
std::string default_store_folder();

enum class Role { source, destination };

// Opens a store. A source is opened without creating anything (create=false where the backend
// has that option; a missing default store reads as empty); a file:// folder without a layout
// option is pathmapped unless it already holds an encoded store. Throws the library's message:
// exit 2 for a bad URL, scheme or option, 3 for a store that does not exist or fails. With
// verbose, prints "NAME: URL" (secrets removed) on standard error. With empty_is_fine, a
// source folder that does not exist reads as an empty store (a dry run's new destination).
Store open_store(const Location &where, Role role, bool verbose, const char *name = "store",
                 bool empty_is_fine = false);

// Commits the writer (which frees it whatever the result); throws the library's message,
// after context.
void commit(Writer writer, const std::string &context = "");

// $HOME (or the password database's entry); throws a usage Failure when there is none.
std::string home_folder();

// "a/b/c" -> "c".
std::string base_name(const std::string &key);

// kvps_delete_many of keys; statuses gets each item's status (kvps_last_item_error(i) each
// failed item's message).
kvps_status delete_batch(kvps_store *store, std::span<const std::string> keys,
                         std::vector<kvps_status> &statuses);

}  // namespace cli
