#include "cluster/cluster_options.h"

#include "core/config/config_check.h"

namespace o365fwd {

std::string assignmentsTopic(const std::string& group) {
  return group + ".assignments";
}

std::string stateTopic(const std::string& group) {
  return group + ".state";
}

std::map<std::string, std::string> assignmentsTopicConfigs() {
  // Nothing is written to it: the group subscribes to it only for its partitions.
  return {{"cleanup.policy", "delete"}};
}

std::map<std::string, std::string> stateTopicConfigs() {
  // Latest record per key kept forever; tombstones (expired blobs, removed tenants) dropped after
  // a day, long enough for every reader that started before them to see them.
  return {{"cleanup.policy", "compact"}, {"delete.retention.ms", "86400000"}};
}

std::string clusterClientId(const std::string& host, long pid) {
  std::string id = "o365fwd-";
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    id.push_back(ok ? c : '_');
  }
  return id + "-" + std::to_string(pid);
}

Result<KafkaProperties> buildClusterClientProperties(const ClusterKafkaConfig& config,
                                                     const std::string& client_id) {
  if (config.brokers.empty())
    return Error::permanent(ErrorKind::kConfig,
                            "cluster.kafka has no `brokers`; set host:port[,host:port...]");
  KafkaProperties out;
  auto add = [&out](std::string key, std::string value) {
    out.properties.push_back(KafkaProperty{std::move(key), Secret(std::move(value)), false});
  };
  add("bootstrap.servers", config.brokers);
  add("client.id", client_id);
  add("allow.auto.create.topics", "false");
  add("log.connection.close", "false");
  auto owned = [](std::string_view key) -> std::optional<std::string> {
    if (const char* remedy = clusterOwnedKafkaProperty(key))
      return std::string("is set by cluster mode; ") + remedy;
    return std::nullopt;
  };
  if (Status user = appendUserKafkaProperties(config.properties, "cluster.kafka", owned, out);
      !user.ok())
    return user.error();
  return out;
}

}  // namespace o365fwd
