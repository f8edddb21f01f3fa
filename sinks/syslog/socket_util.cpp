#include "sinks/syslog/socket_util.h"

#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace o365fwd::syslog_socket {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

void Fd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Error transportError(std::string what, int err) {
  return Error::retryableError(ErrorKind::kTransport, std::move(what) + ": " + std::strerror(err));
}

Status waitFor(int fd, short events, milliseconds timeout, std::stop_token stop,
               std::string_view what) {
  auto deadline = steady_clock::now() + timeout;
  while (true) {
    if (stop.stop_requested())
      return Error::retryableError(ErrorKind::kCancelled, std::string(what) + ": stopping");
    auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0)
      return Error::retryableError(
          ErrorKind::kTransport,
          std::string(what) + " timed out after " + std::to_string(timeout.count()) + " ms");
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 100)));
    if (n < 0 && errno != EINTR) return transportError(std::string(what) + ": poll", errno);
    if (n > 0) return okStatus();  // readiness or an error condition: the caller's call says which
  }
}

Result<Fd> connectTo(const std::string& host, int port, int type, milliseconds timeout,
                     std::stop_token stop) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = type;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0)
    return Error::retryableError(ErrorKind::kTransport, "Cannot resolve syslog receiver " + host +
                                                            ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> list(found, ::freeaddrinfo);
  auto deadline = steady_clock::now() + timeout;
  Error last = Error::retryableError(ErrorKind::kTransport, "No address for " + host);
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    Fd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      last = transportError("socket()", errno);
      continue;
    }
    if (type == SOCK_STREAM) {
      int one = 1;
      ::setsockopt(fd.get(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last = transportError("Cannot connect to " + host + ":" + service, errno);
        continue;
      }
      auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      Status ready = waitFor(fd.get(), POLLOUT, std::max(left, milliseconds(1)), stop,
                             "Connecting to " + host + ":" + service);
      if (!ready.ok()) {
        last = ready.error();
        if (stop.stop_requested()) break;
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = transportError("Cannot connect to " + host + ":" + service, err);
        continue;
      }
    }
    return fd;
  }
  return last;
}

Status writeAll(int fd, std::string_view data, milliseconds stall, std::stop_token stop) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Status ready = waitFor(fd, POLLOUT, stall, stop, "Writing to the syslog receiver");
      if (!ready.ok()) return ready;
      continue;
    }
    return transportError("Writing to the syslog receiver failed", n < 0 ? errno : EPIPE);
  }
  return okStatus();
}

Result<std::uint64_t> unacknowledgedBytes(int fd) {
  int outq = 0;
  if (::ioctl(fd, SIOCOUTQ, &outq) != 0) return transportError("ioctl(SIOCOUTQ)", errno);
  Status alive = checkAlive(fd);
  if (!alive.ok()) return alive.error();
  return static_cast<std::uint64_t>(std::max(outq, 0));
}

Status checkAlive(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
    return transportError("The syslog connection failed", err);
  tcp_info info{};
  len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
      info.tcpi_state != TCP_ESTABLISHED)
    return Error::retryableError(ErrorKind::kTransport,
                                 "The syslog receiver closed the connection (TCP state " +
                                     std::to_string(info.tcpi_state) + ")");
  return okStatus();
}

}  // namespace o365fwd::syslog_socket
