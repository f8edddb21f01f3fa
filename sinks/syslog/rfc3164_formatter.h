#pragma once
// RFC 3164 (BSD syslog) message text for one audit record, for legacy receivers:
//
//   <PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG
//
// The timestamp is the record's CreationTime in UTC (RFC 3164 has no zone or year; the day is
// space-padded: "Jan  4"), or `fallback` (the forwarding time) when the record has none. TAG is
// the app name cut to 32 bytes of printable ASCII other than ':' '[' ']'. MSG is the raw JSON;
// there is no structured data, the ids are in the JSON. Pure; thread-safe.
#include <cstddef>
#include <string>

#include "core/clock.h"
#include "pipeline/parse/record_batch.h"
#include "sinks/syslog/syslog_message.h"

namespace o365fwd {

void appendRfc3164(const SyslogIdentity& identity, const RecordBatch& batch, std::size_t index,
                   WallTime fallback, std::string& out);
// "Jan 14 09:45:12", "Feb  3 00:00:01".
std::string rfc3164Timestamp(WallTime time);

}  // namespace o365fwd
