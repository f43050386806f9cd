// A TCP proxy on 127.0.0.1 in front of a real server that breaks connections on purpose, to
// test what kvps does when a connection drops mid-transfer (the server stays real: no mock).
//
//   - cut_down_after / down_cuts: a connection that has sent more than cut_down_after bytes
//     towards the client is closed, for the first down_cuts such connections;
//   - cut_up_after: a connection that has received more than cut_up_after bytes from the client
//     is closed, always (0 = never).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

class BreakingProxy {
public:
    BreakingProxy(int upstream_port, uint64_t cut_down_after, int down_cuts, uint64_t cut_up_after)
        : upstream_port_(upstream_port),
          cut_down_after_(cut_down_after),
          down_cuts_(down_cuts),
          cut_up_after_(cut_up_after) {
        listener_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (listener_ < 0 || bind(listener_, reinterpret_cast<sockaddr *>(&addr), len) != 0 ||
            listen(listener_, 64) != 0 ||
            getsockname(listener_, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
            throw std::runtime_error("proxy: cannot listen");
        port_ = ntohs(addr.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }

    ~BreakingProxy() {
        stop_ = true;
        acceptor_.join();
        close(listener_);
        std::lock_guard lock(mutex_);
        for (std::thread &t : pumps_) t.join();
    }

    int port() const { return port_; }
    int cuts() const { return cuts_; }

private:
    void accept_loop() {
        while (!stop_) {
            pollfd p{listener_, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) continue;
            int client = accept(listener_, nullptr, nullptr);
            if (client < 0) continue;
            std::lock_guard lock(mutex_);
            pumps_.emplace_back([this, client] { pump(client); });
        }
    }

    void pump(int client) {
        int server = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
        if (server < 0 || connect(server, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
            close(client);
            if (server >= 0) close(server);
            return;
        }
        uint64_t up = 0, down = 0;
        char buffer[64 * 1024];
        while (!stop_) {
            pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
            if (poll(p, 2, 50) <= 0) continue;
            if (p[0].revents) {
                ssize_t n = read(client, buffer, sizeof buffer);
                if (n <= 0 || write(server, buffer, static_cast<size_t>(n)) != n) break;
                up += static_cast<uint64_t>(n);
                if (cut_up_after_ && up > cut_up_after_) {
                    ++cuts_;
                    break;
                }
            }
            if (p[1].revents) {
                ssize_t n = read(server, buffer, sizeof buffer);
                if (n <= 0 || write(client, buffer, static_cast<size_t>(n)) != n) break;
                down += static_cast<uint64_t>(n);
                if (down > cut_down_after_ && down_cuts_.fetch_sub(1) > 0) {
                    ++cuts_;
                    break;
                }
            }
        }
        close(client);
        close(server);
    }

    int upstream_port_;
    uint64_t cut_down_after_;
    std::atomic<int> down_cuts_;
    uint64_t cut_up_after_;
    int listener_ = -1;
    int port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> cuts_{0};
    std::mutex mutex_;
    std::vector<std::thread> pumps_;
    std::thread acceptor_;
};
