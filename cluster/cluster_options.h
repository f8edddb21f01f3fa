#pragma once
// cluster.kafka → the names and librdkafka properties cluster mode uses, without librdkafka: pure
// functions, callable from any thread, unit-testable without a broker.
//
// Promises:
// - Topic names are <group>.assignments (membership: the group subscribes to it, its N
//   partitions are what the coordinator assigns) and <group>.state (compacted, also N partitions:
//   the state of the tenants of assignment partition p lives in state partition p).
// - User `properties` follow the Kafka sink's rules (sinks/kafka/kafka_options.h): `<key>_file`
//   secrets, inline secrets warned about, nothing that weakens acks or TLS verification; keys
//   cluster mode sets itself (group.id, isolation.level, ...) are refused with what to do instead.
#include <map>
#include <string>

#include "core/config/config.h"
#include "core/result.h"
#include "sinks/kafka/kafka_options.h"

namespace o365fwd {

std::string assignmentsTopic(const std::string& group);
std::string stateTopic(const std::string& group);
// Topic-level configs each topic is created with.
std::map<std::string, std::string> assignmentsTopicConfigs();
std::map<std::string, std::string> stateTopicConfigs();

// "o365fwd-<host>-<pid>": the client.id each instance's Kafka clients carry, so the group's member
// list says which host holds which partitions.
std::string clusterClientId(const std::string& host, long pid);

// The properties of an admin or group client: bootstrap.servers, client.id, then the user's.
Result<KafkaProperties> buildClusterClientProperties(const ClusterKafkaConfig& config,
                                                     const std::string& client_id);

}  // namespace o365fwd
