#include "sinks/syslog/syslog_message.h"

#include <unistd.h>

#include <algorithm>
#include <climits>

namespace o365fwd {

std::string headerField(std::string_view text, std::size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max));
  for (char c : text) {
    if (out.size() == max) break;
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u >= 33 && u <= 126 ? c : '_');
  }
  if (out.empty()) out = "-";
  return out;
}

std::string sdName(std::string_view text) {
  std::string out = headerField(text, kMaxSdName);
  for (char& c : out) {
    if (c == '=' || c == ']' || c == '"') c = '_';
  }
  return out;
}

SyslogIdentity makeSyslogIdentity(const SyslogSinkConfig& config, std::string_view procid) {
  SyslogIdentity id;
  int facility = std::clamp(config.facility, 0, 23);
  int severity = std::clamp(config.severity, 0, 7);
  id.pri = facility * 8 + severity;
  std::string host = config.hostname;
  if (host.empty()) {
    char buf[HOST_NAME_MAX + 1] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0) host = buf;
  }
  id.hostname = headerField(host, kMaxHostname);
  id.app_name = headerField(config.app_name, kMaxAppName);
  id.procid = headerField(procid, kMaxProcId);
  id.sd_id = sdName(config.sd_id);
  return id;
}

}  // namespace o365fwd
