#pragma once
// Small POSIX socket helpers shared by the syslog transports. Thread-compatible (no state).
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <string_view>

#include "core/result.h"

namespace o365fwd::syslog_socket {

// A socket fd that closes itself.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.release();
    }
    return *this;
  }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

// Resolves host:port and connects a non-blocking socket of `type` (SOCK_STREAM / SOCK_DGRAM),
// trying each address until one succeeds or `timeout` passes. Errors: kTransport, retryable.
Result<Fd> connectTo(const std::string& host, int port, int type, std::chrono::milliseconds timeout,
                     std::stop_token stop);
// Waits until fd is readable/writable (events: POLLIN/POLLOUT), in slices so `stop` is seen.
// Error (retryable kTransport) on timeout or stop.
Status waitFor(int fd, short events, std::chrono::milliseconds timeout, std::stop_token stop,
               std::string_view what);
// Writes all of `data` to a non-blocking stream socket (MSG_NOSIGNAL). Error after `stall` of no
// progress.
Status writeAll(int fd, std::string_view data, std::chrono::milliseconds stall,
                std::stop_token stop);
// Bytes written but not acknowledged by the peer's TCP (ioctl SIOCOUTQ).
Result<std::uint64_t> unacknowledgedBytes(int fd);
// A pending socket error (SO_ERROR) or a peer close seen by a non-blocking peek; ok otherwise.
Status checkAlive(int fd);

Error transportError(std::string what, int err);

}  // namespace o365fwd::syslog_socket
