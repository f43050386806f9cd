// ls and backends: the commands that list things.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "commands.hpp"
#include "errors.hpp"
#include "output.hpp"
#include "store.hpp"

namespace cli {
namespace {

std::string capability_names(uint64_t bits) {
    static const std::pair<uint64_t, const char *> names[] = {
        {KVPS_CAP_RANGE, "range"},           {KVPS_CAP_READ_STREAM, "read-stream"},
        {KVPS_CAP_WRITE_STREAM, "write-stream"}, {KVPS_CAP_LIST, "list"},
        {KVPS_CAP_BATCH, "batch"},           {KVPS_CAP_PERSISTENT, "persistent"},
        {KVPS_CAP_SHARED, "shared"},
    };
    std::string out;
    for (const auto &[bit, name] : names)
        if (bits & bit)
            out += (out.empty() ? "" : ", ") + std::string(name);
    return out.empty() ? "none" : out;
}

std::string padded(std::string text, size_t width) {
    if (text.size() < width)
        text.append(width - text.size(), ' ');
    return text;
}

std::string describe_backend(const kvps_backend_info &backend) {
    std::string out = std::string(backend.name) + ": " + backend.description + "\n";
    out += "  schemes: ";
    for (size_t i = 0; i < backend.scheme_count; ++i)
        out += (i ? ", " : "") + std::string(backend.schemes[i]) + "://";
    out += "\n  capabilities: " + capability_names(backend.capabilities) + "\n";
    if (backend.option_count == 0)
        return out + "  options: none\n";

    struct Row {
        std::string name, type, value, description;
    };
    std::vector<Row> rows;
    size_t widths[3] = {0, 0, 0};
    for (size_t i = 0; i < backend.option_count; ++i) {
        const kvps_option_info *option = kvps_backend_option(&backend, i);
        if (option == nullptr)
            continue;
        Row row{option->name, kvps_option_type_name(option->type),
                option->required        ? "required"
                : option->default_value ? std::string("default ") + option->default_value
                                        : "no default",
                option->description ? option->description : ""};
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

int run_ls(const Context &context) {
    const Args &args = context.args;
    expect_operands(args, 0, 1);
    std::string prefix = args.operands.empty() ? "" : args.operands[0];
    Store store = open_store(choose_store_url(args.store), args.verbose);

    std::string cursor;
    for (;;) {
        kvps_list_page *raw = nullptr;
        kvps_status status = kvps_list(store.get(), prefix.c_str(),
                                       cursor.empty() ? nullptr : cursor.c_str(), 0, &raw);
        if (status != KVPS_OK)
            library_error(status);
        Page page(raw);
        std::string text;
        size_t count = kvps_list_page_count(page.get());
        for (size_t i = 0; i < count; ++i) {
            const kvps_entry *entry = kvps_list_page_entry(page.get(), i);
            text += entry->key;
            if (args.long_listing)
                text += "\t" + std::to_string(entry->size) + "\t" +
                        format_time(entry->mtime_ns, false);
            text += '\n';
        }
        write_stdout(text);
        const char *next = kvps_list_page_cursor(page.get());
        if (next == nullptr)
            break;
        cursor = next;
    }
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
