#pragma once
// The cluster parts of the status views (docs/STATUS.md "Cluster"), from StatusReport::cluster:
// the lines of `o365fwd status` and the page's "Cluster" section (id="cluster"). This instance's
// role, partitions and tenants, the broker connection (an outage with what to do), rebalances,
// and the group's members as last described (at most kClusterMemberRows on the page). Pure
// functions, any thread; the caller redacts (the views' render functions do). "" on a single node.
#include <string>
#include <vector>

#include "app/status/status_report.h"

namespace o365fwd {

inline constexpr std::size_t kClusterMemberRows = 50;

std::string clusterText(const StatusReport& report);
std::string clusterPageSection(const StatusReport& report);
// What a role means for the operator: "holds 3 of 8 partitions", "standby: ...".
std::string clusterRoleText(const ClusterReport& cluster);

}  // namespace o365fwd
