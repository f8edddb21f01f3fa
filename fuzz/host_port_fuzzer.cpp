// Fuzz target: host:port parsing and the loopback/domain tests (core/host_port.h).
// Invariants: a parsed host:port has a port in range and a non-empty host, and writing it back
// ("[v6]:port" or "host:port") parses to the same value; isLoopbackHost — which decides where
// plain http:// is allowed — never says yes to a dotted address that the C library reads outside
// 127.0.0.0/8, and says yes to every dotted-decimal 127.x.y.z the C library accepts; a domain name
// is at most 253 bytes of letters, digits, '-' and '.'.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <string>

#include "core/host_port.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool any_port = data[0] & 1;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);

  if (auto hp = o365fwd::parseHostPort(text, any_port)) {
    FUZZ_CHECK(hp->port >= (any_port ? 0 : 1) && hp->port <= 65535);
    FUZZ_CHECK(!hp->host.empty());
    const bool v6 = hp->host.find(':') != std::string::npos;
    std::string again = (v6 ? "[" + hp->host + "]" : hp->host) + ":" + std::to_string(hp->port);
    auto back = o365fwd::parseHostPort(again, any_port);
    FUZZ_CHECK(back && back->host == hp->host && back->port == hp->port);
  }

  // The host text itself (no port), as the config checker passes it.
  if (text.find('\0') == std::string::npos) {
    const bool loopback = o365fwd::isLoopbackHost(text);
    in_addr addr{};
    const bool named = text == "localhost" || text == "::1" || text == "0:0:0:0:0:0:0:1";
    if (loopback && !named) {
      // inet_aton is what getaddrinfo uses for numeric hosts (it reads 010 as octal 8).
      FUZZ_CHECK(inet_aton(text.c_str(), &addr) != 0);
      FUZZ_CHECK((ntohl(addr.s_addr) >> 24) == 127);
    }
    if (inet_pton(AF_INET, text.c_str(), &addr) == 1 && (ntohl(addr.s_addr) >> 24) == 127)
      FUZZ_CHECK(loopback);
  }

  if (o365fwd::isDomainName(text)) {
    FUZZ_CHECK(text.size() <= 253 && text.find('.') != std::string::npos);
    for (char c : text)
      FUZZ_CHECK(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.');
  }
  return 0;
}
