#pragma once
// What `o365fwd cluster status` prints: the group's topics, its members with their partitions and
// tenants, and the tenants no member holds. renderClusterOverview() is a pure function (any
// thread); its text passes through redactSecrets() where it leaves the process.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_admin.h"
#include "cluster/cluster_topics.h"
#include "cluster/partition_ranges.h"

namespace o365fwd {

struct ClusterOverview {
  std::string group;
  std::string brokers;
  int partitions = 0;
  std::vector<ClusterTopicCheck> topics;
  std::optional<GroupDescription> members;  // nullopt: the group could not be described
  std::string members_error;                // why not
  std::map<int, std::vector<std::string>> tenants_by_partition;  // of this configuration
};

std::string renderClusterOverview(const ClusterOverview& overview);
// True when the topics are right and the group could be described.
bool clusterOverviewOk(const ClusterOverview& overview);

}  // namespace o365fwd
