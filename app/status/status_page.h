#pragma once
// The collection-status page served at GET / by the health endpoint, built for fleets (issue 11):
// one self-contained HTML5 document (inline CSS, inline SVG charts and an inline script; no
// external assets) that opens with the health headline (OK / degraded, separate from readiness),
// a summary (tenants healthy / lagging / in error / disabled, records per minute, the oldest lag)
// and two charts drawn from the report's time series (records per minute, oldest lag). Below
// them one <details> per tenant, problems first and in natural name order, each expanding to its
// content types' rows; then the sinks. Only one page of tenants is rendered (PageQuery: ?page=,
// filtered by ?q= and ?state=), so the answer stays small at thousands of tenants; the filter
// links and the pager are plain relative links that work without script.
// The script re-fetches the same URL every 5 s and swaps in the new parts (DOMParser and
// importNode: no markup is built from strings); when the fetch fails it shows a "connection to
// the forwarder lost" banner and keeps what it shows. Every value from the report is
// HTML-escaped. Pure function, any thread.
#include <cstddef>
#include <string>

#include "app/status/status_report.h"

namespace o365fwd {

struct PageQuery {
  static constexpr std::size_t kTenantsPerPage = 50;
  std::string q;         // a case-insensitive part of the tenant name; empty: every tenant
  std::string state;     // "" | all | problems | error | lagging | disabled | healthy
  std::size_t page = 1;  // 1-based; past the last page shows the last
};

std::string renderStatusPage(const StatusReport& report, const PageQuery& query = {});

}  // namespace o365fwd
