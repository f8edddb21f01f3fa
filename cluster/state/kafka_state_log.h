#pragma once
// Builds the StateLog over <group>.state with librdkafka (cluster/state/kafka_state_log.cpp, the
// seam): an idempotent producer (acks=all, explicit partitions, message.timeout.ms = write_timeout)
// and a read_committed consumer per read() that assigns partitions without joining a group. Client
// properties are cluster.kafka's (buildClusterClientProperties). No broker round trip here.
#include <chrono>
#include <memory>
#include <string>

#include "cluster/state/state_log.h"
#include "core/clock.h"
#include "core/config/config.h"
#include "core/result.h"

namespace o365fwd {

Result<std::unique_ptr<StateLog>> openKafkaStateLog(const ClusterKafkaConfig& config,
                                                    const std::string& client_id, Clock& clock,
                                                    std::chrono::milliseconds write_timeout);

}  // namespace o365fwd
