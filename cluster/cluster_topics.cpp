#include "cluster/cluster_topics.h"

#include "cluster/cluster_options.h"

namespace o365fwd {
namespace {

bool isCompacted(const std::string& policy) {
  return policy.find("compact") != std::string::npos;
}

ClusterTopicCheck judge(const TopicDescription& d, const ClusterKafkaConfig& config,
                        bool state_topic) {
  ClusterTopicCheck c;
  c.topic = d.name;
  c.partitions = d.partitions;
  c.cleanup_policy = d.cleanup_policy;
  const std::string wanted = std::to_string(config.partitions);
  if (!d.exists) {
    c.outcome = ClusterTopicCheck::Outcome::kMissing;
    c.message = "does not exist: run `o365fwd cluster init` (it creates both topics with " +
                wanted + " partitions)";
  } else if (d.partitions != config.partitions) {
    c.outcome = ClusterTopicCheck::Outcome::kWrongPartitions;
    c.message = "has " + std::to_string(d.partitions) +
                " partitions, cluster.kafka.partitions is " + wanted +
                ": the count is fixed at creation (it decides which instance owns which tenant); "
                "set partitions: " +
                std::to_string(d.partitions) +
                ", or stop every instance, delete both topics and run `o365fwd cluster init` "
                "again (the tenants' state in Kafka is lost)";
  } else if (state_topic && !isCompacted(d.cleanup_policy)) {
    c.outcome = ClusterTopicCheck::Outcome::kNotCompacted;
    c.message = "has cleanup.policy=" + (d.cleanup_policy.empty() ? "?" : d.cleanup_policy) +
                ", so the tenants' state would expire with the retention: kafka-configs.sh "
                "--alter --entity-type topics --entity-name " +
                d.name + " --add-config cleanup.policy=compact";
  } else {
    c.outcome = ClusterTopicCheck::Outcome::kOk;
    c.message = std::to_string(d.partitions) + " partitions" +
                (state_topic ? ", cleanup.policy=" + d.cleanup_policy : std::string());
  }
  return c;
}

}  // namespace

Result<std::vector<ClusterTopicCheck>> checkClusterTopics(ClusterAdmin& admin,
                                                          const ClusterKafkaConfig& config) {
  const std::vector<std::string> names = {assignmentsTopic(config.group), stateTopic(config.group)};
  Result<std::vector<TopicDescription>> found = admin.describeTopics(names);
  if (!found.ok()) return found.error();
  std::vector<ClusterTopicCheck> out;
  for (std::size_t i = 0; i < found->size() && i < names.size(); ++i)
    out.push_back(judge((*found)[i], config, /*state_topic=*/i == 1));
  return out;
}

Result<std::vector<ClusterTopicCheck>> ensureClusterTopics(ClusterAdmin& admin,
                                                           const ClusterKafkaConfig& config) {
  Result<std::vector<ClusterTopicCheck>> checks = checkClusterTopics(admin, config);
  if (!checks.ok()) return checks.error();
  bool raced = false;
  for (std::size_t i = 0; i < checks->size(); ++i) {
    ClusterTopicCheck& c = (*checks)[i];
    if (c.outcome != ClusterTopicCheck::Outcome::kMissing) continue;
    const bool state_topic = i == 1;
    auto configs = state_topic ? stateTopicConfigs() : assignmentsTopicConfigs();
    Result<bool> made = admin.createTopic(c.topic, config.partitions, configs);
    if (!made.ok()) return made.error();
    if (!*made) {  // another instance created it meanwhile: judge what it made
      raced = true;
      continue;
    }
    // The brokers accepted exactly this; their metadata may take a moment to show it.
    c.outcome = ClusterTopicCheck::Outcome::kCreated;
    c.partitions = config.partitions;
    c.cleanup_policy = configs["cleanup.policy"];
    c.message = std::to_string(c.partitions) + " partitions" +
                (state_topic ? ", cleanup.policy=" + c.cleanup_policy : std::string());
  }
  if (!raced) return checks;
  Result<std::vector<ClusterTopicCheck>> again = checkClusterTopics(admin, config);
  if (!again.ok()) return again.error();
  for (std::size_t i = 0; i < checks->size() && i < again->size(); ++i)
    if ((*checks)[i].outcome == ClusterTopicCheck::Outcome::kMissing) (*checks)[i] = (*again)[i];
  return checks;
}

}  // namespace o365fwd
