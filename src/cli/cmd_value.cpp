// put, get, stat and rm: the commands on single values.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "errors.hpp"
#include "glob.hpp"
#include "interrupt.hpp"
#include "listing.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "store.hpp"

namespace cli {
namespace {

constexpr size_t chunk_size = 1 << 20;

std::string system_message(const std::string &what, const std::string &path) {
    return what + " " + path + ": " + std::strerror(errno);
}

// The input of put: a file, or standard input for "-".
class Input {
public:
    explicit Input(const std::string &path) : name_(path == "-" ? "standard input" : path) {
        if (path != "-") {
            fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd_ < 0) throw Failure{EXIT_USAGE, system_message("cannot open", path)};
            owned_ = true;
        }
        struct stat info {};
        if (fstat(fd_, &info) == 0 && S_ISDIR(info.st_mode)) {
            if (owned_) ::close(fd_);
            throw Failure{EXIT_USAGE, "cannot read " + name_ + ": it is a folder"};
        }
        if (fstat(fd_, &info) == 0 && S_ISREG(info.st_mode))
            size_ = static_cast<uint64_t>(info.st_size);
        else
            size_known_ = false;
    }
    ~Input() {
        if (owned_) ::close(fd_);
    }
    Input(const Input &) = delete;
    Input &operator=(const Input &) = delete;

    uint64_t size() const { return size_; }
    bool size_known() const { return size_known_; }

    // Reads up to capacity bytes; 0 at the end. Waits in short polls rather than one blocking
    // read so that an interrupt arriving just before the read is still seen promptly.
    size_t read(char *buffer, size_t capacity) {
        for (;;) {
            check_interrupted();
            pollfd wait{fd_, POLLIN, 0};
            int ready = ::poll(&wait, 1, 200);
            if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
            ssize_t n = ::read(fd_, buffer, capacity);
            if (n >= 0) return static_cast<size_t>(n);
            if (errno != EINTR && errno != EAGAIN)
                throw Failure{EXIT_STORAGE, system_message("cannot read", name_)};
        }
    }

private:
    std::string name_;
    int fd_ = STDIN_FILENO;
    bool owned_ = false;
    uint64_t size_ = 0;
    bool size_known_ = true;
};

// The output of get: standard output for "-", else a temporary file beside the target that
// is renamed over it once complete, so a failed or interrupted get leaves no partial file.
class Output {
public:
    explicit Output(const std::string &path) : path_(path) {
        if (path == "-") return;
        temp_ = path + ".kvps-" + std::to_string(::getpid()) + ".tmp";
        fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd_ < 0) throw Failure{EXIT_STORAGE, system_message("cannot create", path)};
    }
    ~Output() {
        if (!temp_.empty()) {
            ::close(fd_);
            ::unlink(temp_.c_str());
        }
    }
    Output(const Output &) = delete;
    Output &operator=(const Output &) = delete;

    void write(const char *data, size_t size) {
        if (!write_all(fd_, data, size))
            throw Failure{EXIT_STORAGE, system_message("cannot write", name())};
    }
    void finish() {
        if (temp_.empty()) return;
        int fd = fd_;
        fd_ = -1;
        if (::close(fd) != 0 || ::rename(temp_.c_str(), path_.c_str()) != 0) {
            int saved = errno;
            ::unlink(temp_.c_str());
            temp_.clear();
            errno = saved;
            throw Failure{EXIT_STORAGE, system_message("cannot write", path_)};
        }
        temp_.clear();
    }

private:
    std::string name() const { return temp_.empty() ? "standard output" : path_; }

    std::string path_;
    std::string temp_;  // "" for standard output or once renamed
    int fd_ = STDOUT_FILENO;
};

// The key an argument names (a key in the current store, ALIAS:KEY, or a file path).
Location key_location(const Args &args, const std::string &argument) {
    Location where = locate(argument, args.store, MissingPath::file);
    if (where.whole_store) usage_error("'" + argument + "' names a store, not a key");
    return where;
}

}  // namespace

int run_put(const Context &context) {
    const Args &args = context.args;
    expect_operands(args, 1, 2);
    Location where = key_location(args, args.operands[0]);
    const std::string &key = where.key;
    Input input(args.operands.size() > 1 ? args.operands[1] : "-");
    Store store = open_store(where, Role::destination, args.verbose);

    // --content-type, --meta, --if-match, --create-only: kvps_put_options (strings kept here
    // until the writer is open: the library copies them).
    std::optional<std::string> content_type = args.value("content-type");
    std::optional<std::string> if_match = args.value("if-match");
    std::vector<std::string> metas = args.values("meta");
    std::vector<std::string> names, values;
    for (const std::string &m : metas) {
        size_t eq = m.find('=');
        if (eq == std::string::npos || eq == 0) usage_error("--meta '" + m + "' is not NAME=VALUE");
        names.push_back(m.substr(0, eq));
        values.push_back(m.substr(eq + 1));
    }
    std::vector<kvps_option> pairs;
    for (size_t i = 0; i < names.size(); ++i)
        pairs.push_back({names[i].c_str(), values[i].c_str()});
    kvps_put_options options = KVPS_PUT_OPTIONS_INIT;
    options.create_only = args.flag("create-only");
    options.if_match = if_match ? if_match->c_str() : nullptr;
    options.content_type = content_type ? content_type->c_str() : nullptr;
    options.metadata = pairs.empty() ? nullptr : pairs.data();
    options.metadata_count = pairs.size();

    kvps_writer *raw = nullptr;
    if (kvps_status status = kvps_writer_open_with(store.get(), key.c_str(), &options, &raw);
        status != KVPS_OK)
        store_error(status);
    Writer writer(raw);

    Progress progress(context.progress, input.size(), input.size_known(), 1);
    std::vector<char> buffer(chunk_size);
    while (size_t n = input.read(buffer.data(), buffer.size())) {
        if (kvps_status status = kvps_writer_write(writer.get(), buffer.data(), n);
            status != KVPS_OK) {
            check_interrupted();
            store_error(status);
        }
        progress.add_bytes(n);
    }
    check_interrupted();  // last chance: an interrupted put must not become visible
    commit(std::move(writer));
    progress.add_key();
    progress.finish();
    return EXIT_OK;
}

int run_get(const Context &context) {
    const Args &args = context.args;
    expect_operands(args, 1, 2);
    Location where = key_location(args, args.operands[0]);
    const std::string &key = where.key;
    Store store = open_store(where, Role::source, args.verbose);

    kvps_reader *raw = nullptr;
    kvps_status status = kvps_reader_open(store.get(), key.c_str(), 0, KVPS_TO_END, &raw);
    if (status == KVPS_NOT_FOUND) key_not_found(store.get(), key);
    if (status != KVPS_OK) library_error(status);
    Reader reader(raw);

    Output output(args.operands.size() > 1 ? args.operands[1] : "-");
    Progress progress(context.progress, kvps_reader_value_size(reader.get()), true, 1);
    std::vector<char> buffer(chunk_size);
    for (;;) {
        check_interrupted();
        size_t n = 0;
        status = kvps_reader_read(reader.get(), buffer.data(), buffer.size(), &n);
        if (status != KVPS_OK) {
            check_interrupted();
            library_error(status);
        }
        if (n == 0) break;
        output.write(buffer.data(), n);
        progress.add_bytes(n);
    }
    output.finish();
    progress.add_key();
    progress.finish();
    return EXIT_OK;
}

int run_stat(const Context &context) {
    const Args &args = context.args;
    expect_operands(args, 1, 1);
    Location where = key_location(args, args.operands[0]);
    const std::string &key = where.key;
    Store store = open_store(where, Role::source, args.verbose);

    kvps_stat_info info = KVPS_STAT_INIT;
    kvps_status status = kvps_stat(store.get(), key.c_str(), &info);
    if (status == KVPS_NOT_FOUND) key_not_found(store.get(), key);
    if (status != KVPS_OK) library_error(status);
    std::string text = "size: " + std::to_string(info.size) + "\n" +
                       "mtime: " + format_time(info.mtime_ns, true) + "\n" + "etag: " + info.etag +
                       "\n" + "content-type: " + info.content_type + "\n";
    for (size_t i = 0; i < info.metadata_count; ++i) {
        const char *name = nullptr, *value = nullptr;
        if (kvps_stat_metadata_at(&info, i, &name, &value) == KVPS_OK)
            text += std::string("meta: ") + name + "=" + value + "\n";
    }
    write_stdout(text);
    return EXIT_OK;
}

namespace {

// The keys one rm argument names: itself, the keys a glob matches, or with -r every key under
// a prefix.
std::vector<std::string> keys_to_remove(const Args &args, kvps_store *store, const Location &where,
                                        const std::string &argument) {
    bool recursive = args.flag("recursive");
    const std::string &pattern = where.key;
    if (has_wildcards(pattern)) {
        std::vector<std::string> keys;
        list_each(store, literal_prefix(pattern), [&](const kvps_entry &entry) {
            if (glob_match(pattern, entry.key)) keys.push_back(entry.key);
        });
        return keys;
    }
    if (!recursive) {
        if (where.whole_store)
            usage_error("'" + argument + "' names a whole store: use rm -r --all to empty it");
        if (pattern.ends_with('/'))
            usage_error("'" + argument + "' is a prefix: use rm -r to remove the keys under it");
        return {pattern};
    }
    if (pattern.empty() && !args.flag("all"))
        usage_error(
            "rm -r of an empty prefix would remove every key of the store: add --all "
            "to mean it");
    std::vector<std::string> keys;
    list_each(store, pattern, [&](const kvps_entry &entry) { keys.push_back(entry.key); });
    return keys;
}

}  // namespace

int run_rm(const Context &context) {
    const Args &args = context.args;
    bool everything = args.flag("all");
    if (everything && !args.flag("recursive"))
        usage_error("--all goes with -r: rm -r --all empties the store");
    std::vector<std::string> arguments = args.operands;
    bool whole_current_store = arguments.empty() && everything;
    if (whole_current_store) arguments.push_back("");
    if (arguments.empty())
        usage_error(args.flag("recursive")
                        ? "rm -r needs a PREFIX, or --all to remove every key of the store"
                        : "rm needs a KEY, a GLOB or (with -r) a PREFIX");

    // In batches, so that a huge argument list does not become one huge request.
    constexpr size_t batch = 1000;
    bool counted = args.flag("recursive");
    size_t removed = 0;
    int exit_code = EXIT_OK;
    for (const std::string &argument : arguments) {
        Location where = whole_current_store ? current_store(args.store)
                                             : locate(argument, args.store, MissingPath::file);
        counted = counted || has_wildcards(where.key);
        // Removing never needs a store to be made: opened as a source, nothing is created.
        Store store = open_store(where, Role::source, args.verbose);
        std::vector<std::string> keys = keys_to_remove(args, store.get(), where, argument);
        for (size_t start = 0; start < keys.size(); start += batch) {
            check_interrupted();
            size_t n = std::min(batch, keys.size() - start);
            std::vector<kvps_status> statuses;
            if (delete_batch(store.get(), std::span(keys).subspan(start, n), statuses) == KVPS_OK) {
                removed += n;
                continue;
            }
            // Each failed item with the library's message for it. A delete names no missing
            // key: KVPS_NOT_FOUND is the store.
            for (size_t i = 0; i < n; ++i) {
                if (statuses[i] == KVPS_OK) {
                    removed += 1;
                    continue;
                }
                std::string message = kvps_last_item_error(i);
                print_line(message.empty() ? "cannot remove " + keys[start + i] + ": " +
                                                 kvps_status_name(statuses[i])
                                           : message);
                if (exit_code == EXIT_OK)
                    exit_code =
                        statuses[i] == KVPS_NOT_FOUND ? EXIT_STORAGE : exit_code_for(statuses[i]);
            }
        }
    }
    if (counted && !args.quiet)
        print_line("removed " + std::to_string(removed) + (removed == 1 ? " key" : " keys"));
    if (exit_code != EXIT_OK) throw Failure{exit_code, ""};
    return EXIT_OK;
}

// ---- presign

namespace {

// "90s", "15m", "1h", "7d" or plain seconds; throws a usage Failure for anything else.
uint64_t duration_seconds(const std::string &text) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    std::string unit = text.substr(digits);
    uint64_t scale = unit.empty() || unit == "s" ? 1
                     : unit == "m"               ? 60
                     : unit == "h"               ? 3600
                     : unit == "d"               ? 86400
                                                 : 0;
    if (digits == 0 || digits > 9 || scale == 0)
        usage_error("presign: --expires takes a duration such as 90s, 15m, 1h or 7d, not '" + text +
                    "'");
    return std::stoull(text.substr(0, digits)) * scale;
}

}  // namespace

int run_presign(const Context &context) {
    const Args &args = context.args;
    expect_operands(args, 1, 1);
    Location where = key_location(args, args.operands[0]);
    uint64_t seconds = duration_seconds(args.value("expires").value_or("1h"));
    Store store = open_store(where, Role::source, args.verbose);
    char *url = nullptr;
    kvps_status status = kvps_presign(store.get(), where.key.c_str(),
                                      args.flag("put") ? "PUT" : "GET", seconds, &url);
    if (status != KVPS_OK) library_error(status);
    write_stdout(std::string(url) + "\n");
    kvps_free(url);
    return EXIT_OK;
}

}  // namespace cli
