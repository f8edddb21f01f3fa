#pragma once
// Creating and checking cluster mode's two topics (`o365fwd cluster init`, `cluster status`,
// `validate`): <group>.assignments with `partitions` partitions and <group>.state with
// `partitions` partitions and cleanup.policy=compact. Pure logic over a ClusterAdmin; one caller
// thread at a time.
//
// Promises: ensureClusterTopics() is idempotent (creates only what is missing; an existing topic
// is never altered), reports every mismatch with what to do, and re-reads what it created, so a
// topic created meanwhile by another instance with other settings is still reported.
#include <string>
#include <vector>

#include "cluster/cluster_admin.h"
#include "core/config/config.h"
#include "core/result.h"

namespace o365fwd {

struct ClusterTopicCheck {
  enum class Outcome { kOk, kCreated, kMissing, kWrongPartitions, kNotCompacted };
  std::string topic;
  Outcome outcome = Outcome::kMissing;
  int partitions = 0;          // as found (0 when missing)
  std::string cleanup_policy;  // as found
  std::string message;         // one line: what was found, and for a problem what to do

  bool ok() const { return outcome == Outcome::kOk || outcome == Outcome::kCreated; }
};

// Describes both topics. An Error only when the brokers could not be asked.
Result<std::vector<ClusterTopicCheck>> checkClusterTopics(ClusterAdmin& admin,
                                                          const ClusterKafkaConfig& config);
// Creates the missing topics, then describes both again.
Result<std::vector<ClusterTopicCheck>> ensureClusterTopics(ClusterAdmin& admin,
                                                           const ClusterKafkaConfig& config);

}  // namespace o365fwd
