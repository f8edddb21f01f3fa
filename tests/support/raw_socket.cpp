#include "tests/support/raw_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace o365fwd::testing {

int connectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void sendText(int fd, const std::string& bytes) {
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
}

bool closedByPeer(int fd, std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count()))) > 0) {
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return true;
      continue;  // an answer: read on until the end
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

std::string rawExchange(int port, const std::string& request) {
  std::string out;
  int fd = connectLoopback(port);
  if (fd < 0) return out;
  sendText(fd, request);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

void raiseOpenFileLimit(unsigned long wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted) return;
  limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

ConnectionHolder::ConnectionHolder(int port, int idle, int trickling)
    : port_(port), idle_(idle), fds_(static_cast<std::size_t>(idle + trickling), -1) {
  // Opened here, so they are held when the constructor returns.
  for (std::size_t i = 0; i < fds_.size(); ++i) {
    fds_[i] = connectLoopback(port_);
    if (fds_[i] >= 0 && static_cast<int>(i) >= idle_)
      sendText(fds_[i], "GET / HTTP/1.1\r\nX-Slow: ");
  }
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

ConnectionHolder::~ConnectionHolder() {
  thread_.request_stop();
  thread_.join();
  for (int fd : fds_)
    if (fd >= 0) ::close(fd);
}

void ConnectionHolder::run(std::stop_token stop) {
  auto next_byte = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (!stop.stop_requested()) {
    const bool trickle = std::chrono::steady_clock::now() >= next_byte;
    if (trickle) next_byte += std::chrono::milliseconds(500);
    int open = 0;
    for (std::size_t i = 0; i < fds_.size(); ++i) {
      int& fd = fds_[i];
      const bool trickler = static_cast<int>(i) >= idle_;
      if (fd >= 0 && closedByPeer(fd, std::chrono::milliseconds(0))) {
        ::close(fd);
        fd = connectLoopback(port_);
        if (fd >= 0 && trickler) sendText(fd, "GET / HTTP/1.1\r\nX-Slow: ");
        ++reopened_;
      } else if (fd >= 0 && trickle && trickler) {
        sendText(fd, "a");
      } else if (fd < 0) {
        fd = connectLoopback(port_);
      }
      open += fd >= 0 ? 1 : 0;
    }
    open_.store(open);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace o365fwd::testing
