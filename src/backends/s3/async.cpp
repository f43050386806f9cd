// Asynchronous GET, ranged GET, HEAD and DELETE (Backend::start) on the store's MultiClient:
// the blocking path's steps (Client::begin / sign_next / judge, then the *_answer functions),
// each attempt an exchange on the I/O thread, a retry's pause a timer there.
#include <atomic>
#include <exception>

#include "spi/error.hpp"
#include "s3_backend.hpp"

namespace kvps::s3 {
namespace {

using Answer = std::function<void(HttpResponse &, AsyncResult &)>;

// One call from its first attempt to its outcome. Lives on the I/O thread but for cancel().
class Pending final : public AsyncOperation, public std::enable_shared_from_this<Pending> {
public:
    Pending(Client &client, net::MultiClient &multi, std::string full_key, AsyncDone done)
        : client_(client), multi_(multi), full_(std::move(full_key)), done_(std::move(done)) {}

    Call call;      // its key views full_key()
    Answer answer;  // what a final answer means (may throw as the blocking call does)
    const std::string &full_key() const { return full_; }

    void launch() {
        multi_.post([self = shared_from_this()] {
            try {
                self->client_.begin(self->call, self->sending_);
                self->sending_.request.cancel = &self->cancelled_;  // cut from any thread
            } catch (...) {
                self->failed(std::current_exception());
                return;
            }
            self->attempt();
        });
    }

    void cancel() noexcept override {
        if (cancelled_.exchange(true)) return;
        try {
            multi_.post([self = shared_from_this()] { self->stop(); });
        } catch (...) {  // no memory to hop: the next step sees the flag
        }
    }

private:
    void attempt() {
        if (finished_) return;
        if (cancelled_)
            return stopped("before its " + std::string(call.method) + " request was sent");
        try {
            client_.sign_next(call, sending_);
        } catch (...) {
            return failed(std::current_exception());
        }
        in_flight_ = true;
        id_ = multi_.start(sending_.request, response_,
                           [self = shared_from_this()](bool answered, const TransportError &error,
                                                       std::exception_ptr failure) {
                               self->ended(answered, error, std::move(failure));
                           });
    }

    void ended(bool answered, const TransportError &error, std::exception_ptr failure) {
        in_flight_ = false;
        if (finished_) return;
        if (failure) return failed(std::move(failure));
        if (error.cancelled) return stopped("during its " + std::string(call.method) + " request");
        try {
            std::chrono::microseconds pause;
            if (client_.judge(call, sending_, answered, response_, error, pause) ==
                Client::Next::Retry) {
                multi_.after(std::chrono::duration_cast<std::chrono::milliseconds>(pause),
                             [self = shared_from_this()] { self->attempt(); });
                return;
            }
            AsyncResult result;
            answer(response_, result);
            finish(std::move(result));
        } catch (...) {
            failed(std::current_exception());
        }
    }

    // On the I/O thread, after cancel(): ends a retry's pause now, or cuts the exchange in
    // flight where the blocking path would (see "Cancellation" in kvps.h): a read at any
    // moment, a write while part of its body is unsent; a DELETE runs to its answer.
    void stop() {
        if (finished_) return;
        if (!in_flight_)
            return stopped("before its " + std::string(call.method) + " request was sent");
        std::string_view method = call.method;
        bool reads = method == "GET" || method == "HEAD";
        if (reads || (call.has_body && multi_.uploaded(id_) < call.body_size)) multi_.cancel(id_);
    }

    void stopped(const std::string &when) {
        AsyncResult result;
        result.status = KVPS_CANCELLED;
        result.message = "cancelled " + when;
        finish(std::move(result));
    }

    void failed(std::exception_ptr failure) {
        AsyncResult result;
        try {
            std::rethrow_exception(std::move(failure));
        } catch (...) {
            result.status = record_failure(result.message);
        }
        finish(std::move(result));
    }

    void finish(AsyncResult result) {
        finished_ = true;
        AsyncDone done = std::move(done_);
        done(std::move(result));
    }

    Client &client_;
    net::MultiClient &multi_;
    std::string full_;
    AsyncDone done_;
    std::atomic<bool> cancelled_{false};
    // The I/O thread's.
    Client::Sending sending_;
    HttpResponse response_;
    bool finished_ = false, in_flight_ = false;
    uint64_t id_ = 0;
};

}  // namespace

std::shared_ptr<AsyncOperation> S3Backend::start(const AsyncRequest &request, AsyncDone done) {
    if (request.kind == AsyncKind::put) return nullptr;  // on the pool (it may go multipart)
    auto pending =
        std::make_shared<Pending>(client_, multi_, client_.full_key(request.key), std::move(done));
    const Client &client = client_;
    const std::string &full = pending->full_key();
    switch (request.kind) {
    case AsyncKind::get:
        pending->call = checked_get_call(full);
        pending->answer = [&client, &full](HttpResponse &response, AsyncResult &result) {
            result.value = checked_get_answer(client, full, response, result.crc32c);
            if (!result.value) result.status = KVPS_NOT_FOUND;
        };
        break;
    case AsyncKind::get_range: {
        uint64_t offset = request.offset, length = request.length;
        if (length == 0) {  // as get_range: whether the key exists
            pending->call = head_call(full, false);
            pending->answer = [&client, &full](HttpResponse &response, AsyncResult &result) {
                if (head_answer(client, full, response))
                    result.value = Bytes();
                else
                    result.status = KVPS_NOT_FOUND;
            };
            break;
        }
        pending->call = range_call(full, offset, length);
        pending->answer = [&client, &full, offset, length](HttpResponse &response,
                                                           AsyncResult &result) {
            result.value = range_answer(client, full, response, offset, length);
            if (!result.value) result.status = KVPS_NOT_FOUND;
        };
        break;
    }
    case AsyncKind::stat:
        pending->call = head_call(full, false);
        pending->answer = [&client, &full](HttpResponse &response, AsyncResult &result) {
            result.meta = head_answer(client, full, response);
            if (!result.meta) result.status = KVPS_NOT_FOUND;
        };
        break;
    case AsyncKind::remove:
        pending->call = delete_call(full);
        pending->answer = [&client, &full](HttpResponse &response, AsyncResult &) {
            delete_answer(client, full, response);
        };
        break;
    case AsyncKind::put: return nullptr;
    }
    pending->launch();
    return pending;
}

}  // namespace kvps::s3
