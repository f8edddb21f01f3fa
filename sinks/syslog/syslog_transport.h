#pragma once
// One connection to a syslog receiver, as the syslog sink's writer thread sees it. Implementations
// (TCP, TLS, UDP, RELP) own their socket/session and are used by one thread at a time (the
// writer; healthcheck() uses its own instance).
//
// Acknowledgement model: every message handed to send() advances offset() by its framed size.
// acknowledgedOffset() says how far, in that same byte count, the receiver has confirmed having
// the data on this connection (TCP: its kernel acknowledged the bytes, read with SIOCOUTQ; TLS:
// everything once the socket's unacknowledged count reaches 0; UDP: sent; RELP: librelp's
// acknowledgement, see relp_transport.h). Offsets restart at 0 on every open().
#include <chrono>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string_view>

#include "core/config/config.h"
#include "core/result.h"

namespace o365fwd {

class SyslogConnection {
 public:
  virtual ~SyslogConnection() = default;
  // Connects (TLS handshake, RELP open) within `timeout`. Closes a previous connection first.
  virtual Status open(std::chrono::milliseconds timeout, std::stop_token stop) = 0;
  virtual bool isOpen() const = 0;
  // Frames and queues or sends one message. An error means the connection is unusable.
  virtual Status send(std::string_view message, std::stop_token stop) = 0;
  // Writes everything queued by send() to the socket.
  virtual Status flushWrites(std::stop_token stop) = 0;
  virtual std::uint64_t offset() const = 0;
  // Refreshes and returns the acknowledged offset; an error means the connection is broken.
  virtual Result<std::uint64_t> acknowledgedOffset() = 0;
  // How many bytes may be written beyond the acknowledged offset before the writer should pause
  // and let acknowledgements catch up (TLS needs the socket queue to drain to 0); 0 = no limit.
  virtual std::uint64_t pauseAfterBytes() const { return 0; }
  // Graceful close (TLS close_notify, RELP close); never blocks long. Idempotent.
  virtual void close() = 0;
  // The size limit the transport itself imposes on one message (UDP datagram), 0 = none.
  virtual std::uint64_t maxMessageSize() const { return 0; }
};

// Builds the connection for config.transport, or a kConfig error (bad address, unusable TLS
// files, RELP not compiled in).
Result<std::unique_ptr<SyslogConnection>> makeSyslogConnection(const SyslogSinkConfig& config);

}  // namespace o365fwd
