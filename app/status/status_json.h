#pragma once
// The /status document: StatusReport <-> JSON. The field names are a documented contract
// (docs/STATUS.md) read by SIEM consoles, the status page's script and `o365fwd status`; add
// fields, never rename them. Pure functions, any thread.
#include <string>
#include <string_view>

#include "app/status/status_report.h"
#include "core/result.h"

namespace o365fwd {

// Pretty-printed when `pretty`; timestamps ISO 8601 UTC with milliseconds, absent ones null.
std::string statusToJson(const StatusReport& report, bool pretty = false);
// Reads a document written by statusToJson (what `o365fwd status` receives from /status).
// Unknown fields are ignored; a missing or mistyped required field is an error naming it.
Result<StatusReport> statusFromJson(std::string_view json);

}  // namespace o365fwd
