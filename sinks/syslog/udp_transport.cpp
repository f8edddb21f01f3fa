#include "sinks/syslog/udp_transport.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace o365fwd {

Status UdpConnection::open(std::chrono::milliseconds timeout, std::stop_token stop) {
  close();
  auto fd = syslog_socket::connectTo(target_.host, target_.port, SOCK_DGRAM, timeout, stop);
  if (!fd.ok()) return fd.error();
  fd_ = std::move(fd).value();
  sent_ = 0;
  return okStatus();
}

Status UdpConnection::send(std::string_view message, std::stop_token stop) {
  if (!fd_.valid())
    return Error::retryableError(ErrorKind::kTransport, "The syslog UDP socket is closed");
  while (true) {
    ssize_t n = ::send(fd_.get(), message.data(), message.size(), MSG_NOSIGNAL);
    if (n >= 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      Status ready = syslog_socket::waitFor(fd_.get(), POLLOUT, std::chrono::seconds(30), stop,
                                            "Sending a syslog datagram");
      if (!ready.ok()) return ready;
      continue;
    }
    return syslog_socket::transportError("Sending a syslog datagram to " + target_.host + ":" +
                                             std::to_string(target_.port) + " failed",
                                         errno);
  }
  sent_ += message.size();
  return okStatus();
}

void UdpConnection::close() {
  fd_.reset();
  sent_ = 0;
}

}  // namespace o365fwd
