#pragma once
// Membership over librdkafka's consumer group (cluster/membership.h): one KafkaConsumer with
// group.id <group>, subscribed to <group>.assignments, partition.assignment.strategy
// cooperative-sticky, enable.auto.commit false (nothing is consumed: the partitions are only
// units of ownership), max.poll.interval.ms = drain_timeout + 60 s. kafka_membership.cpp is
// cluster/'s second file that includes rdkafka.h (with kafka_group_client.cpp).
//
// Owns the consumer handle and one poll thread (std::jthread with a stop token); the rebalance
// callback runs there and calls the RebalanceListener, then completes the incremental
// (un)assignment. state() from any thread. Property values are never logged.
#include <chrono>
#include <memory>
#include <string>

#include "cluster/membership.h"
#include "core/clock.h"
#include "core/config/config.h"
#include "core/result.h"

namespace o365fwd {

struct MembershipOptions {
  std::string client_id;  // o365fwd-<host>-<pid>
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(60)};
};

// Builds the consumer (no connection yet). Errors are permanent configuration errors.
Result<std::unique_ptr<Membership>> createKafkaMembership(const ClusterKafkaConfig& config,
                                                          const MembershipOptions& options,
                                                          RebalanceListener& listener,
                                                          Clock& clock);

// max.poll.interval.ms for a drain_timeout: drain_timeout + 60 s (the revocation callback drains
// and commits before it returns).
std::chrono::milliseconds maxPollInterval(std::chrono::milliseconds drain_timeout);

}  // namespace o365fwd
