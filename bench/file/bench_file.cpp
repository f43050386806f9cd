// kvps file:// against raw POSIX calls on the same folder, in the same run:
//   - 4 KiB puts vs open + write + fdatasync + rename + fsync(directory)
//   - 4 KiB gets vs open + fstat + read + close
//   - listing 100,000 keys, all pages, vs a raw readdir walk of the same store folder
//
//   bench_file [folder] [list-keys]     (default: a new folder under $TMPDIR, 100000; 0: no
//   listing)
//
// Prints a Markdown report (ratio = kvps time / raw time, wall clock, and the same for this
// process's CPU time; lower is better; goals 1.2x, 1.5x, 3x). Each case alternates kvps and raw
// rounds and keeps each side's best round, so load from other processes on a shared machine skews
// neither side.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "kvps.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRounds = 5;
constexpr size_t kValue = 4096;

[[noreturn]] void die(const std::string &what) {
    std::fprintf(stderr, "bench_file: %s: %s\n", what.c_str(), kvps_last_error());
    std::exit(1);
}

void check(kvps_status st, const std::string &what) {
    if (st != KVPS_OK) die(what);
}

void check_sys(bool ok, const std::string &what) {
    if (!ok) {
        std::perror(what.c_str());
        std::exit(1);
    }
}

struct Time {
    double wall = 1e300, cpu = 1e300;  // seconds; cpu is this process's CPU time
};

double cpu_now() {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

Time measure(const std::function<void()> &body) {
    auto start = Clock::now();
    double cpu = cpu_now();
    body();
    return {std::chrono::duration<double>(Clock::now() - start).count(), cpu_now() - cpu};
}

// Best of `rounds` alternating rounds: {kvps, raw}, wall and CPU time each at its best.
std::pair<Time, Time> compare(int rounds, const std::function<void()> &kvps,
                              const std::function<void()> &raw) {
    Time a, b;
    for (int r = 0; r < rounds; ++r) {
        Time ta = measure(kvps), tb = measure(raw);
        a = {std::min(a.wall, ta.wall), std::min(a.cpu, ta.cpu)};
        b = {std::min(b.wall, tb.wall), std::min(b.cpu, tb.cpu)};
    }
    return {a, b};
}

std::string machine() {
    struct utsname u;
    uname(&u);
    std::string cpu = "unknown CPU";
    if (FILE *f = std::fopen("/proc/cpuinfo", "r")) {
        char line[512];
        while (std::fgets(line, sizeof line, f))
            if (std::strncmp(line, "model name", 10) == 0) {
                cpu = std::strchr(line, ':') + 2;
                cpu.erase(cpu.find_last_not_of("\n ") + 1);
                break;
            }
        std::fclose(f);
    }
    return cpu + ", " + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " CPUs, " + u.sysname +
           " " + u.release;
}

std::string filesystem_of(const std::string &path) {
    std::string out = "unknown";
    if (FILE *f = std::fopen("/proc/self/mounts", "r")) {
        char dev[256], mnt[1024], type[64];
        size_t best = 0;
        while (std::fscanf(f, "%255s %1023s %63s %*[^\n]", dev, mnt, type) == 3) {
            size_t n = std::strlen(mnt);
            if (path.compare(0, n, mnt) == 0 && n >= best) {
                best = n;
                out = type;
            }
        }
        std::fclose(f);
    }
    return out;
}

void raw_put(int dir, int i, const char *data) {
    char tmp[64], name[64];
    std::snprintf(tmp, sizeof tmp, ".tmp-%d", i);
    std::snprintf(name, sizeof name, "k%d", i);
    int fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    check_sys(fd >= 0, "raw open");
    check_sys(write(fd, data, kValue) == static_cast<ssize_t>(kValue), "raw write");
    check_sys(fdatasync(fd) == 0, "raw fdatasync");
    close(fd);
    check_sys(renameat(dir, tmp, dir, name) == 0, "raw rename");
    check_sys(fsync(dir) == 0, "raw fsync dir");
}

size_t raw_get(int dir, int i, char *buf) {
    char name[64];
    std::snprintf(name, sizeof name, "k%d", i);
    int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
    check_sys(fd >= 0, "raw open");
    struct stat st;
    fstat(fd, &st);
    ssize_t n = read(fd, buf, static_cast<size_t>(st.st_size));
    close(fd);
    return static_cast<size_t>(n);
}

// Entries below path, read with readdir only (what a raw listing costs).
// With stat, each file is also fstatat'ed, which a listing needs for its sizes.
size_t raw_walk(const std::string &path, bool stat) {
    DIR *d = opendir(path.c_str());
    if (!d) return 0;
    size_t n = 0;
    while (struct dirent *e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        ++n;
        if (e->d_type == DT_DIR) {
            n += raw_walk(path + "/" + e->d_name, stat);
        } else if (stat) {
            struct stat st;
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW);
        }
    }
    closedir(d);
    return n;
}

void row(const char *name, Time kvps, Time raw, size_t ops, double goal) {
    double ratio = kvps.wall / raw.wall;
    std::printf("| %s | %.1f µs | %.1f µs | %.2fx | %.2fx | %.1fx | %s |\n", name,
                kvps.wall * 1e6 / static_cast<double>(ops),
                raw.wall * 1e6 / static_cast<double>(ops), ratio, kvps.cpu / raw.cpu, goal,
                ratio <= goal ? "met" : "**missed**");
}

}  // namespace

int main(int argc, char **argv) {
    std::string base;
    if (argc > 1) {
        base = argv[1];
    } else {
        const char *tmp = std::getenv("TMPDIR");
        std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/kvps-bench-file-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        check_sys(mkdtemp(buf.data()) != nullptr, "mkdtemp");
        base = buf.data();
    }
    int list_keys = argc > 2 ? std::atoi(argv[2]) : 100000;
    std::string store_dir = base + "/store", raw_dir = base + "/raw", list_dir = base + "/list";
    mkdir(raw_dir.c_str(), 0755);
    int raw = open(raw_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    check_sys(raw >= 0, raw_dir);
    kvps_store *s = nullptr;
    check(kvps_open(("file://" + store_dir).c_str(), &s), "open " + store_dir);

    std::vector<char> value(kValue, 'v'), buf(kValue);
    time_t now = std::time(nullptr);
    char date[64];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    std::printf("# file:// benchmark\n\n%s, %s, folder on %s.\n\n", date, machine().c_str(),
                filesystem_of(base).c_str());
    std::printf(
        "| case | kvps per op | raw per op | ratio (wall) | ratio (CPU) | goal | |\n"
        "|---|---|---|---|---|---|---|\n");
    std::fflush(stdout);

    // Puts: fsync bound, so few operations per round; both overwrite a set of 20 keys.
    const int puts = 40;
    auto put = compare(
        kRounds * 2,
        [&] {
            for (int i = 0; i < puts; ++i)
                check(kvps_put(s, ("bench/put-" + std::to_string(i % 20)).c_str(), value.data(),
                               kValue),
                      "put");
        },
        [&] {
            for (int i = 0; i < puts; ++i) raw_put(raw, i % 20, value.data());
        });
    row("put 4 KiB (fsync)", put.first, put.second, puts, 1.2);
    std::fflush(stdout);

    // Gets of 1000 distinct 4 KiB values, warm cache.
    const int gets = 1000;
    for (int i = 0; i < gets; ++i) {
        check(kvps_put(s, ("bench/get-" + std::to_string(i)).c_str(), value.data(), kValue), "put");
        raw_put(raw, 1000 + i, value.data());
    }
    std::vector<std::string> get_keys;
    for (int i = 0; i < gets; ++i) get_keys.push_back("bench/get-" + std::to_string(i));
    auto get = compare(
        kRounds * 2,
        [&] {
            for (int r = 0; r < 5; ++r)
                for (int i = 0; i < gets; ++i) {
                    void *data = nullptr;
                    size_t size = 0;
                    check(kvps_get(s, get_keys[i].c_str(), &data, &size), "get");
                    kvps_free(data);
                }
        },
        [&] {
            for (int r = 0; r < 5; ++r)
                for (int i = 0; i < gets; ++i) raw_get(raw, 1000 + i, buf.data());
        });
    row("get 4 KiB", get.first, get.second, gets * 5, 1.5);
    std::fflush(stdout);
    kvps_close(s);

    if (list_keys <= 0) return 0;  // puts and gets only

    // Listing: keys written with fsync=false (only the listing is measured).
    kvps_store *l = nullptr;
    check(kvps_open(("file://" + list_dir + "?fsync=false").c_str(), &l), "open " + list_dir);
    for (int i = 0; i < list_keys; ++i) {
        char key[64];
        std::snprintf(key, sizeof key, "list/key-%06d", i);
        check(kvps_put(l, key, "x", 1), "put");
    }
    size_t listed = 0, walked = 0;
    auto list = compare(
        3,
        [&] {
            listed = 0;
            std::string cursor;
            do {
                kvps_list_page *page = nullptr;
                check(kvps_list(l, "", cursor.empty() ? nullptr : cursor.c_str(), 0, &page),
                      "list");
                listed += kvps_list_page_count(page);
                const char *next = kvps_list_page_cursor(page);
                cursor = next ? next : "";
                kvps_list_page_free(page);
            } while (!cursor.empty());
        },
        [&] { walked = raw_walk(list_dir, false); });
    if (listed != static_cast<size_t>(list_keys)) {
        std::fprintf(stderr, "bench_file: listed %zu keys, expected %d\n", listed, list_keys);
        return 1;
    }
    char name[96];
    std::snprintf(name, sizeof name,
                  "list %d keys, all pages of 1000 (raw: readdir walk, %zu entries)", list_keys,
                  walked);
    row(name, list.first, list.second, 1, 3.0);
    // A listing returns each key's size, so it stats every file: the same walk with one
    // fstatat per file is the raw peer that does the same work.
    auto list_stat = compare(
        3, [&] { listed = 0; }, [&] { raw_walk(list_dir, true); });
    std::snprintf(name, sizeof name,
                  "list %d keys, all pages of 1000 (raw: readdir walk + fstatat per file)",
                  list_keys);
    row(name, list.first, list_stat.second, 1, 3.0);
    kvps_close(l);
    close(raw);
    std::printf(
        "\nPer-op times are the best of alternating rounds (puts: %d rounds of %d; gets: %d rounds "
        "of %d; "
        "listing: 3 rounds). Folder: %s\n",
        kRounds * 2, puts, kRounds * 2, gets * 5, base.c_str());
    if (argc <= 1) std::system(("rm -rf '" + base + "'").c_str());
    return 0;
}
