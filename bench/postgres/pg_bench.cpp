// kvps's postgres backend against raw libpq running the same statements on the same table of the
// same server in the same run (the limit kvps can reach):
//   - small (4 KiB) put and get ops/s at 1 and 16 threads (raw: one connection per thread,
//     the same prepared upsert / select),
//   - 1 MiB put and get throughput (one row each),
//   - a streamed value (1 GiB by default) put and get (raw: the same COPY into chunk rows in one
//     transaction, then the same chunk selects),
//   - listing 100,000 keys in pages of 1000 (raw: the same keyset query).
//
//     kvps_pg_bench URL [STREAM_MIB [RESULTS_FILE]]
//
// URL is the server's URL as tests/postgres/server.sh prints it ('$KVPS_TEST_PG_URL' reads the
// variable); libpq reads the same URL. Each measure runs kvps and raw alternately, best of 3.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "kvps.h"

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string &what) {
    std::fprintf(stderr, "kvps_pg_bench: %s\n", what.c_str());
    std::exit(1);
}

void check(kvps_status st, const char *what) {
    if (st != KVPS_OK)
        die(std::string(what) + ": " + kvps_status_name(st) + ": " + kvps_last_error());
}

double timed(const std::function<void()> &fn) {
    auto start = Clock::now();
    fn();
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void fill(unsigned char *out, size_t n, uint64_t at) {
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>((at + i) * 131 >> 3);
}

std::string g_url, g_table;

// ---- raw libpq: the statements the backend sends, by hand

struct Raw {
    PGconn *c;
    explicit Raw() {
        c = PQconnectdb(g_url.c_str());
        if (PQstatus(c) != CONNECTION_OK) die(std::string("libpq: ") + PQerrorMessage(c));
        const std::string t = "\"public\".\"" + g_table + "\"";
        const std::string seq = "nextval('\"public\".\"" + g_table + "_version\"')";
        prepare(
            "put",
            "INSERT INTO " + t +
                " AS t (key, version, size, mtime, chunk_size, data, content_type, metadata)"
                " VALUES ($1::text, " +
                seq +
                ", octet_length($2::bytea), clock_timestamp(), 0, $2::bytea, NULL, NULL)"
                " ON CONFLICT (key) DO UPDATE SET version = excluded.version, size = excluded.size,"
                " mtime = excluded.mtime, chunk_size = 0, data = excluded.data, content_type = "
                "NULL,"
                " metadata = NULL RETURNING version");
        prepare(
            "get",
            "SELECT version, size, mtime, chunk_size, substring(data FROM $2::int4 FOR $3::int4),"
            " content_type, metadata FROM " +
                t + " WHERE key = $1::text");
        prepare(
            "cas",
            "UPDATE " + t + " SET version = " + seq +
                ", size = octet_length($2::bytea),"
                " mtime = clock_timestamp(), chunk_size = 0, data = $2::bytea, content_type = NULL,"
                " metadata = NULL WHERE key = $1::text AND version = $3::int8 RETURNING version");
        prepare("chunk", "SELECT n, data FROM \"public\".\"" + g_table +
                             "_chunks\" WHERE version = $1::int8 AND n >= $2::int4 AND n <= "
                             "$3::int4 ORDER BY n");
        prepare("list", "SELECT key, size, mtime, version FROM " + t +
                            " WHERE key >= $1::text AND key > $2::text AND key < $3::text ORDER BY "
                            "key LIMIT $4::int8");
        prepare("upsert_chunked",
                "INSERT INTO " + t +
                    " AS t (key, version, size, mtime, chunk_size, data) VALUES"
                    " ($1::text, $2::int8, $3::int8, clock_timestamp(), $4::int4, NULL) ON "
                    "CONFLICT (key) DO UPDATE SET"
                    " version = excluded.version, size = excluded.size, mtime = excluded.mtime,"
                    " chunk_size = excluded.chunk_size, data = NULL");
    }
    ~Raw() { PQfinish(c); }
    void prepare(const char *name, const std::string &sql) {
        PGresult *r = PQprepare(c, name, sql.c_str(), 0, nullptr);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            die(std::string("prepare: ") + PQresultErrorMessage(r));
        PQclear(r);
    }
    PGresult *run(const char *name, std::vector<std::string> params, bool want_rows) {
        std::vector<const char *> values;
        std::vector<int> lengths, formats;
        for (const std::string &p : params) {
            values.push_back(p.data());
            lengths.push_back(static_cast<int>(p.size()));
            formats.push_back(1);
        }
        PGresult *r = PQexecPrepared(c, name, static_cast<int>(params.size()), values.data(),
                                     lengths.data(), formats.data(), 1);
        if (PQresultStatus(r) != (want_rows ? PGRES_TUPLES_OK : PGRES_COMMAND_OK))
            die(std::string(name) + ": " + PQresultErrorMessage(r));
        return r;
    }
    void exec(const std::string &sql, ExecStatusType want = PGRES_COMMAND_OK) {
        PGresult *r = PQexec(c, sql.c_str());
        if (PQresultStatus(r) != want) die(sql + ": " + PQresultErrorMessage(r));
        PQclear(r);
    }
};

std::string be(uint64_t v, int bytes) {
    std::string s;
    for (int i = bytes - 1; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xff);
    return s;
}

uint64_t from_be(const char *p, int bytes) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}

// ---- measures

struct Row {
    std::string measure, kvps, raw;
    double ratio;  // kvps time / raw time (lower is better)
};
std::vector<Row> g_rows;

// Best of 3 alternating rounds; work(kvps?) returns seconds for `units` units.
void measure(const std::string &name, double units, const char *unit,
             const std::function<double(bool)> &work) {
    double best_k = 1e30, best_r = 1e30;
    for (int round = 0; round < 3; ++round) {
        best_k = std::min(best_k, work(true));
        best_r = std::min(best_r, work(false));
    }
    char k[64], r[64];
    std::snprintf(k, sizeof k, "%.0f %s", units / best_k, unit);
    std::snprintf(r, sizeof r, "%.0f %s", units / best_r, unit);
    g_rows.push_back({name, k, r, best_k / best_r});
    std::printf("%-40s kvps %-16s raw %-16s ratio %.2f\n", name.c_str(), k, r, best_k / best_r);
    std::fflush(stdout);
}

double small_ops(kvps_store *s, bool use_kvps, bool put, int threads, int per_thread) {
    std::vector<std::unique_ptr<Raw>> raws;
    if (!use_kvps)
        for (int t = 0; t < threads; ++t) raws.push_back(std::make_unique<Raw>());
    std::vector<unsigned char> value(4096);
    fill(value.data(), value.size(), 7);
    return timed([&] {
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                for (int i = 0; i < per_thread; ++i) {
                    std::string key = "small/" + std::to_string(t) + "/" + std::to_string(i % 100);
                    if (use_kvps) {
                        if (put) {
                            check(kvps_put(s, key.c_str(), value.data(), value.size()), "put");
                        } else {
                            void *d;
                            size_t n;
                            check(kvps_get(s, key.c_str(), &d, &n), "get");
                            kvps_free(d);
                        }
                    } else if (put) {
                        PQclear(raws[t]->run("put", {key, std::string(value.begin(), value.end())},
                                             true));
                    } else {
                        PQclear(raws[t]->run("get", {key, be(1, 4), be(INT32_MAX, 4)}, true));
                    }
                }
            });
        for (std::thread &th : pool) th.join();
    });
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) die("usage: kvps_pg_bench URL [STREAM_MIB [RESULTS_FILE]]");
    g_url = argv[1];
    if (g_url[0] == '$') {
        const char *v = std::getenv(g_url.c_str() + 1);
        if (!v) die(g_url + " is not set");
        g_url = v;
    }
    uint64_t stream_mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1024;
    const char *results = argc > 3 ? argv[3] : nullptr;
    g_table = "bench_" + std::to_string(getpid());
    std::string store_url = g_url + (g_url.find('?') == std::string::npos ? "?" : "&") +
                            "table=" + g_table + "&pool_size=16";
    kvps_store *s = nullptr;
    check(kvps_open(store_url.c_str(), &s), "open");
    const uint32_t chunk = 1 << 20;

    // Small values: prefill, then puts and gets.
    for (int threads : {1, 16}) {
        int per = threads == 1 ? 2000 : 300;
        for (int t = 0; t < threads; ++t) small_ops(s, true, true, 1, 100);
        double ops = threads * per;
        measure("put 4 KiB, " + std::to_string(threads) + " thread(s)", ops, "ops/s",
                [&](bool k) { return small_ops(s, k, true, threads, per); });
        measure("get 4 KiB, " + std::to_string(threads) + " thread(s)", ops, "ops/s",
                [&](bool k) { return small_ops(s, k, false, threads, per); });
    }

    // Compare-and-swap: 8 threads increment one counter (read value and etag, write if the
    // etag still holds, retry when it does not).
    {
        const int threads = 8, per = 250;
        check(kvps_put(s, "cas", "0", 1), "put");
        measure(
            "compare-and-swap, 8 threads on one key", threads * per, "increments/s", [&](bool k) {
                std::vector<std::unique_ptr<Raw>> raws;
                if (!k)
                    for (int t = 0; t < threads; ++t) raws.push_back(std::make_unique<Raw>());
                return timed([&] {
                    std::vector<std::thread> pool;
                    for (int t = 0; t < threads; ++t)
                        pool.emplace_back([&, t] {
                            for (int i = 0; i < per; ++i) {
                                for (;;) {
                                    if (k) {
                                        void *d;
                                        size_t n;
                                        kvps_stat_info info = KVPS_STAT_INIT;
                                        check(kvps_get_with(s, "cas", &d, &n, &info), "get_with");
                                        std::string next = std::to_string(
                                            std::stol(std::string(static_cast<char *>(d), n)) + 1);
                                        kvps_free(d);
                                        kvps_put_options o = KVPS_PUT_OPTIONS_INIT;
                                        o.if_match = info.etag;
                                        kvps_status st =
                                            kvps_put_with(s, "cas", next.data(), next.size(), &o);
                                        if (st == KVPS_PRECONDITION_FAILED) continue;
                                        check(st, "put_with");
                                        break;
                                    }
                                    PGresult *g = raws[t]->run(
                                        "get", {"cas", be(1, 4), be(INT32_MAX, 4)}, true);
                                    std::string version(PQgetvalue(g, 0, 0), 8);
                                    std::string next = std::to_string(
                                        std::stol(std::string(
                                            PQgetvalue(g, 0, 4),
                                            static_cast<size_t>(PQgetlength(g, 0, 4)))) +
                                        1);
                                    PQclear(g);
                                    PGresult *u = raws[t]->run("cas", {"cas", next, version}, true);
                                    int done = PQntuples(u);
                                    PQclear(u);
                                    if (done) break;
                                }
                            }
                        });
                    for (std::thread &th : pool) th.join();
                });
            });
    }

    // 1 MiB values, one row each.
    {
        std::vector<unsigned char> mib(chunk);
        fill(mib.data(), mib.size(), 3);
        Raw raw;
        const int n = 64;
        measure("put 1 MiB", n, "MiB/s", [&](bool k) {
            return timed([&] {
                for (int i = 0; i < n; ++i) {
                    std::string key = "mib/" + std::to_string(i % 8);
                    if (k)
                        check(kvps_put(s, key.c_str(), mib.data(), mib.size()), "put");
                    else
                        PQclear(raw.run("put", {key, std::string(mib.begin(), mib.end())}, true));
                }
            });
        });
        measure("get 1 MiB", n, "MiB/s", [&](bool k) {
            return timed([&] {
                for (int i = 0; i < n; ++i) {
                    std::string key = "mib/" + std::to_string(i % 8);
                    if (k) {
                        void *d;
                        size_t sz;
                        check(kvps_get(s, key.c_str(), &d, &sz), "get");
                        kvps_free(d);
                    } else {
                        PQclear(raw.run("get", {key, be(1, 4), be(INT32_MAX, 4)}, true));
                    }
                }
            });
        });
    }

    // A streamed value in chunk rows.
    {
        uint64_t size = stream_mib << 20;
        std::vector<unsigned char> buf(chunk);
        Raw raw;
        measure("streamed put " + std::to_string(stream_mib) + " MiB",
                static_cast<double>(stream_mib), "MiB/s", [&](bool k) {
                    return timed([&] {
                        if (k) {
                            kvps_writer *w;
                            check(kvps_writer_open(s, "stream", &w), "writer");
                            for (uint64_t off = 0; off < size; off += chunk) {
                                fill(buf.data(), chunk, off);
                                check(kvps_writer_write(w, buf.data(), chunk), "write");
                            }
                            check(kvps_writer_commit(w), "commit");
                            return;
                        }
                        raw.exec("BEGIN");
                        PGresult *v = PQexecParams(
                            raw.c,
                            ("SELECT nextval('\"public\".\"" + g_table + "_version\"')").c_str(), 0,
                            nullptr, nullptr, nullptr, nullptr, 1);
                        uint64_t version = from_be(PQgetvalue(v, 0, 0), 8);
                        PQclear(v);
                        raw.exec("COPY \"public\".\"" + g_table +
                                     "_chunks\" (version, n, data) FROM STDIN (FORMAT binary)",
                                 PGRES_COPY_IN);
                        std::string header("PGCOPY\n\xff\r\n\0", 11);
                        header += be(0, 4) + be(0, 4);
                        PQputCopyData(raw.c, header.data(), static_cast<int>(header.size()));
                        uint32_t n = 0;
                        for (uint64_t off = 0; off < size; off += chunk, ++n) {
                            fill(buf.data(), chunk, off);
                            std::string row = be(3, 2) + be(8, 4) + be(version, 8) + be(4, 4) +
                                              be(n, 4) + be(chunk, 4);
                            PQputCopyData(raw.c, row.data(), static_cast<int>(row.size()));
                            PQputCopyData(raw.c, reinterpret_cast<const char *>(buf.data()),
                                          static_cast<int>(chunk));
                        }
                        PQputCopyData(raw.c, "\xff\xff", 2);
                        PQputCopyEnd(raw.c, nullptr);
                        PGresult *r = PQgetResult(raw.c);
                        if (PQresultStatus(r) != PGRES_COMMAND_OK)
                            die(std::string("COPY: ") + PQresultErrorMessage(r));
                        PQclear(r);
                        while ((r = PQgetResult(raw.c))) PQclear(r);
                        PQclear(raw.run("upsert_chunked",
                                        {"stream-raw", be(version, 8), be(size, 8), be(chunk, 4)},
                                        false));
                        raw.exec("COMMIT");
                    });
                });
        measure(
            "streamed get " + std::to_string(stream_mib) + " MiB", static_cast<double>(stream_mib),
            "MiB/s", [&](bool k) {
                return timed([&] {
                    if (k) {
                        kvps_reader *r;
                        check(kvps_reader_open(s, "stream", 0, KVPS_TO_END, &r), "reader");
                        size_t n;
                        do check(kvps_reader_read(r, buf.data(), chunk, &n), "read");
                        while (n);
                        kvps_reader_close(r);
                        return;
                    }
                    PGresult *m = raw.run("get", {"stream-raw", be(1, 4), be(1, 4)}, true);
                    uint64_t version = from_be(PQgetvalue(m, 0, 0), 8);
                    uint64_t sz = from_be(PQgetvalue(m, 0, 1), 8);
                    PQclear(m);
                    for (uint32_t n = 0; uint64_t{n} * chunk < sz; ++n) {
                        PGresult *r = raw.run("chunk", {be(version, 8), be(n, 4), be(n, 4)}, true);
                        std::memcpy(buf.data(), PQgetvalue(r, 0, 1),
                                    static_cast<size_t>(PQgetlength(r, 0, 1)));
                        PQclear(r);
                    }
                });
            });
    }

    // Listing 100,000 keys.
    {
        const int keys = 100000, batch = 1000;
        std::vector<std::string> names;
        for (int i = 0; i < keys; ++i) {
            char k[32];
            std::snprintf(k, sizeof k, "list/%08d", i);
            names.emplace_back(k);
        }
        for (int i = 0; i < keys; i += batch) {
            std::vector<const char *> ks;
            std::vector<const void *> ds;
            std::vector<size_t> ss(batch, 1);
            std::vector<kvps_status> st(batch);
            for (int j = 0; j < batch; ++j) ks.push_back(names[i + j].c_str()), ds.push_back("x");
            check(kvps_put_many(s, batch, ks.data(), ds.data(), ss.data(), st.data()), "put_many");
        }
        Raw raw;
        raw.exec("ANALYZE \"public\".\"" + g_table + "\"");
        measure("list 100,000 keys (pages of 1000)", keys, "keys/s", [&](bool k) {
            return timed([&] {
                size_t seen = 0;
                if (k) {
                    std::string cursor;
                    for (;;) {
                        kvps_list_page *page;
                        check(kvps_list(s, "list/", cursor.empty() ? nullptr : cursor.c_str(), 1000,
                                        &page),
                              "list");
                        seen += kvps_list_page_count(page);
                        const char *next = kvps_list_page_cursor(page);
                        cursor = next ? next : "";
                        kvps_list_page_free(page);
                        if (cursor.empty()) break;
                    }
                } else {
                    std::string last;
                    for (;;) {
                        PGresult *r = raw.run("list", {"list/", last, "list0", be(1001, 8)}, true);
                        int rows = std::min(PQntuples(r), 1000);
                        seen += static_cast<size_t>(rows);
                        if (rows)
                            last.assign(PQgetvalue(r, rows - 1, 0),
                                        static_cast<size_t>(PQgetlength(r, rows - 1, 0)));
                        bool more = PQntuples(r) > 1000;
                        PQclear(r);
                        if (!more) break;
                    }
                }
                if (seen != static_cast<size_t>(keys))
                    die("listed " + std::to_string(seen) + " keys");
            });
        });
        Raw plan;
        plan.exec("SET plan_cache_mode = force_generic_plan");
        plan.exec(
            "PREPARE page(text, text, text, int8) AS SELECT key, size, mtime, version FROM "
            "\"public\".\"" +
            g_table + "\" WHERE key >= $1 AND key > $2 AND key < $3 ORDER BY key LIMIT $4");
        PGresult *r = PQexec(plan.c, "EXPLAIN EXECUTE page('a%_', 'a%_x', 'a%`', 1001)");
        std::printf("\nEXPLAIN of a prefix page, generic plan (prefix 'a%%_', cursor 'a%%_x'):\n");
        for (int i = 0; i < PQntuples(r); ++i) std::printf("  %s\n", PQgetvalue(r, i, 0));
        PQclear(r);
    }

    // Drop what the run made.
    {
        Raw raw;
        raw.exec("DROP TABLE \"public\".\"" + g_table + "\", \"public\".\"" + g_table +
                 "_chunks\", \"public\".\"" + g_table + "_meta\"; DROP SEQUENCE \"public\".\"" +
                 g_table + "_version\"; DROP FUNCTION \"public\".\"" + g_table +
                 "_drop_chunks\"()");
    }
    kvps_close(s);

    if (results) {
        FILE *f = std::fopen(results, "w");
        if (!f) die(std::string("cannot write ") + results);
        std::fprintf(f,
                     "| measure | kvps | raw libpq | ratio kvps/raw (time) |\n| --- | ---: | ---: "
                     "| ---: |\n");
        for (const Row &r : g_rows)
            std::fprintf(f, "| %s | %s | %s | %.2f |\n", r.measure.c_str(), r.kvps.c_str(),
                         r.raw.c_str(), r.ratio);
        std::fclose(f);
    }
    return 0;
}
