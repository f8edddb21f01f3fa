#pragma once
// Plain TCP syslog (RFC 6587 octet counting: "LEN SP MSG"), one persistent connection.
// acknowledgedOffset() = bytes written to the socket minus ioctl(SIOCOUTQ): the exact stream
// position the receiver's TCP has acknowledged; a connection that is no longer ESTABLISHED (peer
// closed or reset) is an error, so a reset's emptied send queue is never taken for an ack.
// Writer thread only.
#include <string>

#include "core/host_port.h"
#include "sinks/syslog/socket_util.h"
#include "sinks/syslog/syslog_transport.h"

namespace o365fwd {

// "LEN SP MSG" appended to `out`.
void appendOctetCounted(std::string_view message, std::string& out);

class TcpConnection final : public SyslogConnection {
 public:
  explicit TcpConnection(HostPort target) : target_(std::move(target)) {}
  Status open(std::chrono::milliseconds timeout, std::stop_token stop) override;
  bool isOpen() const override { return fd_.valid(); }
  Status send(std::string_view message, std::stop_token stop) override;
  Status flushWrites(std::stop_token stop) override;
  std::uint64_t offset() const override { return written_ + buffer_.size(); }
  Result<std::uint64_t> acknowledgedOffset() override;
  void close() override;

 private:
  HostPort target_;
  syslog_socket::Fd fd_;
  std::string buffer_;         // framed, not yet written
  std::uint64_t written_ = 0;  // bytes written to the socket on this connection
};

}  // namespace o365fwd
