#pragma once
// Host names and addresses as they appear in the configuration: "host:port" (IPv6 in brackets),
// loopback detection (what may use plain http:// and listen without a token), DNS names.
// Pure text functions; no resolution. Thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace o365fwd {

struct HostPort {
  std::string host;  // without brackets for IPv6
  int port = 0;
};

// "host:port" or "[v6addr]:port", port 1..65535 (0 too when `allow_any_port`: a listen address
// whose port the system picks). nullopt when malformed.
std::optional<HostPort> parseHostPort(std::string_view text, bool allow_any_port = false);
// localhost, 127.0.0.0/8, ::1 (the forms that never leave the machine).
bool isLoopbackHost(std::string_view host);
// A DNS name of at least two labels ("contoso.onmicrosoft.com"), not an IPv4 address.
bool isDomainName(std::string_view text);

}  // namespace o365fwd
