#include "sinks/syslog/rfc3164_formatter.h"

#include <array>
#include <cstdio>
#include <ctime>

namespace o365fwd {

std::string rfc3164Timestamp(WallTime time) {
  static constexpr std::array<const char*, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs =
      std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(time));
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s %2d %02d:%02d:%02d", kMonths[tm.tm_mon % 12], tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

void appendRfc3164(const SyslogIdentity& identity, const RecordBatch& batch, std::size_t index,
                   WallTime fallback, std::string& out) {
  const RecordMeta& meta = batch.records[index];
  out.push_back('<');
  out.append(std::to_string(identity.pri));
  out.push_back('>');
  out.append(rfc3164Timestamp(meta.creation_time.value_or(fallback)));
  out.push_back(' ');
  out.append(identity.hostname);
  out.push_back(' ');
  std::string tag = headerField(identity.app_name, 32);
  for (char& c : tag) {
    if (c == ':' || c == '[' || c == ']') c = '_';
  }
  out.append(tag);
  out.append(": ");
  out.append(batch.raw(index));
}

}  // namespace o365fwd
