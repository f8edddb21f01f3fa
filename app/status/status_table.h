#pragma once
// `o365fwd status` for people: the health headline and summary first (issue 11), then the StatusReport
// as aligned text tables (streams, sinks) under a line that says where the figures come from (a
// running instance, or the state database of a stopped one). Streams are listed problems first,
// tenants in natural order. Past kShortListStreams streams the default lists only the streams in
// error, lagging or disabled and says how to see the rest (--all, --tenant). Pure functions, any
// thread.
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

struct StatusTableOptions {
  // Up to this many streams the default lists them all; past it, only the problems.
  static constexpr std::size_t kShortListStreams = 50;
  bool all = false;       // --all: every stream, whatever the count
  bool problems = false;  // --problems: only streams in error, lagging or disabled
  std::string tenant;     // --tenant NAME: only this tenant's streams (exact name)
};

std::string renderStatusTable(const StatusReport& report, const StatusTableOptions& options = {});

}  // namespace o365fwd
