#include "cluster/tenant_partitioner.h"

#include <gtest/gtest.h>

#include <set>

namespace o365fwd {
namespace {

// The vectors of Kafka's own UtilsTest.testMurmur2: the Java client and we agree on every key.
TEST(TenantPartitioner, Murmur2MatchesKafkasJavaImplementation) {
  EXPECT_EQ(kafkaMurmur2("21"), -973932308);
  EXPECT_EQ(kafkaMurmur2("foobar"), -790332482);
  EXPECT_EQ(kafkaMurmur2("a-little-bit-long-string"), -985981536);
  EXPECT_EQ(kafkaMurmur2("a-little-bit-longer-string"), -1486304829);
  EXPECT_EQ(kafkaMurmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
  EXPECT_EQ(kafkaMurmur2("abc"), 479470107);
}

TEST(TenantPartitioner, PartitionIsThePositiveHashModuloPartitions) {
  // "foobar": -790332482 & 0x7fffffff = 1357151166.
  EXPECT_EQ(tenantPartition("foobar", 64), 1357151166 % 64);
  EXPECT_EQ(tenantPartition("foobar", 1), 0);
  for (int n : {1, 7, 64, 1000})
    for (const char* name : {"contoso", "fabrikam", "tenant-17", ""}) {
      int p = tenantPartition(name, n);
      EXPECT_GE(p, 0);
      EXPECT_LT(p, n);
      EXPECT_EQ(p, tenantPartition(name, n)) << "stable";
    }
}

TEST(TenantPartitioner, ThirtyTenantsSpreadOverEightPartitions) {
  std::vector<TenantConfig> tenants;
  for (int i = 0; i < 30; ++i) {
    TenantConfig t;
    t.name = "tenant" + std::to_string(i);
    tenants.push_back(t);
  }
  auto by_partition = tenantsByPartition(tenants, 8);
  std::size_t total = 0;
  for (const auto& [partition, names] : by_partition) {
    total += names.size();
    for (const std::string& n : names) EXPECT_EQ(tenantPartition(n, 8), partition);
  }
  EXPECT_EQ(total, 30u);
  EXPECT_GE(by_partition.size(), 5u) << "a usable spread";
}

}  // namespace
}  // namespace o365fwd
