#pragma once
// /metrics: a StatusReport in the Prometheus text exposition format 0.0.4. Names are prefixed
// `o365fwd_`, counters end in `_total`, base units (seconds, bytes); `# HELP` and `# TYPE` once
// per family; label values escaped (\ " newline). Labels are bounded sets only (tenant, content
// type, sink, API endpoint, outcome, error code) — never record ids or users. The metric set is
// documented in docs/STATUS.md. `detail` bounds the series per stream: at `stream` (the default)
// four per stream (state when not active, lag, records forwarded, last success) and the other
// stream figures per content type; `tenant` reports them all per tenant; `total` per content
// type or as one sum (docs/STATUS.md "Metrics detail"). Pure function, any thread.
#include <string>

#include "app/status/status_report.h"
#include "core/config/config.h"

namespace o365fwd {

inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string renderMetrics(const StatusReport& report,
                          MetricsDetail detail = MetricsDetail::kStream);

}  // namespace o365fwd
