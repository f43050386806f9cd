// cp SRC DST and sync SRC DST: copy values between stores, streamed, N at a time.
//
// When is a key skipped? When the destination holds a value of the same size and either
//  - both stores are of the same backend and their etags are equal (an etag is only
//    meaningful to the backend that made it; S3's is a digest of the bytes, another backend's
//    may be a version stamp), or
//  - the bytes are equal, compared streamed, which is what decides whenever the etags cannot
//    settle it: between different backends, or when a backend's etags are local to one store
//    (a file:// etag is derived from the file, so two folders never share one).
// Comparing costs a read of both values but never a write, so a second cp changes nothing.
// A value's content type and user metadata travel with it and take part in the comparison:
// within one store (the same URL) cp is kvps_copy (server-side on s3://), which keeps them;
// between stores they are read with kvps_stat and written with the value (kvps_writer_open_with).
//
// mv SRC DST: within one store, kvps_rename per key. Between stores, a copy as above, then the
// source is removed only once the copy is verified: the destination holds the size copied and
// the etag (and properties) the write made, and the source still has the etag it had when the
// copy started (a value rewritten meanwhile is kept, and reported).
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
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
constexpr unsigned default_jobs = 4;
constexpr unsigned max_jobs = 64;

// One value to copy: the source entry and the key it gets in the destination.
struct Item {
    Entry source;
    std::string destination_key;
};

// The backend a URL names (aliases resolve to the same one), or NULL.
const kvps_backend_info *backend_of(const std::string &url) {
    std::string scheme = url.substr(0, url.find(':'));
    return kvps_backend_find(scheme.c_str());
}

unsigned parse_jobs(const std::optional<std::string> &text) {
    if (!text) return default_jobs;
    unsigned jobs = 0;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), jobs);
    if (error != std::errc() || end != text->data() + text->size() || jobs < 1 || jobs > max_jobs)
        usage_error("--jobs must be a whole number from 1 to " + std::to_string(max_jobs) +
                    ", not '" + *text + "'");
    return jobs;
}

// --include/--exclude: a pattern without '/' matches the key's last segment (as "*.jpg" does
// in rclone and .gitignore), one with '/' the whole key below the source prefix.
class Filter {
public:
    explicit Filter(const Args &args)
        : include_(args.values("include")), exclude_(args.values("exclude")) {}

    bool accepts(const std::string &relative) const {
        auto matches = [&](const std::string &pattern) {
            bool whole = pattern.find('/') != std::string::npos;
            return glob_match(pattern, whole ? relative : base_name(relative));
        };
        if (!include_.empty() && std::none_of(include_.begin(), include_.end(), matches))
            return false;
        return std::none_of(exclude_.begin(), exclude_.end(), matches);
    }

private:
    std::vector<std::string> include_, exclude_;
};

// Reads until buffer is full or the value ends (a reader may return short reads).
size_t read_full(kvps_reader *reader, char *buffer, size_t capacity, const std::string &context) {
    size_t filled = 0;
    while (filled < capacity) {
        size_t n = 0;
        if (kvps_status status = kvps_reader_read(reader, buffer + filled, capacity - filled, &n);
            status != KVPS_OK)
            library_error(status, context);
        if (n == 0) break;
        filled += n;
    }
    return filled;
}

// A value's content type and user metadata, as kvps_stat reports them.
struct Properties {
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> metadata;  // names in lower case, sorted

    bool operator==(const Properties &) const = default;
    bool plain() const { return content_type == "application/octet-stream" && metadata.empty(); }
};

Properties properties_of(const kvps_stat_info &info) {
    Properties properties{info.content_type, {}};
    for (size_t i = 0; i < info.metadata_count; ++i) {
        const char *name = nullptr, *value = nullptr;
        if (kvps_stat_metadata_at(&info, i, &name, &value) == KVPS_OK)
            properties.metadata.emplace_back(name, value);
    }
    return properties;
}

// kvps_stat; false for a missing key.
bool stat_key(kvps_store *store, const std::string &key, kvps_stat_info &info,
              const std::string &context) {
    info = KVPS_STAT_INIT;
    kvps_status status = kvps_stat(store, key.c_str(), &info);
    if (status == KVPS_NOT_FOUND) return false;
    if (status != KVPS_OK) library_error(status, context);
    return true;
}

enum class Mode { copy, move };

class Copier {
public:
    Copier(kvps_store *source, kvps_store *destination, bool same_backend, bool same_store,
           Mode mode, bool dry_run, std::vector<Item> items, const std::vector<Entry> &existing,
           Progress &progress, std::string source_root = "", std::string destination_root = "")
        : source_(source),
          destination_(destination),
          same_backend_(same_backend),
          same_store_(same_store),
          move_(mode == Mode::move),
          dry_run_(dry_run),
          items_(std::move(items)),
          progress_(progress),
          source_root_(std::move(source_root)),
          destination_root_(std::move(destination_root)) {
        for (const Entry &entry : existing) existing_.emplace(entry.key, entry);
    }

    // Runs jobs workers until every key is done, one fails or a signal arrives.
    void run(unsigned jobs) {
        std::vector<std::thread> workers;
        {
            SignalsBlocked blocked;  // the signal goes to this thread; workers poll the flag
            unsigned count = static_cast<unsigned>(std::min<size_t>(jobs, items_.size()));
            try {
                for (unsigned i = 0; i < count; ++i) workers.emplace_back([this] { work(); });
            } catch (const std::system_error &error) {  // no more threads: stop the others
                record(
                    Failure{EXIT_STORAGE, std::string("cannot start a worker: ") + error.what()});
            }
        }
        for (std::thread &worker : workers) worker.join();
    }

    const std::optional<Failure> &failure() const { return failure_; }
    size_t copied() const { return copied_; }
    size_t skipped() const { return skipped_; }
    size_t vanished() const { return vanished_; }
    uint64_t bytes() const { return bytes_; }

private:
    void work() {
        while (!stop_ && !interrupted()) {
            size_t i = next_++;
            if (i >= items_.size()) return;
            try {
                process(items_[i]);
            } catch (const Failure &failure) {
                record(failure);
            } catch (const std::exception &error) {
                record(Failure{EXIT_STORAGE,
                               "cannot copy " + items_[i].source.key + ": " + error.what()});
            }
        }
    }

    void record(const Failure &failure) {
        std::lock_guard guard(lock_);
        if (!failure_) failure_ = failure;
        stop_ = true;
    }

    void process(const Item &item) {
        if (move_ && same_store_) {
            rename(item);
            return;
        }
        // Two spellings of one store, or nested stores: the same value under two names. A
        // move would copy it onto itself and then delete it.
        if (move_ && !source_root_.empty() &&
            source_root_ + "/" + item.source.key == destination_root_ + "/" + item.destination_key)
            throw Failure{EXIT_USAGE, "cannot move " + item.source.key +
                                          ": the source and the destination are the same value"};
        std::string source_etag;
        if (unchanged(item, &source_etag)) {
            if (move_ && !dry_run_) {
                remove_source(item, source_etag);  // the destination already holds it
                copied_ += 1;
            } else if (move_) {
                write_stdout("move " + item.source.key + " -> " + item.destination_key + "\n");
                copied_ += 1;
            } else {
                skipped_ += 1;
            }
            progress_.skip_key(item.source.size);
        } else if (dry_run_) {
            write_stdout(
                (move_ ? "move " : "copy ") + item.source.key +
                (item.destination_key == item.source.key ? "" : " -> " + item.destination_key) +
                "\n");
            copied_ += 1;
            bytes_ += item.source.size;
            progress_.skip_key(item.source.size);
        } else if (copy(item)) {
            copied_ += 1;
            progress_.add_key();
        } else {
            vanished_ += 1;
            progress_.skip_key(item.source.size);
        }
    }

    // Same size, same content type and metadata, and the same etag on one backend or else
    // the same bytes.
    bool unchanged(const Item &item, std::string *source_etag = nullptr) {
        auto found = existing_.find(item.destination_key);
        if (found == existing_.end() || found->second.size != item.source.size) return false;
        std::string context = "cannot copy " + item.source.key + ": ";
        kvps_stat_info ours, theirs;
        if (!stat_key(source_, item.source.key, ours, context) ||
            !stat_key(destination_, item.destination_key, theirs, context) ||
            ours.size != theirs.size || properties_of(ours) != properties_of(theirs))
            return false;
        if (source_etag != nullptr) *source_etag = ours.etag;
        if (same_backend_ && theirs.etag[0] != '\0' && std::string(theirs.etag) == ours.etag)
            return true;
        return same_bytes(item);
    }

    // mv within one store: one kvps_rename (atomic on memory:// and file://).
    void rename(const Item &item) {
        if (dry_run_) {
            write_stdout("move " + item.source.key + " -> " + item.destination_key + "\n");
        } else {
            check_interrupted();
            kvps_status status = kvps_rename(destination_, item.source.key.c_str(),
                                             item.destination_key.c_str(), nullptr);
            if (status == KVPS_NOT_FOUND) {
                vanished_ += 1;
                progress_.skip_key(item.source.size);
                return;
            }
            if (status != KVPS_OK) library_error(status, "cannot move " + item.source.key + ": ");
        }
        copied_ += 1;
        bytes_ += item.source.size;
        progress_.skip_key(item.source.size);
    }

    // mv between stores, once the value is at its destination: removes the source unless it
    // changed since (its etag is no longer `etag`). A source already gone is fine.
    void remove_source(const Item &item, const std::string &etag) {
        std::string context = "cannot move " + item.source.key + ": ";
        kvps_stat_info now;
        if (!stat_key(source_, item.source.key, now, context)) return;
        if (!etag.empty() && etag != now.etag)
            throw Failure{EXIT_STORAGE,
                          "cannot move " + item.source.key +
                              ": it changed while it "
                              "was copied; it is kept (the destination has the older value)"};
        if (kvps_status status = kvps_delete(source_, item.source.key.c_str()); status != KVPS_OK)
            store_error(status, context);
    }

    // mv between stores: the copy is verified before the source goes.
    void verify(const Item &item, uint64_t size, const std::string &made_etag,
                const Properties &properties) {
        kvps_stat_info there;
        std::string problem;
        if (!stat_key(destination_, item.destination_key, there,
                      "cannot move " + item.source.key + ": "))
            problem = "it is missing from the destination";
        else if (there.size != size)
            problem = "the destination holds " + std::to_string(there.size) + " bytes, not " +
                      std::to_string(size);
        else if (!made_etag.empty() && made_etag != there.etag)
            problem = "the destination was changed by someone else";
        else if (properties_of(there) != properties)
            problem = "the destination lacks its content type or metadata";
        if (!problem.empty())
            throw Failure{EXIT_STORAGE, "cannot move " + item.source.key + ": " + problem +
                                            "; the source is kept"};
    }

    // Opens a reader over the whole value; NULL when the key does not exist.
    Reader open_reader(kvps_store *store, const std::string &key) {
        kvps_reader *raw = nullptr;
        kvps_status status = kvps_reader_open(store, key.c_str(), 0, KVPS_TO_END, &raw);
        if (status == KVPS_NOT_FOUND) return nullptr;
        if (status != KVPS_OK) library_error(status, "cannot copy " + key + ": ");
        return Reader(raw);
    }

    bool same_bytes(const Item &item) {
        Reader ours = open_reader(source_, item.source.key);
        Reader theirs = open_reader(destination_, item.destination_key);
        if (!ours || !theirs) return false;
        std::string context = "cannot copy " + item.source.key + ": ";
        std::vector<char> a(chunk_size), b(chunk_size);
        for (;;) {
            check_interrupted();
            size_t n = read_full(ours.get(), a.data(), a.size(), context);
            size_t m = read_full(theirs.get(), b.data(), b.size(), context);
            if (n != m || !std::equal(a.begin(), a.begin() + static_cast<ptrdiff_t>(n), b.begin()))
                return false;
            if (n == 0) return true;
        }
    }

    // cp within one store: kvps_copy (server-side on s3://, keeps the properties).
    bool copy_in_store(const Item &item) {
        check_interrupted();
        kvps_status status =
            kvps_copy(destination_, item.source.key.c_str(), item.destination_key.c_str(), nullptr);
        if (status == KVPS_NOT_FOUND) return false;
        if (status != KVPS_OK) library_error(status, "cannot copy " + item.source.key + ": ");
        progress_.add_bytes(item.source.size);
        bytes_ += item.source.size;
        return true;
    }

    // Streams the value across with its content type and metadata (kvps_copy within one store);
    // false when the key vanished from the source meanwhile. mv then verifies the copy and
    // removes the source.
    bool copy(const Item &item) {
        if (same_store_) return copy_in_store(item);
        std::string context =
            std::string(move_ ? "cannot move " : "cannot copy ") + item.source.key + ": ";
        kvps_stat_info info;
        if (!stat_key(source_, item.source.key, info, context)) return false;
        Reader reader = open_reader(source_, item.source.key);
        if (!reader) return false;
        // The source's properties go with the value (a plain value is a plain write, so a
        // folder without extended attributes can still receive it).
        Properties properties = properties_of(info);
        std::vector<kvps_option> pairs;
        for (const auto &[name, value] : properties.metadata)
            pairs.push_back({name.c_str(), value.c_str()});
        char made_etag[KVPS_ETAG_MAX] = "";
        kvps_put_options options = KVPS_PUT_OPTIONS_INIT;
        if (!properties.plain()) {
            options.content_type = properties.content_type.c_str();
            options.metadata = pairs.data();
            options.metadata_count = pairs.size();
        }
        options.etag_out = made_etag;
        kvps_writer *raw = nullptr;
        if (kvps_status status =
                kvps_writer_open_with(destination_, item.destination_key.c_str(), &options, &raw);
            status != KVPS_OK)
            store_error(status, context);
        Writer writer(raw);  // aborted on any exit but the commit below
        uint64_t copied = 0;
        std::vector<char> buffer(chunk_size);
        for (;;) {
            check_interrupted();
            if (stop_) throw Failure{EXIT_STORAGE, ""};  // another key failed: leave this one alone
            size_t n = 0;
            if (kvps_status status =
                    kvps_reader_read(reader.get(), buffer.data(), buffer.size(), &n);
                status != KVPS_OK)
                library_error(status, context);
            if (n == 0) break;
            if (kvps_status status = kvps_writer_write(writer.get(), buffer.data(), n);
                status != KVPS_OK)
                store_error(status, context);
            progress_.add_bytes(n);
            bytes_ += n;
            copied += n;
        }
        check_interrupted();
        commit(std::move(writer), context);
        if (move_) {
            verify(item, copied, made_etag, properties);
            remove_source(item, info.etag);
        }
        return true;
    }

    kvps_store *const source_;
    kvps_store *const destination_;
    const bool same_backend_;
    const bool same_store_;  // one store: kvps_copy / kvps_rename, nothing streamed
    const bool move_;
    const bool dry_run_;
    const std::vector<Item> items_;
    std::unordered_map<std::string, Entry> existing_;
    Progress &progress_;
    const std::string source_root_, destination_root_;  // store_root() of each, for mv

    std::atomic<size_t> next_{0};
    std::atomic<bool> stop_{false};
    std::atomic<size_t> copied_{0}, skipped_{0}, vanished_{0};
    std::atomic<uint64_t> bytes_{0};
    std::mutex lock_;
    std::optional<Failure> failure_;  // guarded by lock_
};

std::string as_folder(std::string prefix) {
    if (!prefix.empty() && !prefix.ends_with('/')) prefix += '/';
    return prefix;
}

// What a cp or sync moves: the items, and the destination keys it may compare or delete.
struct Plan {
    std::vector<Item> items;
    std::vector<Entry> existing;     // destination keys under its prefix (or the one key)
    std::vector<std::string> extra;  // destination keys the source lacks (sync --delete)
};

Plan plan_recursive(const Args &args, kvps_store *source, const Location &from,
                    kvps_store *destination, const Location &to, bool deleting) {
    // The source prefix is a folder ("photos" means "photos/"); a glob lists its literal
    // folder and keeps the keys it matches. --prefix P keeps names: only keys under P.
    std::string pattern = from.key;
    bool glob = has_wildcards(pattern);
    std::string literal = glob ? literal_prefix(pattern) : as_folder(pattern);
    std::string source_prefix = glob ? literal.substr(0, literal.rfind('/') + 1) : literal;
    std::string only = args.value("prefix").value_or("");
    std::string destination_prefix = as_folder(to.key);
    Filter filter(args);

    Plan plan;
    std::unordered_set<std::string> wanted;
    list_each(source, glob ? literal : source_prefix + only, [&](const kvps_entry &entry) {
        std::string key = entry.key;
        std::string relative = key.substr(source_prefix.size());
        if ((glob && !glob_match(pattern, key)) || !filter.accepts(relative)) return;
        std::string target = destination_prefix + relative;
        wanted.insert(target);
        plan.items.push_back(
            {{key, entry.size, entry.mtime_ns, entry.etag ? entry.etag : ""}, std::move(target)});
    });
    plan.existing = list_all(destination, destination_prefix + only);
    if (deleting)
        for (const Entry &entry : plan.existing)
            if (!wanted.contains(entry.key) &&
                filter.accepts(entry.key.substr(destination_prefix.size())))
                plan.extra.push_back(entry.key);
    return plan;
}

Plan plan_one(kvps_store *source, const Location &from, kvps_store *destination,
              const Location &to) {
    std::string target = to.key;
    if (target.empty() || target.ends_with('/')) target += base_name(from.key);
    kvps_stat_info info = KVPS_STAT_INIT;
    kvps_status status = kvps_stat(source, from.key.c_str(), &info);
    if (status == KVPS_NOT_FOUND) key_not_found(source, from.key);
    if (status != KVPS_OK) library_error(status);
    Plan plan;
    plan.items.push_back({{from.key, info.size, info.mtime_ns, info.etag}, target});
    kvps_stat_info theirs = KVPS_STAT_INIT;
    status = kvps_stat(destination, target.c_str(), &theirs);
    if (status == KVPS_OK)
        plan.existing.push_back({target, theirs.size, theirs.mtime_ns, theirs.etag});
    else if (status != KVPS_NOT_FOUND)
        library_error(status);
    return plan;
}

// Removes keys in batches; returns how many.
size_t delete_keys(kvps_store *store, const std::vector<std::string> &keys) {
    constexpr size_t batch = 1000;
    for (size_t start = 0; start < keys.size(); start += batch) {
        check_interrupted();
        size_t n = std::min(batch, keys.size() - start);
        std::vector<kvps_status> statuses;
        if (kvps_status status = delete_batch(store, std::span(keys).subspan(start, n), statuses);
            status != KVPS_OK)
            store_error(status, "cannot delete: ");
    }
    return keys.size();
}

std::string count_keys(size_t n) { return std::to_string(n) + (n == 1 ? " key" : " keys"); }

// Where a store's keys live, spelled one way whatever the argument's spelling: a file://
// store (or a plain folder) is its canonical folder; another store is its URL without options
// (but its endpoint) and trailing '/'. "" for memory://, a new store at each open.
std::string store_root(const Location &where) {
    std::string url = where.url;
    size_t query = url.find('?');
    std::string base = url.substr(0, query);
    if (base.starts_with("memory:")) return "";
    if (base.starts_with("file://") || where.plain_path) {
        std::string path = where.plain_path ? where.folder : "";
        if (path.empty()) {
            std::string encoded = base.substr(7);
            for (size_t i = 0; i < encoded.size(); ++i) {  // percent-decoding
                if (encoded[i] == '%' && i + 2 < encoded.size() &&
                    std::isxdigit(static_cast<unsigned char>(encoded[i + 1])) &&
                    std::isxdigit(static_cast<unsigned char>(encoded[i + 2]))) {
                    path += static_cast<char>(std::stoi(encoded.substr(i + 1, 2), nullptr, 16));
                    i += 2;
                } else {
                    path += encoded[i];
                }
            }
        }
        std::error_code error;
        std::filesystem::path canonical = std::filesystem::weakly_canonical(path, error);
        base = "file://" + (error ? path : canonical.string());
    } else if (query != std::string::npos) {
        std::string options = "&" + url.substr(query + 1);
        if (size_t at = options.find("&endpoint="); at != std::string::npos)
            base += "?" + options.substr(at + 1, options.find('&', at + 1) - at - 1);
    }
    while (base.ends_with('/')) base.pop_back();
    return base;
}

// Two locations are one store when they name the same store root (never memory://).
bool one_store(const Location &from, const Location &to) {
    std::string root = store_root(from);
    return !root.empty() && root == store_root(to);
}

int copy_command(const Context &context, bool sync, Mode mode = Mode::copy) {
    const Args &args = context.args;
    expect_operands(args, 2, 2);
    unsigned jobs = parse_jobs(args.value("jobs"));
    bool dry_run = args.flag("dry-run");
    bool deleting = sync && args.flag("delete");
    bool moving = mode == Mode::move;
    const char *verb = moving ? "mv" : "cp";

    // A source path that does not exist is read as a missing file: "not found: NAME".
    Location from = locate(args.operands[0], args.store, MissingPath::file);
    bool recursive = sync || args.flag("recursive") || from.whole_store ||
                     has_wildcards(from.key) || args.value("prefix").has_value();
    Location to =
        locate(args.operands[1], args.store, recursive ? MissingPath::folder : MissingPath::file);
    if (!recursive && from.key.ends_with('/'))
        usage_error("'" + args.operands[0] + "' is a prefix: use " + verb + " -r to " +
                    (moving ? "move" : "copy") + " the keys under it");

    Store source = open_store(from, Role::source, args.verbose, "source");
    Store destination = open_store(to, dry_run ? Role::source : Role::destination, args.verbose,
                                   "destination", dry_run);
    const kvps_backend_info *backend = backend_of(from.url);
    bool same_backend = backend != nullptr && backend == backend_of(to.url);
    bool same_store = one_store(from, to);

    auto started = std::chrono::steady_clock::now();
    Plan plan = recursive
                    ? plan_recursive(args, source.get(), from, destination.get(), to, deleting)
                    : plan_one(source.get(), from, destination.get(), to);
    uint64_t total = 0;
    for (const Item &item : plan.items) total += item.source.size;

    Progress progress(context.progress && !dry_run, total, true, plan.items.size());
    Copier copier(source.get(), destination.get(), same_backend, same_store, mode, dry_run,
                  std::move(plan.items), plan.existing, progress, store_root(from), store_root(to));
    copier.run(jobs);
    check_interrupted();
    if (copier.failure()) throw *copier.failure();
    size_t deleted = 0;
    if (dry_run) {
        for (const std::string &key : plan.extra) write_stdout("delete " + key + "\n");
        deleted = plan.extra.size();
    } else {
        deleted = delete_keys(destination.get(), plan.extra);
    }
    progress.finish();

    if (!args.quiet) {
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        char elapsed[32];
        std::snprintf(elapsed, sizeof elapsed, "%.1f s", seconds);
        std::string summary = std::string(dry_run ? (moving ? "would move " : "would copy ")
                                                  : (moving ? "moved " : "copied ")) +
                              count_keys(copier.copied()) + " (" +
                              format_bytes(static_cast<double>(copier.bytes())) + ")";
        if (!moving) summary += ", skipped " + std::to_string(copier.skipped()) + " unchanged";
        if (deleting)
            summary +=
                std::string(dry_run ? ", would delete " : ", deleted ") + std::to_string(deleted);
        if (copier.vanished() > 0)
            summary += ", " + count_keys(copier.vanished()) + " removed from the source meanwhile";
        print_line(summary + ", in " + elapsed);
    }
    return EXIT_OK;
}

}  // namespace

int run_cp(const Context &context) { return copy_command(context, false); }

int run_sync(const Context &context) { return copy_command(context, true); }

int run_mv(const Context &context) { return copy_command(context, false, Mode::move); }

}  // namespace cli
