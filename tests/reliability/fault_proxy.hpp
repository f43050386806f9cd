// A fault-injecting HTTP/1.1 proxy on 127.0.0.1, in front of a real server (never a stand-in
// for one): it forwards each request and its answer, and on the requests a rule picks it
//   - answers 503 SlowDown or 500 InternalError itself (the server never sees the request),
//   - resets the connection after k bytes of the request,
//   - holds the request after k bytes (a stall while sending),
//   - cuts the answer after k bytes (inside the headers or the body),
//   - holds the answer after k bytes (a stall while receiving), then closes.
// It reads request and answer framing (Content-Length, chunked, HEAD) so that faults land on
// one exchange of a keep-alive connection. Test code only; loopback only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace fault {

enum class Kind { Pass, Reply503, Reply500, ResetRequest, StallRequest, CutAnswer, StallAnswer };

inline const char *kind_name(Kind k) {
    switch (k) {
    case Kind::Pass: return "pass";
    case Kind::Reply503: return "503";
    case Kind::Reply500: return "500";
    case Kind::ResetRequest: return "reset-request";
    case Kind::StallRequest: return "stall-request";
    case Kind::CutAnswer: return "cut-answer";
    case Kind::StallAnswer: return "stall-answer";
    }
    return "?";
}

struct Action {
    Kind kind = Kind::Pass;
    // Where the fault lands: a byte offset into the request (head + body) or the answer
    // (head + body); a value in [0, 1) is a fraction of that length instead.
    double at = 0;
    int stall_ms = 0;  // how long a stall holds before the proxy closes the connection
};

struct RequestInfo {
    std::string method;
    std::string target;   // path and query as sent
    uint64_t number = 0;  // 1, 2, ... over the proxy's life
};

using Rule = std::function<Action(const RequestInfo &)>;

class Proxy {
public:
    explicit Proxy(int upstream_port) : upstream_port_(upstream_port) {
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr *>(&addr), len) != 0 ||
            listen(listener_, 128) != 0 ||
            getsockname(listener_, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
            throw std::runtime_error("fault proxy: cannot listen on 127.0.0.1");
        port_ = ntohs(addr.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }

    ~Proxy() {
        stop_ = true;
        acceptor_.join();
        close(listener_);
        std::lock_guard lock(mutex_);
        for (std::thread &t : pumps_) t.join();
    }

    int port() const { return port_; }
    void set_rule(Rule rule) {
        std::lock_guard lock(mutex_);
        rule_ = std::move(rule);
    }
    // Counts of faults injected, by kind.
    uint64_t injected(Kind k) const { return counts_[static_cast<int>(k)]; }
    uint64_t requests() const { return requests_; }

private:
    // One side of a connection with a read buffer.
    struct Peer {
        int fd = -1;
        std::string buffer;
        std::atomic<bool> *stop = nullptr;
        // Reads more into buffer; false on EOF, error or stop.
        bool fill() {
            char chunk[64 * 1024];
            while (!*stop) {
                pollfd p{fd, POLLIN, 0};
                int r = poll(&p, 1, 50);
                if (r < 0) return false;
                if (r == 0) continue;
                ssize_t n = recv(fd, chunk, sizeof chunk, 0);
                if (n <= 0) return false;
                buffer.append(chunk, static_cast<size_t>(n));
                return true;
            }
            return false;
        }
        // The head (through the blank line), or false.
        bool head(std::string &out) {
            for (;;) {
                size_t end = buffer.find("\r\n\r\n");
                if (end != std::string::npos) {
                    out = buffer.substr(0, end + 4);
                    buffer.erase(0, end + 4);
                    return true;
                }
                if (buffer.size() > (1 << 20) || !fill()) return false;
            }
        }
        bool take(size_t n, std::string &out) {
            while (buffer.size() < n)
                if (!fill()) return false;
            out.append(buffer, 0, n);
            buffer.erase(0, n);
            return true;
        }
        // A chunked body, framing included, up to and with the final empty chunk.
        bool chunked(std::string &out) {
            for (;;) {
                size_t eol;
                while ((eol = buffer.find("\r\n")) == std::string::npos)
                    if (!fill()) return false;
                size_t size = std::stoul(buffer.substr(0, eol), nullptr, 16);
                if (!take(eol + 2, out)) return false;
                if (size == 0) {  // trailers until an empty line
                    for (;;) {
                        while ((eol = buffer.find("\r\n")) == std::string::npos)
                            if (!fill()) return false;
                        bool empty = eol == 0;
                        if (!take(eol + 2, out)) return false;
                        if (empty) return true;
                    }
                }
                if (!take(size + 2, out)) return false;
            }
        }
    };

    static std::string header(const std::string &head, const char *name) {
        std::string lower = head;
        for (char &c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string key = std::string("\r\n") + name + ":";
        size_t at = lower.find(key);
        if (at == std::string::npos) return "";
        size_t start = at + key.size();
        size_t end = head.find("\r\n", start);
        std::string v = head.substr(start, end - start);
        while (!v.empty() && v.front() == ' ') v.erase(0, 1);
        while (!v.empty() && v.back() == ' ') v.pop_back();
        return v;
    }

    // The body that follows a head: Content-Length or chunked; `none` when there is none.
    static bool body(Peer &from, const std::string &head, bool none, std::string &out) {
        if (none) return true;
        std::string te = header(head, "transfer-encoding");
        if (te.find("chunked") != std::string::npos) return from.chunked(out);
        std::string cl = header(head, "content-length");
        if (cl.empty()) return true;
        return from.take(std::stoull(cl), out);
    }

    static bool send_all(int fd, const char *data, size_t size) {
        while (size > 0) {
            ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
            if (n <= 0) return false;
            data += n;
            size -= static_cast<size_t>(n);
        }
        return true;
    }

    static void reset(int fd) {  // an abortive close: the peer sees a reset
        linger l{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }

    static size_t offset(double at, size_t length) {
        if (at < 1) return std::min(length, static_cast<size_t>(at * double(length)));
        return std::min(length, static_cast<size_t>(at));
    }

    // Sleeps, or returns early when watch_fd (-1: none) is closed by its peer.
    void hold(int ms, int watch_fd) {
        auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        while (!stop_ && std::chrono::steady_clock::now() < end) {
            pollfd p{watch_fd, POLLIN, 0};
            if (watch_fd < 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            } else if (poll(&p, 1, 20) > 0) {
                char c;
                if (recv(watch_fd, &c, 1, MSG_PEEK) <= 0) return;
            }
        }
    }

    void accept_loop() {
        while (!stop_) {
            pollfd p{listener_, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            int client = accept(listener_, nullptr, nullptr);
            if (client < 0) continue;
            std::lock_guard lock(mutex_);
            pumps_.emplace_back([this, client] { serve(client); });
        }
    }

    void serve(int client_fd) {
        int server_fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
        int one = 1;
        setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (server_fd < 0 ||
            connect(server_fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
            close(client_fd);
            if (server_fd >= 0) close(server_fd);
            return;
        }
        setsockopt(server_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Peer client{client_fd, {}, &stop_};
        Peer server{server_fd, {}, &stop_};
        while (!stop_ && exchange(client, server)) {
        }
        close(client_fd);
        close(server_fd);
    }

    // One request and its answer; false when the connection is done.
    bool exchange(Peer &client, Peer &server) {
        std::string request;
        if (!client.head(request)) return false;
        RequestInfo info;
        size_t sp1 = request.find(' '), sp2 = request.find(' ', sp1 + 1);
        info.method = request.substr(0, sp1);
        info.target = request.substr(sp1 + 1, sp2 - sp1 - 1);
        info.number = ++requests_;
        Action action;
        {
            std::lock_guard lock(mutex_);
            if (rule_) action = rule_(info);
        }
        counts_[static_cast<int>(action.kind)]++;
        if (action.kind == Kind::ResetRequest || action.kind == Kind::StallRequest) {
            // Only the first k bytes are read from the client: a big body stalls or breaks
            // while the client is still sending it.
            std::string cl = header(request, "content-length");
            size_t total = request.size() + (cl.empty() ? 0 : std::stoull(cl));
            size_t k = offset(action.at, total);
            if (k > request.size() && !client.take(k - request.size(), request)) return false;
            send_all(server.fd, request.data(), std::min(k, request.size()));
            if (action.kind == Kind::StallRequest) hold(action.stall_ms, -1);
            reset(client.fd);
            reset(server.fd);
            return false;
        }
        if (!body(client, request, false, request)) return false;

        switch (action.kind) {
        case Kind::Reply503:
        case Kind::Reply500: {
            bool slow = action.kind == Kind::Reply503;
            std::string xml =
                std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>") +
                (slow ? "SlowDown" : "InternalError") +
                "</Code><Message>injected by the fault proxy</Message>"
                "<RequestId>fault</RequestId></Error>";
            std::string answer = std::string("HTTP/1.1 ") +
                                 (slow ? "503 Slow Down" : "500 Internal Server Error") +
                                 "\r\nContent-Type: application/xml\r\nContent-Length: " +
                                 std::to_string(xml.size()) + "\r\n\r\n" + xml;
            return send_all(client.fd, answer.data(), answer.size());
        }
        default: break;
        }

        if (!send_all(server.fd, request.data(), request.size())) return false;
        std::string answer;
        if (!server.head(answer)) return false;
        long status = std::atol(answer.c_str() + answer.find(' ') + 1);
        bool no_body = info.method == "HEAD" || status == 204 || status == 304 || status / 100 == 1;
        if (!body(server, answer, no_body, answer)) return false;
        if (action.kind == Kind::Pass) return send_all(client.fd, answer.data(), answer.size());

        size_t k = offset(action.at, answer.size());
        if (k >= answer.size() && answer.size() > 0) k = answer.size() - 1;  // always a real cut
        send_all(client.fd, answer.data(), k);
        if (action.kind == Kind::StallAnswer) hold(action.stall_ms, client.fd);
        reset(client.fd);
        reset(server.fd);
        return false;
    }

    int upstream_port_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread acceptor_;
    std::mutex mutex_;
    std::vector<std::thread> pumps_;
    Rule rule_;
    std::atomic<uint64_t> counts_[7] = {};
    std::atomic<uint64_t> requests_{0};
};

// A rule for the mixed runs: a fault on a fraction of requests, kinds and places drawn from a
// seeded generator (so a failing run can be replayed).
inline Rule random_faults(double rate, uint64_t seed, int stall_ms) {
    auto random = std::make_shared<std::mt19937_64>(seed);
    auto mutex = std::make_shared<std::mutex>();
    return [=](const RequestInfo &) {
        std::lock_guard lock(*mutex);
        std::uniform_real_distribution<double> u(0, 1);
        if (u(*random) >= rate) return Action{};
        static const Kind kinds[] = {Kind::Reply503,     Kind::Reply500,  Kind::ResetRequest,
                                     Kind::StallRequest, Kind::CutAnswer, Kind::StallAnswer};
        Action a;
        a.kind = kinds[(*random)() % 6];
        a.at = u(*random) * 0.999;
        a.stall_ms = stall_ms;
        return a;
    };
}

}  // namespace fault
