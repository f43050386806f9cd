// kvps's az backend against raw libcurl requests of ours (Put Blob / Get Blob signed with the
// same Shared Key code, one reused connection), on the same Azurite in the same run: median and
// p90 latency of 1 KiB and 8 MiB puts and gets, rounds alternating between the two.
//
//     kvps_azure_bench [SMALL_COUNT [BIG_COUNT [RESULTS_FILE]]]
//
// Reads KVPS_TEST_AZ_URL, _ENDPOINT, _ACCOUNT, _KEY and _CONTAINER (tests/azure/server.sh).
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "kvps.h"
#include "shared_key.hpp"
#include "spi/text.hpp"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string &what) {
    std::fprintf(stderr, "kvps_azure_bench: %s\n", what.c_str());
    std::exit(1);
}

const char *env(const char *name) {
    const char *v = std::getenv(name);
    if (!v || !*v) die(std::string(name) + " is not set (tests/azure/server.sh start DIR)");
    return v;
}

std::string http_date() {
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t now = time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char out[40];
    std::snprintf(out, sizeof out, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return out;
}

size_t collect(char *data, size_t size, size_t n, void *user) {
    static_cast<std::string *>(user)->append(data, size * n);
    return size * n;
}

// The peer: one curl handle (one kept-alive connection), Put Blob and Get Blob signed with our
// Shared Key code, no retries, no checksums.
class RawAzure {
public:
    RawAzure()
        : endpoint_(env("KVPS_TEST_AZ_ENDPOINT")),
          account_(env("KVPS_TEST_AZ_ACCOUNT")),
          container_(env("KVPS_TEST_AZ_CONTAINER")),
          key_(*kvps::base64_decode(env("KVPS_TEST_AZ_KEY"))),
          curl_(curl_easy_init()) {
        size_t scheme = endpoint_.find("://") + 3, slash = endpoint_.find('/', scheme);
        origin_ = endpoint_.substr(0, slash);
        base_path_ = slash == std::string::npos ? "" : endpoint_.substr(slash);
    }
    ~RawAzure() { curl_easy_cleanup(curl_); }

    long request(const char *method, const std::string &key, const std::string *body,
                 std::string *out) {
        std::string path = base_path_ + "/" + container_ + "/raw/" + key;
        kvps::azure::Pairs headers = {{"x-ms-date", http_date()}, {"x-ms-version", "2021-12-02"}};
        if (body) headers.emplace_back("x-ms-blob-type", "BlockBlob");
        kvps::azure::Pairs query;
        kvps::azure::SignedRequest signing{method, account_, path,
                                           query,  headers,  body ? body->size() : 0};
        headers.emplace_back("Authorization", kvps::azure::shared_key_authorization(signing, key_));
        curl_slist *list = nullptr;
        for (const auto &[n, v] : headers) list = curl_slist_append(list, (n + ": " + v).c_str());
        list = curl_slist_append(list, "Expect:");
        list = curl_slist_append(list, "Content-Type:");  // libcurl's form type is not signed
        curl_easy_reset(curl_);
        std::string url = origin_ + path;
        curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, method);
        if (body) {
            curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body->data());
            curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->size());
        }
        std::string sink;
        curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(curl_, CURLOPT_WRITEDATA, out ? out : &sink);
        CURLcode rc = curl_easy_perform(curl_);
        long status = 0;
        curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(list);
        if (rc != CURLE_OK) die(std::string("curl: ") + curl_easy_strerror(rc));
        return status;
    }

private:
    std::string endpoint_, account_, container_, key_, origin_, base_path_;
    CURL *curl_;
};

struct Stats {
    std::vector<double> us;
    double pct(double p) {
        std::sort(us.begin(), us.end());
        return us.empty() ? 0 : us[std::min(us.size() - 1, static_cast<size_t>(p * us.size()))];
    }
};

template <typename F>
void timed(Stats &s, F &&f) {
    auto t = Clock::now();
    f();
    s.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
}

}  // namespace

int main(int argc, char **argv) {
    int small = argc > 1 ? std::atoi(argv[1]) : 200;
    int big = argc > 2 ? std::atoi(argv[2]) : 10;
    const char *results = argc > 3 ? argv[3] : nullptr;
    std::string url = env("KVPS_TEST_AZ_URL");
    url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("prefix=bench/");
    kvps_store *store = nullptr;
    if (kvps_open(url.c_str(), &store) != KVPS_OK) die(kvps_last_error());
    RawAzure raw;

    struct Row {
        const char *name;
        size_t size;
        int count;
        Stats kp, kg, rp, rg;
    } rows[] = {{"1 KiB", 1024, small, {}, {}, {}, {}}, {"8 MiB", 8u << 20, big, {}, {}, {}, {}}};
    for (Row &row : rows) {
        std::string value(row.size, '\0');
        for (size_t i = 0; i < row.size; ++i) value[i] = static_cast<char>(i * 131 >> 3);
        for (int i = 0; i < row.count; ++i) {
            std::string key = "k" + std::to_string(i % 16);
            // Alternate which goes first, so neither always meets a warmer server.
            for (int turn = 0; turn < 2; ++turn) {
                if ((turn == 0) == (i % 2 == 0)) {
                    timed(row.kp, [&] {
                        if (kvps_put(store, key.c_str(), value.data(), value.size()) != KVPS_OK)
                            die(kvps_last_error());
                    });
                    timed(row.kg, [&] {
                        void *d = nullptr;
                        size_t n = 0;
                        if (kvps_get(store, key.c_str(), &d, &n) != KVPS_OK || n != row.size)
                            die(kvps_last_error());
                        kvps_free(d);
                    });
                } else {
                    timed(row.rp, [&] {
                        if (raw.request("PUT", key, &value, nullptr) != 201) die("raw PUT failed");
                    });
                    timed(row.rg, [&] {
                        std::string got;
                        if (raw.request("GET", key, nullptr, &got) != 200 || got.size() != row.size)
                            die("raw GET failed");
                    });
                }
            }
        }
    }
    std::string table =
        "| measure | kvps | raw libcurl | ratio kvps/raw |\n| --- | ---: | ---: | ---: |\n";
    char line[256];
    for (Row &row : rows) {
        struct {
            const char *what;
            Stats *k, *r;
        } ms[] = {{"PUT", &row.kp, &row.rp}, {"GET", &row.kg, &row.rg}};
        for (auto &m : ms)
            for (double p : {0.5, 0.9}) {
                double k = m.k->pct(p), r = m.r->pct(p);
                std::snprintf(line, sizeof line,
                              "| %s %s, %s latency (%d each) | %.0f us | %.0f us | %.2f |\n",
                              m.what, row.name, p == 0.5 ? "median" : "p90", row.count, k, r,
                              r > 0 ? k / r : 0);
                table += line;
            }
    }
    std::fputs(table.c_str(), stdout);
    if (results) {
        FILE *f = std::fopen(results, "w");
        if (!f) die(std::string("cannot write ") + results);
        std::fputs(table.c_str(), f);
        std::fclose(f);
    }
    for (int i = 0; i < 16; ++i) kvps_delete(store, ("k" + std::to_string(i)).c_str());
    kvps_close(store);
    return 0;
}
