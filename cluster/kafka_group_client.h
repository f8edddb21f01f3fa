#pragma once
// The librdkafka seam of cluster mode: the only file of cluster/ that includes rdkafka.h is
// kafka_group_client.cpp. Today it implements ClusterAdmin (topic metadata and configs, topic
// creation, the group's members) on one client handle built from cluster.kafka's properties.
//
// Threads: one caller at a time (the CLI, validate, or the daemon's cluster thread); each call
// blocks up to `request_timeout`. librdkafka's log lines go to the "cluster.kafka" logger (WARN
// and above as WARN; routine connection chatter at DEBUG); property values are never logged.
#include <chrono>
#include <memory>
#include <string>

#include "cluster/cluster_admin.h"
#include "core/config/config.h"
#include "core/result.h"

namespace o365fwd {

class KafkaGroupClient final : public ClusterAdmin {
 public:
  // Builds the client (no connection yet). Errors are permanent configuration errors (a property
  // librdkafka refuses, an unreadable *_file secret).
  static Result<std::unique_ptr<KafkaGroupClient>> create(
      const ClusterKafkaConfig& config, const std::string& client_id,
      std::chrono::milliseconds request_timeout = std::chrono::seconds(10));
  ~KafkaGroupClient() override;
  KafkaGroupClient(const KafkaGroupClient&) = delete;
  KafkaGroupClient& operator=(const KafkaGroupClient&) = delete;

  Result<std::vector<TopicDescription>> describeTopics(
      const std::vector<std::string>& names) override;
  Result<bool> createTopic(const std::string& name, int partitions,
                           const std::map<std::string, std::string>& configs) override;
  Result<GroupDescription> describeGroup(const std::string& group) override;

  struct Handle;  // librdkafka's objects (kafka_group_client.cpp)

 private:
  KafkaGroupClient(std::unique_ptr<Handle> handle, std::string brokers,
                   std::chrono::milliseconds request_timeout);
  std::unique_ptr<Handle> handle_;
  std::string brokers_;
  std::chrono::milliseconds request_timeout_;
};

}  // namespace o365fwd
