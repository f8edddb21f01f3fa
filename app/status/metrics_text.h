#pragma once
// /metrics: a StatusReport in the Prometheus text exposition format 0.0.4. Names are prefixed
// `o365fwd_`, counters end in `_total`, base units (seconds, bytes); `# HELP` and `# TYPE` once
// per family; label values escaped (\ " newline). Labels are bounded sets only (tenant, content
// type, sink, API endpoint, outcome, error code) — never record ids or users. The metric set is
// documented in docs/STATUS.md. Pure function, any thread.
#include <string>

#include "app/status/status_report.h"

namespace o365fwd {

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string renderMetrics(const StatusReport& report);

}  // namespace o365fwd
