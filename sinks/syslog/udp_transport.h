#pragma once
// Syslog over UDP (RFC 5426): one message per datagram on a connected socket. Lossy by nature:
// a message counts as delivered when send() accepted it (acknowledgedOffset() == offset()); an
// ICMP "port unreachable" reported by the kernel on a later send is an error. The sink's
// max_message_size applies, capped at the largest IPv4 datagram payload (65507). Writer thread
// only.
#include "core/host_port.h"
#include "sinks/syslog/socket_util.h"
#include "sinks/syslog/syslog_transport.h"

namespace o365fwd {

inline constexpr std::uint64_t kMaxUdpPayload = 65507;

class UdpConnection final : public SyslogConnection {
 public:
  explicit UdpConnection(HostPort target) : target_(std::move(target)) {}
  Status open(std::chrono::milliseconds timeout, std::stop_token stop) override;
  bool isOpen() const override { return fd_.valid(); }
  Status send(std::string_view message, std::stop_token stop) override;
  Status flushWrites(std::stop_token) override { return okStatus(); }
  std::uint64_t offset() const override { return sent_; }
  Result<std::uint64_t> acknowledgedOffset() override { return sent_; }
  void close() override;
  std::uint64_t maxMessageSize() const override { return kMaxUdpPayload; }

 private:
  HostPort target_;
  syslog_socket::Fd fd_;
  std::uint64_t sent_ = 0;
};

}  // namespace o365fwd
