#pragma once
// Microsoft 365 service health in the status report: attaches the monitor's per-tenant reports
// and marks each stream with the open issues whose service affects its content type, and the
// helpers the views share to show an issue next to its stream. Pure functions; any thread.
#include <string>
#include <vector>

#include "app/status/status_report.h"

namespace o365fwd {

// Sets report.service_health (sorted by tenant) and every stream's service_issues.
void attachServiceHealth(StatusReport& report, std::vector<ServiceHealthReport> service_health);

// The tenant's service health entry, or nullptr.
const ServiceHealthReport* serviceHealthOf(const StatusReport& report, const std::string& tenant);

// The open issues listed in `stream.service_issues`, as found in the tenant's entry.
std::vector<const ServiceIssueReport*> issuesOfStream(const StatusReport& report,
                                                      const StreamReport& stream);

// One open issue over the fleet: Microsoft reports the same issue to every tenant it affects.
struct FleetIssue {
  const ServiceIssueReport* issue = nullptr;  // as the first tenant listing it has it
  std::size_t tenants = 0;                    // tenants listing it open
};
// The distinct open issues (by id) of every tenant's entry: incidents first, then by tenants.
std::vector<FleetIssue> fleetIssues(const StatusReport& report);

// "incident EX123456 (Exchange Online, serviceDegradation): Title" — one line, for text views.
std::string describeIssue(const ServiceIssueReport& issue);

// `o365fwd status` lines: each shown stream's open issues ("  contoso/Audit.Exchange: Microsoft
// incident EX1 (Exchange Online, serviceDegradation): Title"), then the tenants (of `tenant`, or
// all when empty) whose service health cannot be read, with the remedy. When no shown stream has
// one (the fleet view hides healthy streams), the fleet's distinct open issues with their tenant
// counts (at most 10). Empty when none.
std::string serviceHealthLines(const StatusReport& report,
                               const std::vector<const StreamReport*>& shown,
                               const std::string& tenant);

}  // namespace o365fwd
