// Issue #15's costs, measured in one run on the same machine (public API only):
//   1. kvps_get_into (the caller's buffer) against kvps_get (a new buffer per call) for 1 KiB,
//      64 KiB and 1 MiB values on memory:// and file:// (and s3:// when KVPS_BENCH_S3_URL is set);
//   2. gets of 1 MiB and 1 GiB with checksum verification on and off (verify_checksums);
//   3. listing one folder of a 100,000-key store in 1,000 folders with a delimiter, and its top
//      level, against listing every key (file:// both layouts, memory://).
//
//   4. a 1 GiB s3:// value streamed with a reader, verifying on and off (KVPS_BENCH_S3_URL);
//
//   bench_reads DIR [quick|full] [SECTIONS]   DIR: an empty folder for the file stores; quick:
//                                             small sizes; SECTIONS: some of into,crc,stream,list
//
// Prints Markdown tables. Each case alternates its two sides over rounds and keeps each side's
// best round, so a burst of load from another process skews neither.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kvps.h"

namespace {

using Clock = std::chrono::steady_clock;

void check(kvps_status s, const char *what) {
    if (s != KVPS_OK) {
        std::fprintf(stderr, "%s: %s: %s\n", what, kvps_status_name(s), kvps_last_error());
        std::exit(1);
    }
}

double seconds_of(const std::function<void()> &fn) {
    auto start = Clock::now();
    fn();
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Best of `rounds` alternating rounds: {a seconds, b seconds}.
std::pair<double, double> compare(int rounds, const std::function<void()> &a,
                                  const std::function<void()> &b) {
    double best_a = 1e300, best_b = 1e300;
    for (int r = 0; r < rounds; ++r) {
        best_a = std::min(best_a, seconds_of(a));
        best_b = std::min(best_b, seconds_of(b));
    }
    return {best_a, best_b};
}

std::string human(double seconds) {
    char text[32];
    if (seconds < 1e-3)
        std::snprintf(text, sizeof text, "%.2f µs", seconds * 1e6);
    else if (seconds < 1)
        std::snprintf(text, sizeof text, "%.2f ms", seconds * 1e3);
    else
        std::snprintf(text, sizeof text, "%.2f s", seconds);
    return text;
}

kvps_store *open_store(const std::string &url, bool verify = true) {
    kvps_store *s = nullptr;
    kvps_option off = {"verify_checksums", "false"};
    check(kvps_open_with(url.c_str(), &off, verify ? 0 : 1, &s), url.c_str());
    return s;
}

void bench_get_into(const std::vector<std::pair<std::string, std::string>> &stores, bool quick) {
    std::printf("## kvps_get_into against kvps_get\n\n");
    std::printf(
        "| store | value | kvps_get per op | kvps_get_into per op | get_into / get "
        "|\n|---|---|---|---|---|\n");
    for (const auto &[name, url] : stores) {
        kvps_store *s = open_store(url);
        for (size_t size : {size_t{1} << 10, size_t{64} << 10, size_t{1} << 20}) {
            std::vector<char> value(size, 'v'), buffer(size);
            check(kvps_put(s, "bench/into", value.data(), size), "put");
            int ops = static_cast<int>(
                std::max<size_t>(20, (quick ? 4 : 64) * (size_t{1} << 20) / size / 4));
            if (name == "s3") ops = std::max(10, ops / 50);
            auto [get, into] = compare(
                5,
                [&] {
                    for (int i = 0; i < ops; ++i) {
                        void *data;
                        size_t n;
                        check(kvps_get(s, "bench/into", &data, &n), "get");
                        kvps_free(data);
                    }
                },
                [&] {
                    for (int i = 0; i < ops; ++i) {
                        size_t n;
                        check(kvps_get_into(s, "bench/into", 0, buffer.data(), buffer.size(), &n),
                              "get_into");
                    }
                });
            std::printf("| %s | %zu KiB | %s | %s | %.2fx |\n", name.c_str(), size >> 10,
                        human(get / ops).c_str(), human(into / ops).c_str(), into / get);
        }
        check(kvps_delete(s, "bench/into"), "delete");
        kvps_close(s);
    }
    std::printf("\n");
}

void bench_checksums(const std::vector<std::pair<std::string, std::string>> &stores, bool quick) {
    std::printf("## Gets with checksum verification on and off\n\n");
    std::printf(
        "| store | value | verify on | verify off | on / off | throughput on "
        "|\n|---|---|---|---|---|---|\n");
    for (const auto &[name, url] : stores) {
        kvps_store *on = open_store(url, true), *off = open_store(url, false);
        for (size_t size : {size_t{1} << 20, quick ? size_t{64} << 20 : size_t{1} << 30}) {
            if (name == "s3" && size > (size_t{1} << 20)) continue;
            std::vector<char> value(size);
            for (size_t i = 0; i < size; ++i) value[i] = static_cast<char>(i * 31 + (i >> 12));
            check(kvps_put(on, "bench/crc", value.data(), size), "put");
            value = {};
            int ops = size > (size_t{64} << 20)
                          ? 1
                          : static_cast<int>(std::max<size_t>(3, (size_t{256} << 20) / size));
            if (name == "s3") ops = 20;
            auto get_all = [&](kvps_store *s) {
                for (int i = 0; i < ops; ++i) {
                    void *data;
                    size_t n;
                    check(kvps_get(s, "bench/crc", &data, &n), "get");
                    kvps_free(data);
                }
            };
            auto [t_on, t_off] = compare(
                size > (size_t{64} << 20) ? 3 : 5, [&] { get_all(on); }, [&] { get_all(off); });
            double mib_s = static_cast<double>(size) * ops / t_on / (1 << 20);
            std::printf(
                "| %s | %s | %s | %s | %.2fx | %.0f MiB/s |\n", name.c_str(),
                size >= (size_t{1} << 30) ? "1 GiB" : (std::to_string(size >> 20) + " MiB").c_str(),
                human(t_on / ops).c_str(), human(t_off / ops).c_str(), t_on / t_off, mib_s);
        }
        check(kvps_delete(on, "bench/crc"), "delete");
        kvps_close(on);
        kvps_close(off);
    }
    std::printf("\n");
}

// A 1 GiB value written with a writer (in parts: S3's full-object CRC32C) and read back with a
// reader to its end, 1 MiB at a time, verifying on and off (s3:// only: the streaming path).
void bench_s3_stream(const std::string &url, bool quick) {
    const size_t size = quick ? size_t{64} << 20 : size_t{1} << 30, chunk = size_t{1} << 20;
    std::printf("## Streamed s3 reads with checksum verification on and off\n\n");
    std::printf(
        "| store | value | verify on | verify off | on / off | throughput on | throughput off |\n"
        "|---|---|---|---|---|---|---|\n");
    kvps_store *on = open_store(url, true), *off = open_store(url, false);
    std::vector<char> buffer(chunk);
    kvps_writer *w = nullptr;
    check(kvps_writer_open(on, "bench/stream", &w), "writer_open");
    for (size_t at = 0; at < size; at += chunk) {
        for (size_t i = 0; i < chunk; ++i)
            buffer[i] = static_cast<char>((at + i) * 31 + ((at + i) >> 12));
        check(kvps_writer_write(w, buffer.data(), chunk), "writer_write");
    }
    check(kvps_writer_commit(w), "writer_commit");
    auto read_all = [&](kvps_store *s) {
        kvps_reader *r = nullptr;
        check(kvps_reader_open(s, "bench/stream", 0, KVPS_TO_END, &r), "reader_open");
        size_t total = 0, n = 0;
        do {
            check(kvps_reader_read(r, buffer.data(), chunk, &n), "reader_read");
            total += n;
        } while (n > 0);
        kvps_reader_close(r);
        if (total != size) {
            std::fprintf(stderr, "reader read %zu of %zu bytes\n", total, size);
            std::exit(1);
        }
    };
    auto [t_on, t_off] = compare(
        3, [&] { read_all(on); }, [&] { read_all(off); });
    double mib = static_cast<double>(size) / (1 << 20);
    std::printf("| s3 | %s | %s | %s | %.2fx | %.0f MiB/s | %.0f MiB/s |\n\n",
                quick ? "64 MiB" : "1 GiB", human(t_on).c_str(), human(t_off).c_str(), t_on / t_off,
                mib / t_on, mib / t_off);
    check(kvps_delete(on, "bench/stream"), "delete");
    kvps_close(on);
    kvps_close(off);
}

// Lists everything options select; returns {keys, prefixes, pages}.
struct Count {
    size_t keys = 0, prefixes = 0, pages = 0;
};
Count list_all(kvps_store *s, kvps_list_options o) {
    Count c;
    std::string cursor;
    while (true) {
        o.cursor = cursor.empty() ? nullptr : cursor.c_str();
        kvps_list_page *page;
        check(kvps_list_with(s, &o, &page), "list");
        c.keys += kvps_list_page_count(page);
        c.prefixes += kvps_list_page_prefix_count(page);
        ++c.pages;
        const char *next = kvps_list_page_cursor(page);
        cursor = next ? next : "";
        kvps_list_page_free(page);
        if (cursor.empty()) return c;
    }
}

void bench_listing(const std::vector<std::pair<std::string, std::string>> &stores, bool quick) {
    const int folders = quick ? 100 : 1000, per_folder = 100;
    std::printf("## Listing one level: %d keys in %d folders\n\n", folders * per_folder, folders);
    std::printf("| store | case | time | items | against all keys |\n|---|---|---|---|---|\n");
    for (const auto &[name, url] : stores) {
        kvps_store *s = open_store(url);
        std::vector<std::string> keys;
        for (int f = 0; f < folders; ++f)
            for (int k = 0; k < per_folder; ++k) {
                char key[64];
                std::snprintf(key, sizeof key, "tree/folder-%04d/key-%03d", f, k);
                keys.push_back(key);
            }
        const size_t batch = 1000;
        for (size_t at = 0; at < keys.size(); at += batch) {
            size_t n = std::min(batch, keys.size() - at);
            std::vector<const char *> ks(n);
            std::vector<const void *> data(n);
            std::vector<size_t> sizes(n, 8);
            std::vector<kvps_status> st(n);
            for (size_t i = 0; i < n; ++i) ks[i] = keys[at + i].c_str(), data[i] = "12345678";
            check(kvps_put_many(s, n, ks.data(), data.data(), sizes.data(), st.data()), "put_many");
        }
        kvps_list_options all = KVPS_LIST_OPTIONS_INIT;
        all.prefix = "tree/";
        kvps_list_options top = all;
        top.delimiter = "/";
        kvps_list_options one = top;
        one.prefix = "tree/folder-0421/";
        if (quick) one.prefix = "tree/folder-0042/";
        Count c_all, c_top, c_one;
        int rounds = 3;
        double t_all = 1e300, t_top = 1e300, t_one = 1e300;
        for (int r = 0; r < rounds; ++r) {
            t_all = std::min(t_all, seconds_of([&] { c_all = list_all(s, all); }));
            t_top = std::min(t_top, seconds_of([&] { c_top = list_all(s, top); }));
            t_one = std::min(t_one, seconds_of([&] { c_one = list_all(s, one); }));
        }
        std::printf("| %s | all keys under tree/ | %s | %zu keys | 1x |\n", name.c_str(),
                    human(t_all).c_str(), c_all.keys);
        std::printf("| %s | tree/ with delimiter / (top level) | %s | %zu prefixes | %.3fx |\n",
                    name.c_str(), human(t_top).c_str(), c_top.prefixes, t_top / t_all);
        std::printf("| %s | one folder with delimiter / | %s | %zu keys | %.4fx |\n", name.c_str(),
                    human(t_one).c_str(), c_one.keys, t_one / t_all);
        kvps_close(s);
    }
    std::printf("\n");
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DIR [quick|full] [into,crc,stream,list]\n", argv[0]);
        return 2;
    }
    std::string dir = argv[1];
    bool quick = argc > 2 && std::strcmp(argv[2], "quick") == 0;
    // Sections to run (default all): into, crc, stream, list, comma-separated.
    std::string only = argc > 3 ? argv[3] : "into,crc,stream,list";
    auto wanted = [&](const char *section) {
        return ("," + only + ",").find(std::string(",") + section + ",") != std::string::npos;
    };
    std::vector<std::pair<std::string, std::string>> stores = {
        {"memory", "memory://bench-reads"},
        {"file", "file://" + dir + "/values?fsync=false"},
    };
    if (const char *s3 = std::getenv("KVPS_BENCH_S3_URL")) stores.emplace_back("s3", s3);
    if (wanted("into")) bench_get_into(stores, quick);
    if (wanted("crc")) bench_checksums(stores, quick);
    if (const char *s3 = std::getenv("KVPS_BENCH_S3_URL"); s3 && wanted("stream"))
        bench_s3_stream(s3, quick);
    std::vector<std::pair<std::string, std::string>> trees = {
        {"memory", "memory://bench-reads-tree"},
        {"file (encoded)", "file://" + dir + "/tree-encoded?fsync=false"},
        {"file (pathmapped)", "file://" + dir + "/tree-pathmapped?fsync=false&pathmapped=true"},
    };
    if (wanted("list")) bench_listing(trees, quick);
    return 0;
}
