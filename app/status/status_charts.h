#pragma once
// Inline SVG charts of the status report's time series for the status page (issue 11): records
// forwarded per minute and the oldest lag, each one <svg> element with a polyline and an area,
// its largest value and the time span as text, no external references (the page's CSP allows
// none). Fewer than two points draw an empty frame saying the series is still being collected.
// Pure functions, any thread.
#include <string>
#include <vector>

#include "app/status/status_report.h"

namespace o365fwd {

std::string throughputChart(const std::vector<HistoryPoint>& points);
std::string lagChart(const std::vector<HistoryPoint>& points);

}  // namespace o365fwd
