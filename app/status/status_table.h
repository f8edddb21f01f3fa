#pragma once
// `o365fwd status` for people: the StatusReport as two aligned text tables (streams, sinks) under
// a heading that says where the figures come from (a running instance, or the state database of
// a stopped one). Pure functions, any thread.
#include <chrono>
#include <string>

#include "app/status/status_report.h"

namespace o365fwd {

// "45 s", "3 min", "2 h 5 min", "3 d 4 h".
std::string humanDuration(std::chrono::seconds d);
// "1,234,567".
std::string groupedCount(std::uint64_t n);
// "active" -> "Active" (state names as people read them).
std::string capitalized(std::string s);
// State as consoles show it: Active, Starting, Error, Disabled (Lagging when active but behind).
std::string displayState(const StreamReport& stream);

std::string renderStatusTable(const StatusReport& report);

}  // namespace o365fwd
