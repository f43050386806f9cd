// Requests driven by libcurl's multi interface on one library-owned I/O thread, for the
// asynchronous operations of the backends that speak HTTP (issue 22): thousands of requests in
// flight with one thread and at most max_connections connections. Each exchange is set up and
// judged by net::Transfer (http.hpp), exactly as HttpClient::perform does.
//
// Everything but post() and after() runs on the I/O thread: callers hop there with post().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "http.hpp"

namespace kvps::net {

class MultiClient {
public:
    // max_connections >= 1: the most connections open at once (and requests in flight; the
    // rest wait their turn in order).
    MultiClient(HttpSettings options, unsigned max_connections);
    // Stops the I/O thread; requests still known are dropped without their done. May run on
    // the I/O thread itself (the thread then ends after the callback it runs).
    ~MultiClient();
    MultiClient(const MultiClient &) = delete;
    MultiClient &operator=(const MultiClient &) = delete;

    // Runs fn on the I/O thread, soon, in order (the thread starts on first use). fn must not
    // throw or block. Thread-safe.
    void post(std::function<void()> fn);
    // Runs fn on the I/O thread once delay passed. Thread-safe.
    void after(std::chrono::milliseconds delay, std::function<void()> fn);
    // post() through a handle that may outlive this client (it then drops fn): for callbacks
    // that come from other threads, possibly after the store closed. Thread-safe.
    using Poster = std::function<void(std::function<void()>)>;
    Poster poster() const;

    // I/O thread only. Called once the exchange ended: answered as Transfer::finish says (with
    // error filled otherwise; error.cancelled after cancel()), or failure holding what finish
    // threw. request and response must live until then.
    using Done =
        std::function<void(bool answered, const TransportError &error, std::exception_ptr failure)>;
    uint64_t start(const HttpRequest &request, HttpResponse &response, Done done);
    // I/O thread only. Stops the exchange now (its connection is closed) and calls its done
    // with error.cancelled; nothing when it already ended.
    void cancel(uint64_t id);
    // I/O thread only. Body bytes the exchange sent so far (0 when not started or ended).
    uint64_t uploaded(uint64_t id) const;

    struct Loop;

private:
    std::shared_ptr<Loop> loop_;
};

}  // namespace kvps::net
