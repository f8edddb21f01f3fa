#include "core/host_port.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace o365fwd {

std::optional<HostPort> parseHostPort(std::string_view text, bool allow_any_port) {
  HostPort out;
  size_t colon;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    if (out.host.find(':') == std::string::npos) return std::nullopt;
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    out.host = std::string(text.substr(0, colon));
    if (out.host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs brackets
  }
  for (char ch : out.host)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_' ||
          ch == ':' || ch == '%'))
      return std::nullopt;
  std::string_view port = text.substr(colon + 1);
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      out.port < (allow_any_port ? 0 : 1) || out.port > 65535)
    return std::nullopt;
  return out;
}

bool isLoopbackHost(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  if (host.rfind("127.", 0) != 0) return false;
  int parts = 0;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = std::min(host.find('.', start), host.size());
    std::string_view part = host.substr(start, dot - start);
    // Plain decimal only: no sign, and no leading zero, which the C library reads as octal
    // (127.010.0.1 is 127.8.0.1) or refuses (127.1.1.09) — found by fuzz/host_port_fuzzer.cpp.
    bool digits =
        !part.empty() && part.size() <= 3 &&
        std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (!digits || (part.size() > 1 && part[0] == '0')) return false;
    int v = -1;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || end != part.data() + part.size() || v > 255) return false;
    ++parts;
    start = dot + 1;
  }
  return parts == 4;
}

bool isDomainName(std::string_view text) {
  if (text.empty() || text.size() > 253 || text.find('.') == std::string_view::npos) return false;
  size_t start = 0;
  std::string_view last;
  while (start <= text.size()) {
    size_t dot = std::min(text.find('.', start), text.size());
    std::string_view label = text.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char ch : label)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-') return false;
    last = label;
    start = dot + 1;
  }
  // The top-level label is never all digits (that would be an IP address).
  return !std::all_of(last.begin(), last.end(), [](char ch) { return std::isdigit(ch); });
}

}  // namespace o365fwd
