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
    size_t workers = std::min<size_t>(std::max(concurrency, 1u), n);
    if (workers <= 1) {
        for (size_t i = 0; i < n; ++i) fn(i);
        return;
    }
    std::atomic<size_t> next{0};
    auto work = [&] {
        for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
    };
    CancelShare cancel = CancelShare::current();
    std::vector<std::thread> threads;
    threads.reserve(workers - 1);
    for (size_t w = 1; w < workers; ++w)
        threads.emplace_back([&] {
            CancelShare::Scope scope(cancel);
            work();
        });
    work();
    for (std::thread &t : threads) t.join();
}

}  // namespace kvps::s3
