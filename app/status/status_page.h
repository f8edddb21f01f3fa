#pragma once
// The collection-status page served at GET / by the health endpoint: one self-contained HTML5
// document (inline CSS and script, no external assets) with a header, one row per tenant x
// content type and one row per sink. Its script re-reads the relative URL `status` (the /status
// JSON) every 5 s and rebuilds both tables with the same markup the server rendered, using
// textContent only; when the fetch fails it shows a "connection to the forwarder lost" banner and
// keeps the last rows. Every value from the report is HTML-escaped. Pure function, any thread.
#include <string>

#include "app/status/status_report.h"

namespace o365fwd {

std::string renderStatusPage(const StatusReport& report);

}  // namespace o365fwd
