// Ctrl-C (SIGINT), SIGTERM and SIGHUP only raise a flag: the loops that move bytes check it
// between chunks, abort their writers (so nothing half-written becomes visible) and unwind.
#pragma once

#include <signal.h>

namespace cli {

// Installs the handlers (without SA_RESTART, so a blocking read of a pipe returns EINTR).
void install_interrupt_handlers();

// True once one of the signals arrived.
bool interrupted();

// The signal that arrived, 0 if none.
int received_signal();

// Unblocks signal in this thread (before re-raising it with its default action).
void unblock_signal(int signal);

// Throws Failure{128 + signal, "interrupted"} when a signal arrived.
void check_interrupted();

// Blocks the signals on this thread while alive, so that threads started meanwhile inherit the
// mask and the signal is handled by the thread that created this (workers keep polling the flag).
class SignalsBlocked {
public:
    SignalsBlocked();
    ~SignalsBlocked();
    SignalsBlocked(const SignalsBlocked &) = delete;
    SignalsBlocked &operator=(const SignalsBlocked &) = delete;

private:
    sigset_t old_;
};

}  // namespace cli
