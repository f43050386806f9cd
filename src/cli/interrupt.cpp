#include "interrupt.hpp"

#include <pthread.h>

#include "errors.hpp"

namespace cli {
namespace {

volatile sig_atomic_t received = 0;

const int handled_signals[] = {SIGINT, SIGTERM, SIGHUP};

void on_signal(int signal) { received = signal; }

sigset_t handled_set() {
    sigset_t set;
    sigemptyset(&set);
    for (int signal : handled_signals) sigaddset(&set, signal);
    return set;
}

}  // namespace

void install_interrupt_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    for (int signal : handled_signals) sigaction(signal, &action, nullptr);
}

bool interrupted() { return received != 0; }

int received_signal() { return received; }

void unblock_signal(int signal) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

void check_interrupted() {
    if (received != 0) throw Failure{128 + received, "interrupted"};
}

SignalsBlocked::SignalsBlocked() {
    sigset_t set = handled_set();
    pthread_sigmask(SIG_BLOCK, &set, &old_);
}

SignalsBlocked::~SignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

}  // namespace cli
