// Asynchronous GET, ranged GET, HEAD, DELETE and single PutObject (Backend::start) on the store's
// MultiClient: the blocking path's steps (Client::begin / sign_next / judge, the *_answer
// functions, SinglePut), each attempt an exchange on the I/O thread, a retry's pause a timer
// there. Credentials that must be refreshed first are refreshed on a thread of their own
// (CredentialProvider::get_or_wait), never on the I/O thread.
#include <atomic>
#include <exception>
#include <optional>

#include "spi/error.hpp"
#include "s3_backend.hpp"

namespace kvps::s3 {
namespace {

using Answer = std::function<void(HttpResponse &, AsyncResult &)>;

// One call from its first attempt to its outcome. Lives on the I/O thread but for launch() and
// cancel().
class Pending final : public AsyncOperation, public std::enable_shared_from_this<Pending> {
public:
    Pending(Client &client, net::MultiClient &multi, std::string full_key, AsyncDone done)
        : client_(client), multi_(multi), full_(std::move(full_key)), done_(std::move(done)) {}

    // What to run: a call and what its final answer means (its key views full_key()), or a put.
    Call call;
    Answer answer;
    std::unique_ptr<SinglePut> put;
    const std::string &full_key() const { return full_; }

    // On the caller's thread: prepares the first request there (a body is hashed there, not on
    // the I/O thread; throws as the blocking call would), then hands the rest over.
    void launch() {
        client_.begin(current(), sending_);
        sending_.request.cancel = &cancelled_;  // cut from any thread
        multi_.post([self = shared_from_this()] { self->attempt(0, nullptr); });
    }

    void cancel() noexcept override {
        if (cancelled_.exchange(true)) return;
        try {
            multi_.post([self = shared_from_this()] { self->stop(); });
        } catch (...) {  // no memory to hop: the next step sees the flag
        }
    }

private:
    // The request being made: the put, the HEAD that settles its lost answer, or the call.
    const Call &current() const { return settling_ ? head_ : put ? put->call() : call; }
    std::string method() const { return current().method; }
    // Whether a cancellation may stop the current request (the HEAD settling a cancelled put
    // runs to its answer, as in the blocking path).
    bool stoppable() const { return !settling_ || settling_->status() != KVPS_CANCELLED; }

    // step: the step_ it was scheduled in (a timer or a credential refresh of an earlier step
    // finds the op moved on); creds: fresh ones a refresh gave, else nullptr.
    void attempt(unsigned step, std::shared_ptr<const Credentials> creds) {
        if (finished_ || step != step_) return;
        if (cancelled_ && stoppable())
            return cancelled_now("before its " + method() + " request was sent");
        try {
            if (!creds) {
                creds = client_.settings().credentials->get_or_wait(when_refreshed());
                if (!creds) return;  // attempted again once the refresh ended
            }
            client_.sign_next(current(), sending_, std::move(creds));
        } catch (...) {
            return step_failed(std::current_exception());
        }
        in_flight_ = true;
        id_ = multi_.start(sending_.request, response_,
                           [self = shared_from_this()](bool answered, const TransportError &error,
                                                       std::exception_ptr failure) {
                               self->ended(answered, error, std::move(failure));
                           });
    }

    // What a credential refresh calls when it ended (on its own thread): back to attempt().
    CredentialProvider::Ready when_refreshed() {
        return [post = multi_.poster(), self = shared_from_this(), step = step_](
                   std::shared_ptr<const Credentials> creds, std::exception_ptr error) noexcept {
            try {
                post([self, step, creds = std::move(creds), error]() mutable {
                    if (!error) return self->attempt(step, std::move(creds));
                    if (!self->finished_ && step == self->step_) self->step_failed(error);
                });
            } catch (...) {  // no memory to hop: the op cannot go on (nor be told)
            }
        };
    }

    void ended(bool answered, const TransportError &error, std::exception_ptr failure) {
        in_flight_ = false;
        if (finished_) return;
        if (error.cancelled) return cancelled_now("during its " + method() + " request");
        if (failure) return step_failed(std::move(failure));
        try {
            std::chrono::microseconds pause;
            switch (client_.judge(current(), sending_, answered, response_, error, pause)) {
            case Client::Next::Retry:
                multi_.after(
                    std::chrono::duration_cast<std::chrono::milliseconds>(pause),
                    [self = shared_from_this(), step = step_] { self->attempt(step, nullptr); });
                return;
            case Client::Next::Renew:
                if (client_.settings().credentials->renew_or_wait(sending_.used, when_refreshed()))
                    return;
                break;
            case Client::Next::Answer: break;
            }
        } catch (...) {
            return step_failed(std::current_exception());
        }
        answered_now();
    }

    // The current request's final answer.
    void answered_now() {
        AsyncResult result;
        try {
            if (settling_) {
                result.etag =
                    put->settled(client_, *settling_, [this] { return std::move(response_); });
            } else if (put) {
                try {
                    result.etag = put->answered(client_, response_);
                } catch (...) {
                    return step_failed(std::current_exception());
                }
            } else {
                answer(response_, result);
            }
        } catch (...) {
            return failed(std::current_exception());
        }
        finish(std::move(result));
    }

    // The current request failed (no answer, an error answer, a refresh that failed...): as
    // the blocking path does, a put whose earlier attempt went unanswered is settled by a HEAD
    // first, and a HEAD settling one that fails too leaves the outcome unknown.
    void step_failed(std::exception_ptr failure) {
        if (settling_) {
            try {
                put->settled(client_, *settling_,
                             [&]() -> HttpResponse { std::rethrow_exception(failure); });
            } catch (...) {
                return failed(std::current_exception());
            }
            return failed(std::move(failure));  // not reached: settled() throws
        }
        if (put) {
            try {
                std::rethrow_exception(failure);
            } catch (const Error &e) {
                if (put->needs_settling(e)) return settle(e);
            } catch (...) {
            }
        }
        failed(std::move(failure));
    }

    // Sends the HEAD that tells whether the put's value is in place after `failure`.
    void settle(const Error &failure) {
        settling_ = failure;
        ++step_;  // a retry or refresh the put still had scheduled finds it moved on
        head_ = head_call(put->full_key(), false);
        try {
            sending_ = Client::Sending{};
            client_.begin(head_, sending_);
        } catch (...) {
            return step_failed(std::current_exception());
        }
        if (stoppable()) sending_.request.cancel = &cancelled_;
        attempt(step_, nullptr);
    }

    // On the I/O thread, after cancel(): ends a retry's pause or a credential refresh's wait
    // now, or cuts the exchange in flight where the blocking path would (see "Cancellation" in
    // kvps.h): a read at any moment, a write while part of its body is unsent; a DELETE runs
    // to its answer.
    void stop() {
        if (finished_ || !stoppable()) return;
        if (!in_flight_) return cancelled_now("before its " + method() + " request was sent");
        const Call &now = current();
        std::string_view m = now.method;
        bool reads = m == "GET" || m == "HEAD";
        if (reads || (now.has_body && multi_.uploaded(id_) < now.body_size)) multi_.cancel(id_);
    }

    // Stopped by a cancellation with no request in flight: KVPS_CANCELLED, unless a put's
    // earlier attempt went unanswered (then settled), or the HEAD settling one was cut (then
    // the outcome is unknown).
    void cancelled_now(const std::string &when) {
        if (settling_ || put)
            return step_failed(std::make_exception_ptr(Error(KVPS_CANCELLED, "cancelled " + when)));
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
    // The I/O thread's (launch() prepares sending_ before handing over).
    Client::Sending sending_;
    HttpResponse response_;
    std::optional<Error> settling_;  // the put's failure being settled by head_
    Call head_;
    unsigned step_ = 0;
    bool finished_ = false, in_flight_ = false;
    uint64_t id_ = 0;
};

}  // namespace

std::shared_ptr<AsyncOperation> S3Backend::start(const AsyncRequest &request, AsyncDone done) {
    if (request.kind == AsyncKind::put) {
        // On the pool: a value above part_size (multipart), and a condition before the server
        // was probed for conditions (a few requests, once per store handle).
        if (request.size > client_.settings().part_size) return nullptr;
        if (request.options && request.options->conditional() && !probe_.require_known(client_))
            return nullptr;
    }
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
    case AsyncKind::put:
        pending->put = std::make_unique<SinglePut>(
            full, request.data, request.size, request.options ? *request.options : PutOptions{});
        break;
    }
    pending->launch();
    return pending;
}

}  // namespace kvps::s3
