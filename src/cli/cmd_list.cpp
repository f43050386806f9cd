// ls and backends: the commands that list things.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

#include "commands.hpp"
#include "errors.hpp"
#include "glob.hpp"
#include "listing.hpp"
#include "output.hpp"
#include "store.hpp"

namespace cli {
namespace {

std::string capability_names(uint64_t bits) {
    static const std::pair<uint64_t, const char *> names[] = {
        {KVPS_CAP_RANGE, "range"},
        {KVPS_CAP_READ_STREAM, "read-stream"},
        {KVPS_CAP_WRITE_STREAM, "write-stream"},
        {KVPS_CAP_LIST, "list"},
        {KVPS_CAP_BATCH, "batch"},
        {KVPS_CAP_PERSISTENT, "persistent"},
        {KVPS_CAP_SHARED, "shared"},
        {KVPS_CAP_ZERO_COPY, "zero-copy"},
    };
    std::string out;
    for (const auto &[bit, name] : names)
        if (bits & bit) out += (out.empty() ? "" : ", ") + std::string(name);
    return out.empty() ? "none" : out;
}

std::string padded(std::string text, size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
}

std::string describe_backend(const kvps_backend_info &backend) {
    std::string out = std::string(backend.name) + ": " + backend.description + "\n";
    out += "  schemes: ";
    for (size_t i = 0; i < backend.scheme_count; ++i)
        out += (i ? ", " : "") + std::string(backend.schemes[i]) + "://";
    out += "\n  capabilities: " + capability_names(backend.capabilities) + "\n";
    if (backend.option_count == 0) return out + "  options: none\n";

    struct Row {
        std::string name, type, value, description;
    };
    std::vector<Row> rows;
    size_t widths[3] = {0, 0, 0};
    for (size_t i = 0; i < backend.option_count; ++i) {
        const kvps_option_info *option = kvps_backend_option(&backend, i);
        if (option == nullptr) continue;
        Row row{option->name, kvps_option_type_name(option->type),
                option->required        ? "required"
                : option->default_value ? std::string("default ") + option->default_value
                                        : "no default",
                option->description ? option->description : ""};
        for (size_t a = 0; a < option->alias_count; ++a)
            row.description += (a ? ", " : " (aliases: ") + std::string(option->aliases[a]) +
                               (a + 1 == option->alias_count ? ")" : "");
        widths[0] = std::max(widths[0], row.name.size());
        widths[1] = std::max(widths[1], row.type.size());
        widths[2] = std::max(widths[2], row.value.size());
        rows.push_back(std::move(row));
    }
    out += "  options:\n";
    for (const Row &row : rows)
        out += "    " + padded(row.name, widths[0]) + "  " + padded(row.type, widths[1]) + "  " +
               padded(row.value, widths[2]) + "  " + row.description + "\n";
    return out;
}

}  // namespace

namespace {

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
            out += escaped;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

// How ls prints a key or a folder ("dir/", one level listings only).
class Printer {
public:
    explicit Printer(const Args &args)
        : human_(args.flag("human")),
          long_(args.flag("long") || human_),
          json_(args.flag("json")) {}

    void key(const kvps_entry &entry) {
        if (json_) {
            text_ +=
                "{\"key\":" + json_string(entry.key) + ",\"size\":" + std::to_string(entry.size) +
                ",\"mtime\":" +
                (entry.mtime_ns == 0 ? "null" : json_string(format_time(entry.mtime_ns, true))) +
                ",\"etag\":" + json_string(entry.etag ? entry.etag : "") + "}\n";
            return;
        }
        text_ += entry.key;
        if (long_)
            text_ += "\t" +
                     (human_ ? format_bytes(static_cast<double>(entry.size))
                             : std::to_string(entry.size)) +
                     "\t" + format_time(entry.mtime_ns, false);
        text_ += '\n';
    }

    void folder(const std::string &prefix) {
        if (json_)
            text_ += "{\"prefix\":" + json_string(prefix) + "}\n";
        else
            text_ += prefix + (long_ ? "\t-\t-\n" : "\n");
    }

    void flush() {
        write_stdout(text_);
        text_.clear();
    }

private:
    bool human_, long_, json_;
    std::string text_;
};

// One level under prefix, folded at delimiter by the store itself (kvps_list_with): keys and
// folders ("2024/") in one byte order, a page at a time.
void list_level(kvps_store *store, const std::string &prefix, const std::string &delimiter,
                Printer &printer) {
    if (delimiter.empty()) usage_error("ls: the delimiter is empty");
    std::string cursor;
    for (;;) {
        kvps_list_options options = KVPS_LIST_OPTIONS_INIT;
        options.prefix = prefix.c_str();
        options.delimiter = delimiter.c_str();
        options.cursor = cursor.empty() ? nullptr : cursor.c_str();
        kvps_list_page *raw = nullptr;
        kvps_status status = kvps_list_with(store, &options, &raw);
        if (status != KVPS_OK)
            store_error(status, std::string("cannot list ") + kvps_store_url(store) + ": ");
        Page page(raw);
        size_t keys = kvps_list_page_count(page.get()),
               folders = kvps_list_page_prefix_count(page.get());
        for (size_t i = 0, j = 0; i < keys || j < folders;) {
            const kvps_entry *entry = i < keys ? kvps_list_page_entry(page.get(), i) : nullptr;
            const char *folder = j < folders ? kvps_list_page_prefix(page.get(), j) : nullptr;
            if (entry && (!folder || std::strcmp(entry->key, folder) < 0)) {
                printer.key(*entry);
                ++i;
            } else {
                printer.folder(folder);
                ++j;
            }
        }
        printer.flush();
        const char *next = kvps_list_page_cursor(page.get());
        if (next == nullptr) return;
        cursor = next;
    }
}

}  // namespace

int run_ls(const Context &context) {
    const Args &args = context.args;
    expect_operands(args, 0, 1);
    Location where = args.operands.empty()
                         ? current_store(args.store)
                         : locate(args.operands[0], args.store, MissingPath::folder);
    Store store = open_store(where, Role::source, args.verbose);

    // A glob lists its longest literal prefix and keeps the keys it matches; otherwise one
    // level below the prefix is shown (deeper keys folded into "folder/" lines), or with -r
    // every key.
    const std::string &pattern = where.key;
    bool glob = has_wildcards(pattern);
    std::string prefix = glob ? literal_prefix(pattern) : pattern;
    bool recursive = args.flag("recursive");
    Printer printer(args);
    if (!glob && !recursive) {
        list_level(store.get(), prefix, args.value("delimiter").value_or("/"), printer);
        return EXIT_OK;
    }
    if (args.value("delimiter"))
        usage_error("ls: -d/--delimiter lists one level; it does not go with -r or a pattern");
    std::string last_folder;
    list_each(
        store.get(), prefix,
        [&](const kvps_entry &entry) {
            std::string_view key = entry.key;
            if (glob) {
                if (glob_match(pattern, key)) printer.key(entry);
                return;
            }
            size_t slash = key.find('/', prefix.size());
            if (recursive || slash == std::string_view::npos) {
                printer.key(entry);
                return;
            }
            // Keys under one folder are adjacent in byte order: one line for them all.
            std::string folder(key.substr(0, slash + 1));
            if (folder != last_folder) printer.folder(folder);
            last_folder = std::move(folder);
        },
        [&] { printer.flush(); });
    return EXIT_OK;
}

int run_backends(const Context &context) {
    expect_operands(context.args, 0, 0);
    std::string text;
    size_t count = kvps_backend_count();
    for (size_t i = 0; i < count; ++i) {
        if (const kvps_backend_info *backend = kvps_backend_at(i))
            text += (i ? "\n" : "") + describe_backend(*backend);
    }
    write_stdout(text);
    return EXIT_OK;
}

}  // namespace cli
