#pragma once
// RELP (Reliable Event Logging Protocol, as spoken by rsyslog's imrelp) over plain TCP, with real
// application-level acknowledgements: every message is a "syslog" frame with its own transaction
// number, and acknowledgedOffset() advances only past frames whose "rsp" with status 200 has been
// read back, in order. A non-200 response, a response out of order, "serverclose" or a closed
// socket is an error (the sink reconnects and resends its window). close() sends "close" and waits
// up to a second for its response.
//
// Why not librelp: the librelp 1.11 client API (relpCltSendSyslog) returns as soon as a frame is
// in librelp's send window and releases acknowledged frames internally; it offers no way to learn
// that a particular message has been acknowledged (rsyslog's omrelp therefore treats "accepted
// into the window" as success). That is weaker than the sink contract, so the protocol (a few
// dozen lines of framing) is implemented here on our socket helpers instead; there is no RELP over
// TLS. Writer thread only.
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "core/host_port.h"
#include "sinks/syslog/socket_util.h"
#include "sinks/syslog/syslog_transport.h"

namespace o365fwd {

// "TXNR SP COMMAND SP DATALEN [SP DATA] LF" appended to `out`.
void appendRelpFrame(std::uint32_t txnr, std::string_view command, std::string_view data,
                     std::string& out);

class RelpConnection final : public SyslogConnection {
 public:
  explicit RelpConnection(HostPort target) : target_(std::move(target)) {}
  ~RelpConnection() override { close(); }
  Status open(std::chrono::milliseconds timeout, std::stop_token stop) override;
  bool isOpen() const override { return fd_.valid(); }
  Status send(std::string_view message, std::stop_token stop) override;
  Status flushWrites(std::stop_token stop) override;
  std::uint64_t offset() const override { return offset_; }
  Result<std::uint64_t> acknowledgedOffset() override;
  std::uint64_t pauseAfterBytes() const override { return 1024 * 1024; }
  void close() override;

 private:
  struct Response {
    std::uint32_t txnr = 0;
    std::string command;
    std::string data;
  };
  std::uint32_t nextTxnr();
  // Reads what is available (or waits up to `wait` for something) and parses complete frames.
  Status readAvailable(std::chrono::milliseconds wait, std::stop_token stop);
  // Takes one complete frame from in_, if there is one. Error on a malformed frame.
  Result<bool> takeFrame(Response& frame);

  HostPort target_;
  syslog_socket::Fd fd_;
  std::uint32_t txnr_ = 0;
  std::string out_;
  std::string in_;
  std::uint64_t offset_ = 0;
  std::uint64_t acked_ = 0;
  std::deque<std::pair<std::uint32_t, std::uint64_t>> pending_;  // txnr, offset after it
};

}  // namespace o365fwd
