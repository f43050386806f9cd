// Runs fn(0..n-1) on up to `concurrency` threads; fn must not throw. The helper threads share
// the cancellation of the calling thread's operation, so a cancelled batch stops its items.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

#include "spi/cancel.hpp"

namespace kvps::s3 {

template <class Fn>
void parallel_for(size_t n, unsigned concurrency, Fn &&fn) {
    // Each item runs under the operation's cancellation, on whichever thread: an item that was
    // stopped forgets it on its thread (stop_cancelled, so its cleanup can still run), and the
    // next item that thread takes must see it again rather than wait for its timeout.
    CancelShare cancel = CancelShare::current();
    auto run = [&](size_t i) {
        CancelShare::Scope scope(cancel);
        fn(i);
    };
    size_t workers = std::min<size_t>(std::max(concurrency, 1u), n);
    if (workers <= 1) {
        for (size_t i = 0; i < n; ++i) run(i);
        return;
    }
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t i; (i = next.fetch_add(1)) < n;) run(i);
    };
    std::vector<std::thread> threads;
    threads.reserve(workers - 1);
    for (size_t w = 1; w < workers; ++w) threads.emplace_back(work);
    work();
    for (std::thread &t : threads) t.join();
}

}  // namespace kvps::s3
