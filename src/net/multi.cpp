// One CURLM on one I/O thread: exchanges start, end, wait their turn and get cancelled there;
// other threads hand work over with post() (a queue and curl_multi_wakeup).
#include "multi.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "spi/error.hpp"

namespace kvps::net {

struct MultiClient::Loop {
    using Clock = std::chrono::steady_clock;
    struct Job {
        uint64_t id = 0;
        const HttpRequest *request = nullptr;
        HttpResponse *response = nullptr;
        Done done;
        CURL *curl = nullptr;  // set while in flight
        std::unique_ptr<Transfer> transfer;
    };

    HttpSettings options;
    unsigned max_connections;
    CURLM *multi = nullptr;

    std::mutex mutex;  // guards what follows, up to the I/O thread's part
    std::vector<std::function<void()>> posted;
    bool stop = false;
    std::thread thread;

    // The I/O thread's.
    std::map<uint64_t, Job> jobs;
    std::deque<uint64_t> waiting;  // not started yet, in order
    unsigned active = 0;
    std::vector<CURL *> idle;  // easy handles for the next exchanges
    std::multimap<Clock::time_point, std::function<void()>> timers;
    uint64_t next_id = 1;

    Loop(HttpSettings o, unsigned max) : options(std::move(o)), max_connections(std::max(max, 1u)) {
        global_init();
        multi = curl_multi_init();
        if (!multi) fail(KVPS_NO_MEMORY, "http: cannot create a libcurl multi handle");
        curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, long(max_connections));
        curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, long(max_connections));
        curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, long(max_connections));
    }

    ~Loop() {
        for (auto &[id, job] : jobs) drop(job);
        for (CURL *curl : idle) curl_easy_cleanup(curl);
        curl_multi_cleanup(multi);
    }

    void drop(Job &job) noexcept {
        if (!job.curl) return;
        curl_multi_remove_handle(multi, job.curl);
        job.transfer.reset();
        curl_easy_cleanup(job.curl);
        job.curl = nullptr;
    }

    // Starts waiting exchanges while connections are free.
    void fill() {
        while (active < max_connections && !waiting.empty()) {
            uint64_t id = waiting.front();
            waiting.pop_front();
            launch(jobs.at(id));
        }
    }

    void launch(Job &job) {
        CURL *curl = nullptr;
        if (!idle.empty()) {
            curl = idle.back();
            idle.pop_back();
        } else {
            curl = curl_easy_init();
        }
        try {
            if (!curl) fail(KVPS_NO_MEMORY, "http: cannot create a libcurl handle");
            job.transfer = std::make_unique<Transfer>(curl, options, *job.request, *job.response);
            curl_easy_setopt(curl, CURLOPT_PRIVATE, &job);
            if (curl_multi_add_handle(multi, curl) != CURLM_OK)
                fail(KVPS_NO_MEMORY, "http: libcurl refused a transfer");
        } catch (...) {
            job.transfer.reset();
            if (curl) curl_easy_cleanup(curl);
            end(job.id, false, TransportError{}, std::current_exception());
            return;
        }
        job.curl = curl;
        ++active;
    }

    // Forgets the job, then tells its owner (which may start others from there).
    void end(uint64_t id, bool answered, const TransportError &error, std::exception_ptr failure) {
        auto found = jobs.find(id);
        Done done = std::move(found->second.done);
        jobs.erase(found);
        done(answered, error, std::move(failure));
    }

    void finished(CURL *curl, CURLcode code) {
        Job *job = nullptr;
        curl_easy_getinfo(curl, CURLINFO_PRIVATE, reinterpret_cast<char **>(&job));
        curl_multi_remove_handle(multi, curl);
        --active;
        bool answered = false;
        TransportError error;
        std::exception_ptr failure;
        try {
            answered = job->transfer->finish(code, error);
        } catch (...) {
            failure = std::current_exception();
        }
        bool reusable = job->transfer->reusable();
        job->transfer.reset();
        job->curl = nullptr;
        if (reusable)
            idle.push_back(curl);
        else
            curl_easy_cleanup(curl);
        end(job->id, answered, error, std::move(failure));
    }

    void cancel(uint64_t id) {
        auto found = jobs.find(id);
        if (found == jobs.end()) return;
        Job &job = found->second;
        if (job.curl) {
            drop(job);  // its connection is closed: the exchange was cut
            --active;
        } else {
            std::erase(waiting, id);
        }
        TransportError error;
        error.cancelled = true;
        error.message = "cancelled";
        end(id, false, error, nullptr);
        fill();
    }

    void run() {
        std::vector<std::function<void()>> batch;
        for (;;) {
            {
                std::lock_guard lock(mutex);
                if (stop) return;
                batch.swap(posted);
            }
            for (auto &fn : batch) fn();
            batch.clear();
            auto now = Clock::now();
            while (!timers.empty() && timers.begin()->first <= now) {
                std::function<void()> fn = std::move(timers.begin()->second);
                timers.erase(timers.begin());
                fn();
            }
            int running = 0;
            curl_multi_perform(multi, &running);
            int left = 0;
            while (CURLMsg *m = curl_multi_info_read(multi, &left))
                if (m->msg == CURLMSG_DONE) finished(m->easy_handle, m->data.result);
            fill();
            int wait_ms = 1000;
            if (!timers.empty()) {
                auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
                    timers.begin()->first - Clock::now());
                wait_ms = static_cast<int>(std::clamp<int64_t>(until.count() + 1, 0, 1000));
            }
            {
                std::lock_guard lock(mutex);
                if (!posted.empty() || stop) wait_ms = 0;
            }
            curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
        }
    }
};

MultiClient::MultiClient(HttpSettings options, unsigned max_connections)
    : loop_(std::make_shared<Loop>(std::move(options), max_connections)) {}

MultiClient::~MultiClient() {
    std::thread thread;
    {
        std::lock_guard lock(loop_->mutex);
        loop_->stop = true;
        thread = std::move(loop_->thread);
    }
    curl_multi_wakeup(loop_->multi);
    if (!thread.joinable()) return;
    if (thread.get_id() == std::this_thread::get_id())
        thread.detach();  // it ends after the callback now running, and frees the loop then
    else
        thread.join();
}

namespace {

void post_to(const std::shared_ptr<MultiClient::Loop> &loop, std::function<void()> fn) {
    {
        std::lock_guard lock(loop->mutex);
        if (loop->stop) return;
        loop->posted.push_back(std::move(fn));
        if (!loop->thread.joinable()) loop->thread = std::thread([loop] { loop->run(); });
    }
    curl_multi_wakeup(loop->multi);
}

}  // namespace

void MultiClient::post(std::function<void()> fn) { post_to(loop_, std::move(fn)); }

MultiClient::Poster MultiClient::poster() const {
    return [loop = loop_](std::function<void()> fn) { post_to(loop, std::move(fn)); };
}

void MultiClient::after(std::chrono::milliseconds delay, std::function<void()> fn) {
    auto when = Loop::Clock::now() + delay;
    post([loop = loop_.get(), when, fn = std::move(fn)]() mutable {
        loop->timers.emplace(when, std::move(fn));
    });
}

uint64_t MultiClient::start(const HttpRequest &request, HttpResponse &response, Done done) {
    Loop &l = *loop_;
    uint64_t id = l.next_id++;
    Loop::Job &job = l.jobs[id];
    job.id = id;
    job.request = &request;
    job.response = &response;
    job.done = std::move(done);
    response = HttpResponse{};
    l.waiting.push_back(id);
    l.fill();
    return id;
}

void MultiClient::cancel(uint64_t id) { loop_->cancel(id); }

uint64_t MultiClient::uploaded(uint64_t id) const {
    auto found = loop_->jobs.find(id);
    if (found == loop_->jobs.end() || !found->second.transfer) return 0;
    return found->second.transfer->uploaded();
}

}  // namespace kvps::net
