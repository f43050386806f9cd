#include "async/pool.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "spi/cancel.hpp"
#include "spi/error.hpp"

namespace kvps::async {
namespace {

// Never destroyed: its threads may still be waiting when the process exits.
struct Pool {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> jobs;
    unsigned workers = 0, idle = 0;

    void work() {
        std::unique_lock lock(mutex);
        for (;;) {
            ++idle;
            wake.wait(lock, [&] { return !jobs.empty(); });
            --idle;
            std::function<void()> job = std::move(jobs.front());
            jobs.pop_front();
            lock.unlock();
            job();
            job = nullptr;  // whatever it owns goes before the next wait
            lock.lock();
        }
    }
};

Pool &pool() {
    static Pool *instance = new Pool;
    return *instance;
}

struct Timer {
    std::mutex mutex;
    std::condition_variable wake;
    std::multimap<std::chrono::steady_clock::time_point, std::pair<TimerId, std::function<void()>>>
        due;
    std::map<TimerId, decltype(due)::iterator> by_id;
    TimerId next_id = 1;
    bool started = false;

    void run() {
        std::unique_lock lock(mutex);
        for (;;) {
            if (due.empty()) {
                wake.wait(lock);
                continue;
            }
            auto first = due.begin();
            if (first->first > std::chrono::steady_clock::now()) {
                wake.wait_until(lock, first->first);
                continue;
            }
            std::function<void()> fire = std::move(first->second.second);
            by_id.erase(first->second.first);
            due.erase(first);
            lock.unlock();
            fire();
            fire = nullptr;
            lock.lock();
        }
    }
};

Timer &timer() {
    static Timer *instance = new Timer;
    return *instance;
}

thread_local const std::atomic<int> *t_cancel = nullptr;

}  // namespace

void submit(std::function<void()> job) {
    Pool &p = pool();
    std::lock_guard lock(p.mutex);
    p.jobs.push_back(std::move(job));
    if (p.idle < p.jobs.size() && p.workers < kMaxWorkers) {
        try {
            std::thread([&p] { p.work(); }).detach();
            ++p.workers;
        } catch (...) {  // no thread: fine while others run; else the job cannot run at all
            if (p.workers == 0) {
                p.jobs.pop_back();
                throw;
            }
        }
    }
    p.wake.notify_one();
}

CancelScope::CancelScope(const std::atomic<int> *flag) noexcept { t_cancel = flag; }
CancelScope::~CancelScope() { t_cancel = nullptr; }

TimerId arm(std::chrono::steady_clock::time_point when, std::function<void()> fire) {
    Timer &t = timer();
    std::lock_guard lock(t.mutex);
    if (!t.started) {
        std::thread([&t] { t.run(); }).detach();
        t.started = true;
    }
    TimerId id = t.next_id++;
    auto it = t.due.emplace(when, std::make_pair(id, std::move(fire)));
    t.by_id.emplace(id, it);
    t.wake.notify_one();
    return id;
}

void disarm(TimerId id) noexcept {
    Timer &t = timer();
    std::function<void()> dropped;  // destroyed outside the lock
    std::lock_guard lock(t.mutex);
    auto found = t.by_id.find(id);
    if (found == t.by_id.end()) return;
    dropped = std::move(found->second->second.second);
    t.due.erase(found->second);
    t.by_id.erase(found);
}

}  // namespace kvps::async

namespace kvps {

bool cancel_requested() noexcept {
    const std::atomic<int> *flag = async::t_cancel;
    return flag && flag->load(std::memory_order_acquire) != 0;
}

bool cancellable() noexcept { return async::t_cancel != nullptr; }

void stop_cancelled(const std::string &what) {
    async::t_cancel = nullptr;
    fail(KVPS_CANCELLED, what);
}

CancelShare CancelShare::current() noexcept {
    CancelShare share;
    share.flag_ = async::t_cancel;
    return share;
}

CancelShare::Scope::Scope(const CancelShare &share) noexcept : previous_(async::t_cancel) {
    if (share.flag_) async::t_cancel = static_cast<const std::atomic<int> *>(share.flag_);
}

CancelShare::Scope::~Scope() { async::t_cancel = static_cast<const std::atomic<int> *>(previous_); }

}  // namespace kvps
