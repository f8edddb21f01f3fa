#pragma once
// Which assignment partition a tenant belongs to in cluster mode (docs/CLUSTER.md "Tenants and
// partitions"): Kafka's default partitioner over the tenant's name, so the mapping is stable across
// versions, hosts and languages (the Java client computes the same partition for the same key).
// Pure functions, callable from any thread.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"

namespace o365fwd {

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2): seed 0x9747b28c, m 0x5bd1e995.
std::int32_t kafkaMurmur2(std::string_view data);

// (murmur2(name) & 0x7fffffff) mod partitions: Kafka's default partitioner for key `name`.
// `partitions` must be at least 1.
int tenantPartition(std::string_view tenant_name, int partitions);

// The configured tenants' names per partition (partitions without tenants are absent), each list
// in configuration order.
std::map<int, std::vector<std::string>> tenantsByPartition(const std::vector<TenantConfig>& tenants,
                                                           int partitions);

}  // namespace o365fwd
