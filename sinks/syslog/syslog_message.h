#pragma once
// What every syslog message of one sink shares (PRI, host, app, procid, SD-ID), built once from
// the configuration, and the field sanitising rules of RFC 5424 §6. Pure; thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/config/config.h"

namespace o365fwd {

// RFC 5424 §6: header fields are printable US-ASCII (33..126) with a maximum length.
inline constexpr std::size_t kMaxHostname = 255;
inline constexpr std::size_t kMaxAppName = 48;
inline constexpr std::size_t kMaxProcId = 128;
inline constexpr std::size_t kMaxMsgId = 32;
inline constexpr std::size_t kMaxSdName = 32;

struct SyslogIdentity {
  int pri = 13 * 8 + 6;        // facility * 8 + severity
  std::string hostname = "-";  // sanitised, "-" when unknown
  std::string app_name = "o365fwd";
  std::string procid = "-";
  std::string sd_id = "o365@32473";
};

// Keeps the bytes 33..126 of `text` (every other byte becomes '_'), cut to `max` bytes; "-" (the
// NILVALUE) when the result would be empty.
std::string headerField(std::string_view text, std::size_t max);
// An SD-NAME (RFC 5424 §6.3.2): like headerField, and '=', ']', '"' also become '_'.
std::string sdName(std::string_view text);

// facility 0..23 and severity 0..7 are checked by the config loader; here they are clamped.
// `hostname` empty: gethostname(); `procid`: the text to put in PROCID ("" → "-").
SyslogIdentity makeSyslogIdentity(const SyslogSinkConfig& config, std::string_view procid);

}  // namespace o365fwd
