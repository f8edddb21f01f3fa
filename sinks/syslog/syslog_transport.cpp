#include "sinks/syslog/syslog_transport.h"

#include "core/host_port.h"
#include "sinks/syslog/relp_transport.h"
#include "sinks/syslog/tcp_transport.h"
#include "sinks/syslog/tls_transport.h"
#include "sinks/syslog/udp_transport.h"

namespace o365fwd {

Result<std::unique_ptr<SyslogConnection>> makeSyslogConnection(const SyslogSinkConfig& config) {
  std::optional<HostPort> target = parseHostPort(config.address);
  if (!target)
    return Error::permanent(ErrorKind::kConfig,
                            "Syslog address '" + config.address +
                                "' is not host:port (e.g. siem.example.com:6514, [::1]:514)");
  switch (config.transport) {
    case SyslogTransport::kTcp:
      return std::unique_ptr<SyslogConnection>(new TcpConnection(*target));
    case SyslogTransport::kUdp:
      return std::unique_ptr<SyslogConnection>(new UdpConnection(*target));
    case SyslogTransport::kTls: {
      auto tls = TlsConnection::create(config, *target);
      if (!tls.ok()) return tls.error();
      return std::unique_ptr<SyslogConnection>(std::move(tls).value());
    }
    case SyslogTransport::kRelp:
      return std::unique_ptr<SyslogConnection>(new RelpConnection(*target));
  }
  return Error::permanent(ErrorKind::kInternal, "Unknown syslog transport");
}

}  // namespace o365fwd
