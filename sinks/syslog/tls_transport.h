#pragma once
// Syslog over TLS (RFC 5425: octet counting inside TLS), OpenSSL. The only file of the project
// that uses libssl. Verification is always on: the receiver's chain against `ca_file` (or the
// system store), and its name against `server_name` (or the host of `address`; an IP address is
// matched against the certificate's IP SANs). TLS 1.2 minimum; optional client certificate.
// close() sends close_notify (SSL_shutdown).
//
// Acknowledgement: TLS records do not map to plaintext offsets, so everything written counts as
// acknowledged only when SIOCOUTQ of the underlying socket is 0 and the connection is still
// ESTABLISHED; pauseAfterBytes() tells the writer to stop and let the queue drain every 256 KiB.
// Writer thread only.
#include <memory>
#include <string>

#include "core/host_port.h"
#include "sinks/syslog/socket_util.h"
#include "sinks/syslog/syslog_transport.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace o365fwd {

class TlsConnection final : public SyslogConnection {
 public:
  // Loads the CA and the client certificate; kConfig error when a file is unusable.
  static Result<std::unique_ptr<TlsConnection>> create(const SyslogSinkConfig& config,
                                                       HostPort target);
  ~TlsConnection() override;

  Status open(std::chrono::milliseconds timeout, std::stop_token stop) override;
  bool isOpen() const override { return ssl_ != nullptr; }
  Status send(std::string_view message, std::stop_token stop) override;
  Status flushWrites(std::stop_token stop) override;
  std::uint64_t offset() const override { return written_ + buffer_.size(); }
  Result<std::uint64_t> acknowledgedOffset() override;
  std::uint64_t pauseAfterBytes() const override { return 256 * 1024; }
  void close() override;

 private:
  TlsConnection(SSL_CTX* ctx, HostPort target, std::string server_name);
  Status writeTls(std::string_view data, std::stop_token stop);

  SSL_CTX* ctx_;
  HostPort target_;
  std::string server_name_;
  syslog_socket::Fd fd_;
  SSL* ssl_ = nullptr;
  std::string buffer_;
  std::uint64_t written_ = 0;
  std::uint64_t acked_ = 0;
};

}  // namespace o365fwd
