#pragma once
// What cluster mode asks of Kafka's admin API, as an interface of ours: the topics' partition
// counts and cleanup policy, creating a topic, and the consumer group's members with their
// assigned partitions. KafkaGroupClient (cluster/kafka_group_client.h) implements it over
// librdkafka; unit tests use a fake. Calls block up to the implementation's request timeout and
// may be made from any one thread at a time.
//
// Errors are values: a broker that cannot be reached is a retryable kTransport Error naming the
// brokers and what to check; refused access is a permanent kPermission Error.
#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace o365fwd {

struct TopicDescription {
  std::string name;
  bool exists = false;
  int partitions = 0;
  std::string cleanup_policy;  // "delete", "compact", "compact,delete"; empty when unknown
};

struct GroupMember {
  std::string member_id;        // the coordinator's id of this membership
  std::string client_id;        // o365fwd-<host>-<pid>: which instance it is
  std::string host;             // as the broker saw the connection ("/10.0.0.5")
  std::vector<int> partitions;  // of the assignment topic, ascending
};

struct GroupDescription {
  std::string state;  // Stable, PreparingRebalance, CompletingRebalance, Empty, Dead, Unknown
  std::vector<GroupMember> members;
};

class ClusterAdmin {
 public:
  virtual ~ClusterAdmin() = default;
  // One description per name, in order; a missing topic has exists == false (not an error).
  virtual Result<std::vector<TopicDescription>> describeTopics(
      const std::vector<std::string>& names) = 0;
  // Creates `name` with `partitions` partitions, the brokers' default replication factor and
  // `configs`. Returns true when created, false when it already existed (not an error).
  virtual Result<bool> createTopic(const std::string& name, int partitions,
                                   const std::map<std::string, std::string>& configs) = 0;
  // The group's state and members; a group nobody joined yet is state Empty (or Dead) with no
  // members.
  virtual Result<GroupDescription> describeGroup(const std::string& group) = 0;
};

}  // namespace o365fwd
