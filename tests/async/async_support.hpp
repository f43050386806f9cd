// What the asynchronous API's tests share: the store URL from the command line, the pool held
// busy (so an op queued behind it is cancelled before it starts, deterministically), and on
// s3:// a look behind kvps's back at the multipart uploads left open. Include after cmocka.h.
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client.hpp"
#include "kvps.h"
#include "url.hpp"
#include "xml.hpp"

namespace async_support {

// The URL under test from argv[1]: memory://, file:// (a new folder under dir, a mkdtemp
// template), or '$NAME' (an s3 URL from that environment variable) given its own new prefix.
// Returns 0 to go on, else the exit code (77: skipped; 1: failed).
struct Target {
    std::string url;     // the store under test
    std::string base;    // s3: as given, without the prefix
    std::string prefix;  // s3: this run's prefix
    bool s3 = false;
    bool temp = false;
};

inline std::string with_path(const std::string &url, const std::string &segment) {
    size_t start = url.find("://") + 3;
    size_t end = url.find_first_of("/?", start);
    if (end == std::string::npos) end = url.size();
    return url.substr(0, end) + "/" + segment + url.substr(end);
}

inline int resolve(const char *name, std::string arg, char *dir, Target &t) {
    if (!arg.empty() && arg[0] == '$') {
        const char *v = std::getenv(arg.c_str() + 1);
        if (!v || !*v) {
            const char *ci = std::getenv("CI");
            bool in_ci = ci && std::strcmp(ci, "true") == 0;
            std::fprintf(stderr, "%s: %s is not set%s\n", name, arg.c_str(),
                         in_ci ? " and CI=true: failing" : "; skipping");
            return in_ci ? 1 : 77;
        }
        arg = v;
    }
    if (arg == "file://") {
        if (!mkdtemp(dir)) return 1;
        t.temp = true;
        t.url = std::string("file://") + dir + "/store";
    } else if (arg.starts_with("s3://")) {
        t.s3 = true;
        t.base = arg;
        t.prefix = std::string(name) + "-" + std::to_string(getpid()) + "-" +
                   std::to_string(std::time(nullptr));
        t.url = with_path(arg, t.prefix);
    } else {
        t.url = arg;
    }
    return 0;
}

// Every worker of the pool held inside a callback until release(): ops started meanwhile
// wait in the pool's queue.
class BusyPool {
public:
    explicit BusyPool(kvps_store *store) {
        kvps_async_options o = KVPS_ASYNC_OPTIONS_INIT;
        o.callback = hold;
        o.user = this;
        // Lists run on the pool on every backend (s3:// gets run on its I/O thread instead).
        ops_.resize(16);  // the header's bound on the pool
        for (kvps_op *&op : ops_)
            if (kvps_list_async(store, nullptr, &o, &op) != KVPS_OK) fail_msg("list_async");
        std::unique_lock lock(mutex_);
        if (!cv_.wait_for(lock, std::chrono::seconds(60), [&] { return inside_ == 16; }))
            fail_msg("the pool never got busy");
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        cv_.notify_all();
        for (kvps_op *op : ops_) {
            kvps_op_wait(op, -1);
            kvps_op_free(op);
        }
        ops_.clear();
        // The callbacks may still be running after their ops completed: wait until they left,
        // since they use this object.
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return inside_ == 0; });
    }
    ~BusyPool() {
        if (!ops_.empty()) release();
    }

private:
    static void hold(void *user, kvps_op *) {
        auto *self = static_cast<BusyPool *>(user);
        std::unique_lock lock(self->mutex_);
        ++self->inside_;
        self->cv_.notify_all();
        self->cv_.wait(lock, [&] { return self->open_; });
        --self->inside_;
        self->cv_.notify_all();
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
    int inside_ = 0;
    std::vector<kvps_op *> ops_;
};

// s3: the multipart uploads open under the run's prefix + "/" + key (ListMultipartUploads with
// the backend's own client).
inline std::vector<kvps::s3::MultipartUploadEntry> open_uploads(const Target &t,
                                                                const std::string &key) {
    kvps::Url url = kvps::parse_url(t.base);
    auto query = [&](const std::string &name) {
        for (const auto &[n, v] : url.query)
            if (n == name) return v;
        return std::string();
    };
    kvps::s3::Settings settings;
    settings.bucket = url.host;
    settings.endpoint = query("endpoint");
    settings.region = query("region");
    settings.path_style = true;
    settings.credentials = std::make_shared<kvps::s3::CredentialProvider>(kvps::s3::Credentials{
        query("access_key_id"), query("secret_access_key"), "", "the URL", {}});
    kvps::s3::Client client(settings);
    kvps::s3::Call call;
    call.query = {{"uploads", ""}, {"prefix", t.prefix + "/" + key}};
    kvps::s3::HttpResponse response = client.send(call);
    if (!kvps::s3::succeeded(response)) client.fail_answer(response, "ListMultipartUploads");
    return kvps::s3::parse_multipart_uploads(
        std::string_view(response.body.data(), response.body.size()));
}

// s3: how many multipart uploads stay open on key after up to 10 s (an abort may run on the
// pool after its op completed).
inline size_t uploads_left(const Target &t, const std::string &key) {
    size_t open = 0;
    for (int i = 0; i < 100; ++i) {
        open = open_uploads(t, key).size();
        if (open == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return open;
}

}  // namespace async_support
