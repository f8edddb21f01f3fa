#pragma once
// RFC 5424 message text for one audit record (no framing, no trailing newline):
//
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID tenant=".." contentType=".."
//   recordType=".." operation=".." id=".." contentId=".."] MSG
//
// TIMESTAMP: the record's CreationTime in UTC, RFC 3339 with 'Z', with six fractional digits only
// when the time has a fraction; "-" when the record has none. MSGID: the content type (header
// rules: printable ASCII, at most 32 bytes). SD parameters with an empty value are left out;
// values are UTF-8 kept byte for byte, with '"', '\' and ']' escaped by a backslash
// (RFC 5424 §6.3.3). MSG: the record's raw JSON, no BOM. Pure; thread-safe.
#include <cstddef>
#include <string>
#include <string_view>

#include "pipeline/parse/record_batch.h"
#include "sinks/syslog/syslog_message.h"

namespace o365fwd {

// Appends the message of batch.records[index] to `out`.
void appendRfc5424(const SyslogIdentity& identity, const RecordBatch& batch, std::size_t index,
                   std::string& out);
// Appends `value` with the three PARAM-VALUE escapes.
void appendSdValue(std::string_view value, std::string& out);
// "2025-01-14T09:45:12Z" or "2025-01-14T09:45:12.123456Z".
std::string rfc5424Timestamp(WallTime time);

}  // namespace o365fwd
