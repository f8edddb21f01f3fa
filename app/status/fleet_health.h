#pragma once
// The fleet view of a StatusReport (issue 11): each stream's health class, the health headline
// (HealthSummary: OK or degraded, counts of tenants and streams per class, the oldest lag), the
// tenants grouped and ordered problems first with natural name order (tenant2 before tenant10),
// and the filter the page and `o365fwd status` share (?q= / --tenant, ?state= / --problems).
// Health is not readiness: a ready instance can be degraded (a stream in error after its first
// successful poll) and a starting one can be OK. Pure functions, any thread.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/status/status_report.h"

namespace o365fwd {

enum class StreamHealth { kHealthy, kLagging, kDisabled, kError };
// "healthy" | "lagging" | "disabled" | "error"
const char* toString(StreamHealth health);
StreamHealth streamHealth(const StreamReport& stream);

// Everything but records_per_minute (the caller's: it needs the time series).
HealthSummary summarizeHealth(const StatusReport& report);
// "OK: 5,000 streams of 1,000 tenants collecting" or
// "Degraded: 5 streams in error, 2 lagging, 1 disabled; 1 sink down; 1 credential expiring
// within 7 days or expired: renew, then `systemctl reload o365fwd`".
std::string healthHeadline(const HealthSummary& health);

// Digit runs compare as numbers: tenant2 < tenant10; otherwise byte order.
bool naturalLess(std::string_view a, std::string_view b);

struct TenantGroup {
  std::string tenant;
  StreamHealth health = StreamHealth::kHealthy;  // its worst stream's
  std::vector<const StreamReport*> streams;      // in the report's order
  std::uint64_t records = 0;                     // events_forwarded, summed
  std::optional<std::int64_t> oldest_lag_seconds;
  const StreamReport* first_problem = nullptr;  // the first stream in error, else lagging, ...
};

// Which tenants a view shows: `query` is a case-insensitive substring of the tenant name (empty:
// all); `state` is "" or "all", "problems" (error, lagging or disabled), or one StreamHealth name.
struct TenantFilter {
  std::string query;
  std::string state;
};
bool validStateFilter(std::string_view state);

// The report's tenants that pass `filter`, worst first (error, disabled, lagging, healthy), each
// class in natural name order. Points into `report`, which must outlive the result.
std::vector<TenantGroup> tenantsProblemsFirst(const StatusReport& report,
                                              const TenantFilter& filter = {});

}  // namespace o365fwd
