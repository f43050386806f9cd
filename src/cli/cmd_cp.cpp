// cp SRC_URL DST_URL [--prefix P] [--jobs N]: copies every key under P, streamed, N at a time.
//
// When is a key skipped? When the destination holds a value of the same size and either
//  - both stores are of the same backend and their etags are equal (an etag is only
//    meaningful to the backend that made it; S3's is a digest of the bytes, another backend's
//    may be a version stamp), or
//  - the bytes are equal, compared streamed, which is what decides whenever the etags cannot
//    settle it: between different backends, or when a backend's etags are local to one store
//    (a file:// etag is derived from the file, so two folders never share one).
// Comparing costs a read of both values but never a write, so a second cp changes nothing.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "commands.hpp"
#include "errors.hpp"
#include "interrupt.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "store.hpp"

namespace cli {
namespace {

constexpr size_t chunk_size = 1 << 20;
constexpr unsigned default_jobs = 4;
constexpr unsigned max_jobs = 64;

struct Entry {
    std::string key;
    uint64_t size;
    std::string etag;  // "" when the listing does not give it cheaply
};

std::vector<Entry> list_all(kvps_store *store, const std::string &prefix) {
    std::vector<Entry> entries;
    std::string cursor;
    for (;;) {
        check_interrupted();
        kvps_list_page *raw = nullptr;
        kvps_status status = kvps_list(store, prefix.c_str(),
                                       cursor.empty() ? nullptr : cursor.c_str(), 0, &raw);
        if (status != KVPS_OK)
            library_error(status, std::string("cannot list ") + kvps_store_url(store) + ": ");
        Page page(raw);
        size_t count = kvps_list_page_count(page.get());
        for (size_t i = 0; i < count; ++i) {
            const kvps_entry *entry = kvps_list_page_entry(page.get(), i);
            entries.push_back({entry->key, entry->size, entry->etag ? entry->etag : ""});
        }
        const char *next = kvps_list_page_cursor(page.get());
        if (next == nullptr)
            return entries;
        cursor = next;
    }
}

// The backend a URL names (aliases resolve to the same one), or NULL.
const kvps_backend_info *backend_of(const std::string &url) {
    std::string scheme = url.substr(0, url.find(':'));
    return kvps_backend_find(scheme.c_str());
}

unsigned parse_jobs(const std::optional<std::string> &text) {
    if (!text)
        return default_jobs;
    unsigned jobs = 0;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), jobs);
    if (error != std::errc() || end != text->data() + text->size() || jobs < 1 || jobs > max_jobs)
        usage_error("--jobs must be a whole number from 1 to " + std::to_string(max_jobs) +
                    ", not '" + *text + "'");
    return jobs;
}

// Reads until buffer is full or the value ends (a reader may return short reads).
size_t read_full(kvps_reader *reader, char *buffer, size_t capacity, const std::string &context) {
    size_t filled = 0;
    while (filled < capacity) {
        size_t n = 0;
        if (kvps_status status = kvps_reader_read(reader, buffer + filled, capacity - filled, &n);
            status != KVPS_OK)
            library_error(status, context);
        if (n == 0)
            break;
        filled += n;
    }
    return filled;
}

class Copier {
public:
    Copier(kvps_store *source, kvps_store *destination, bool same_backend,
           std::vector<Entry> entries, const std::vector<Entry> &existing, Progress &progress)
        : source_(source), destination_(destination), same_backend_(same_backend),
          entries_(std::move(entries)), progress_(progress) {
        for (const Entry &entry : existing)
            existing_.emplace(entry.key, entry);
    }

    // Runs jobs workers until every key is done, one fails or a signal arrives.
    void run(unsigned jobs) {
        std::vector<std::thread> workers;
        {
            SignalsBlocked blocked;  // the signal goes to this thread; workers poll the flag
            unsigned count = static_cast<unsigned>(std::min<size_t>(jobs, entries_.size()));
            try {
                for (unsigned i = 0; i < count; ++i)
                    workers.emplace_back([this] { work(); });
            } catch (const std::system_error &error) {  // no more threads: stop the others
                record(Failure{EXIT_STORAGE, std::string("cannot start a worker: ") + error.what()});
            }
        }
        for (std::thread &worker : workers)
            worker.join();
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
            if (i >= entries_.size())
                return;
            try {
                process(entries_[i]);
            } catch (const Failure &failure) {
                record(failure);
            } catch (const std::exception &error) {
                record(Failure{EXIT_STORAGE, "cannot copy " + entries_[i].key + ": " + error.what()});
            }
        }
    }

    void record(const Failure &failure) {
        std::lock_guard guard(lock_);
        if (!failure_)
            failure_ = failure;
        stop_ = true;
    }

    void process(const Entry &entry) {
        if (unchanged(entry)) {
            skipped_ += 1;
            progress_.skip_key(entry.size);
        } else if (copy(entry)) {
            copied_ += 1;
            progress_.add_key();
        } else {
            vanished_ += 1;
            progress_.skip_key(entry.size);
        }
    }

    std::string etag(kvps_store *store, const Entry &listed) {
        if (!listed.etag.empty())
            return listed.etag;
        kvps_stat_info info = KVPS_STAT_INIT;
        kvps_status status = kvps_stat(store, listed.key.c_str(), &info);
        if (status == KVPS_NOT_FOUND)
            return "";
        if (status != KVPS_OK)
            library_error(status, "cannot copy " + listed.key + ": ");
        return info.etag;
    }

    bool unchanged(const Entry &entry) {
        auto found = existing_.find(entry.key);
        if (found == existing_.end() || found->second.size != entry.size)
            return false;
        if (same_backend_) {
            std::string theirs = etag(destination_, found->second);
            if (!theirs.empty() && theirs == etag(source_, entry))
                return true;
        }
        return same_bytes(entry.key);
    }

    // Opens a reader over the whole value; NULL when the key does not exist.
    Reader open_reader(kvps_store *store, const std::string &key) {
        kvps_reader *raw = nullptr;
        kvps_status status = kvps_reader_open(store, key.c_str(), 0, KVPS_TO_END, &raw);
        if (status == KVPS_NOT_FOUND)
            return nullptr;
        if (status != KVPS_OK)
            library_error(status, "cannot copy " + key + ": ");
        return Reader(raw);
    }

    bool same_bytes(const std::string &key) {
        Reader ours = open_reader(source_, key);
        Reader theirs = open_reader(destination_, key);
        if (!ours || !theirs)
            return false;
        std::string context = "cannot copy " + key + ": ";
        std::vector<char> a(chunk_size), b(chunk_size);
        for (;;) {
            check_interrupted();
            size_t n = read_full(ours.get(), a.data(), a.size(), context);
            size_t m = read_full(theirs.get(), b.data(), b.size(), context);
            if (n != m || !std::equal(a.begin(), a.begin() + static_cast<ptrdiff_t>(n), b.begin()))
                return false;
            if (n == 0)
                return true;
        }
    }

    // Streams the value across; false when the key vanished from the source meanwhile.
    bool copy(const Entry &entry) {
        std::string context = "cannot copy " + entry.key + ": ";
        Reader reader = open_reader(source_, entry.key);
        if (!reader)
            return false;
        kvps_writer *raw = nullptr;
        if (kvps_status status = kvps_writer_open(destination_, entry.key.c_str(), &raw);
            status != KVPS_OK)
            library_error(status, context);
        Writer writer(raw);  // aborted on any exit but the commit below
        std::vector<char> buffer(chunk_size);
        for (;;) {
            check_interrupted();
            if (stop_)
                throw Failure{EXIT_STORAGE, ""};  // another key failed: leave this one alone
            size_t n = 0;
            if (kvps_status status = kvps_reader_read(reader.get(), buffer.data(), buffer.size(), &n);
                status != KVPS_OK)
                library_error(status, context);
            if (n == 0)
                break;
            if (kvps_status status = kvps_writer_write(writer.get(), buffer.data(), n);
                status != KVPS_OK)
                library_error(status, context);
            progress_.add_bytes(n);
            bytes_ += n;
        }
        check_interrupted();
        commit(std::move(writer), context);
        return true;
    }

    kvps_store *const source_;
    kvps_store *const destination_;
    const bool same_backend_;
    const std::vector<Entry> entries_;
    std::unordered_map<std::string, Entry> existing_;
    Progress &progress_;

    std::atomic<size_t> next_{0};
    std::atomic<bool> stop_{false};
    std::atomic<size_t> copied_{0}, skipped_{0}, vanished_{0};
    std::atomic<uint64_t> bytes_{0};
    std::mutex lock_;
    std::optional<Failure> failure_;  // guarded by lock_
};

}  // namespace

int run_cp(const Context &context) {
    const Args &args = context.args;
    expect_operands(args, 2, 2);
    unsigned jobs = parse_jobs(args.jobs);
    std::string prefix = args.prefix.value_or("");
    const std::string &source_url = args.operands[0];
    const std::string &destination_url = args.operands[1];

    Store source = open_store(source_url, args.verbose, "source");
    Store destination = open_store(destination_url, args.verbose, "destination");
    const kvps_backend_info *backend = backend_of(source_url);
    bool same_backend = backend != nullptr && backend == backend_of(destination_url);

    auto started = std::chrono::steady_clock::now();
    std::vector<Entry> entries = list_all(source.get(), prefix);
    std::vector<Entry> existing = list_all(destination.get(), prefix);
    uint64_t total = 0;
    for (const Entry &entry : entries)
        total += entry.size;

    Progress progress(context.progress, total, true, entries.size());
    Copier copier(source.get(), destination.get(), same_backend, std::move(entries), existing,
                  progress);
    copier.run(jobs);
    check_interrupted();
    if (copier.failure())
        throw *copier.failure();
    progress.finish();

    if (!args.quiet) {
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        char elapsed[32];
        std::snprintf(elapsed, sizeof elapsed, "%.1f s", seconds);
        auto keys = [](size_t n) { return std::to_string(n) + (n == 1 ? " key" : " keys"); };
        std::string summary = "copied " + keys(copier.copied()) + " (" +
                              format_bytes(static_cast<double>(copier.bytes())) + "), skipped " +
                              std::to_string(copier.skipped()) + " unchanged";
        if (copier.vanished() > 0)
            summary += ", " + keys(copier.vanished()) + " removed from the source meanwhile";
        print_line(summary + ", in " + elapsed);
    }
    return EXIT_OK;
}

}  // namespace cli
