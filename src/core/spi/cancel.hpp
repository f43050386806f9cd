// Cancellation of the asynchronous operation (kvps_op) the calling thread is running. The core
// sets it up around each operation; code that can stop a request safely (the HTTP layer) asks.
#pragma once

#include <string>

namespace kvps {

// True when the operation this thread runs was cancelled (or passed its deadline) and has not
// been stopped yet. False on a thread that runs no asynchronous operation.
bool cancel_requested() noexcept;

// True on a thread that runs an asynchronous operation (one that could be cancelled): waits
// there should be short enough to notice a cancellation promptly.
bool cancellable() noexcept;

// Stops the operation: forgets the request for the rest of it on this thread (so cleanup, such
// as aborting a multipart upload, still runs), then throws KVPS_CANCELLED with `what`.
[[noreturn]] void stop_cancelled(const std::string &what);

// Carries the cancellation of this thread's operation to helper threads that work for it (a
// batch's items run in parallel): take it with CancelShare::current() on the operation's thread,
// then hold a CancelShare::Scope on each helper thread for the work. The helpers must end before
// the operation does (joined threads, not work that outlives it). Empty on a thread that runs no
// asynchronous operation, and then a Scope does nothing.
class CancelShare {
public:
    static CancelShare current() noexcept;

    class Scope {
    public:
        explicit Scope(const CancelShare &share) noexcept;
        ~Scope();
        Scope(const Scope &) = delete;
        Scope &operator=(const Scope &) = delete;

    private:
        const void *previous_;
    };

private:
    const void *flag_ = nullptr;
};

}  // namespace kvps
