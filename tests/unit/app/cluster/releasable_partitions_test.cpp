// releasablePartitions (app/cluster/cluster_service.h): which revoked partitions' state may be
// released while some of their tenants still run or drain on this instance.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "app/cluster/cluster_service.h"
#include "cluster/tenant_partitioner.h"

namespace o365fwd {
namespace {

constexpr int kPartitions = 8;

// A tenant name whose assignment partition is `p`.
std::string tenantOf(int p) {
  for (int i = 0;; ++i) {
    std::string name = "tenant" + std::to_string(i);
    if (tenantPartition(name, kPartitions) == p) return name;
  }
}

TEST(ReleasablePartitions, EveryRevokedPartitionWithoutTenantsHereIsReleased) {
  EXPECT_EQ(releasablePartitions({1, 4, 6}, {}, kPartitions), (std::vector<int>{1, 4, 6}));
}

TEST(ReleasablePartitions, APartitionWithATenantStillRunningOrDrainingStaysLoaded) {
  // tenantOf(4) still runs (the fleet has not applied the revocation yet), tenantOf(6) drains.
  std::vector<std::string> busy = {tenantOf(4), tenantOf(6), tenantOf(2)};
  EXPECT_EQ(releasablePartitions({1, 4, 6}, busy, kPartitions), (std::vector<int>{1}));
}

TEST(ReleasablePartitions, TenantsOfPartitionsNotRevokedChangeNothing) {
  EXPECT_EQ(releasablePartitions({3}, {tenantOf(0), tenantOf(5)}, kPartitions),
            (std::vector<int>{3}));
  EXPECT_TRUE(releasablePartitions({}, {tenantOf(3)}, kPartitions).empty());
}

}  // namespace
}  // namespace o365fwd
