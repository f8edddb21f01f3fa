// The `cluster:` block (docs/CLUSTER.md): parsed into ClusterConfig, absent = single node, and
// every problem named with its path and what to do.
#include <gtest/gtest.h>

#include "core/config/config_check.h"
#include "core/config/config_loader.h"

namespace o365fwd {
namespace {

const std::string kBase =
    "tenants:\n"
    "  - name: contoso\n"
    "    tenant_id: 11111111-2222-3333-4444-555555555555\n"
    "    client_id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
    "    client_secret_file: /etc/o365fwd/contoso.secret\n"
    "state_dir: /var/lib/o365fwd\n"
    "sinks:\n"
    "  - type: file\n"
    "    path: /var/lib/o365fwd/out/audit.ndjson\n";

LoadedConfig load(const std::string& cluster_yaml) {
  return loadConfigString(kBase + cluster_yaml, "/etc/o365fwd/connector.yaml");
}

// The issues at `path` ("" = every issue), errors and warnings.
std::string issuesAt(const LoadedConfig& c, const std::string& path = "") {
  std::string out;
  for (const ConfigIssue& i : c.issues)
    if (path.empty() || i.path == path) out += i.describe() + "\n";
  return out;
}

TEST(ConfigCluster, AbsentMeansSingleNode) {
  LoadedConfig c = load("");
  ASSERT_TRUE(c.valid()) << issuesAt(c);
  EXPECT_FALSE(c.config.cluster.enabled);
}

TEST(ConfigCluster, BlockIsParsedWithDefaultsAndResolvedFileProperties) {
  LoadedConfig c = load(
      "cluster:\n"
      "  kafka:\n"
      "    brokers: kafka1:9092,kafka2:9092\n"
      "    group: o365fwd-prod\n"
      "    properties:\n"
      "      security.protocol: SASL_SSL\n"
      "      sasl.password_file: secrets/kafka.pw\n");
  ASSERT_TRUE(c.valid()) << issuesAt(c);
  const ClusterConfig& k = c.config.cluster;
  EXPECT_TRUE(k.enabled);
  EXPECT_EQ(k.kafka.brokers, "kafka1:9092,kafka2:9092");
  EXPECT_EQ(k.kafka.group, "o365fwd-prod");
  EXPECT_EQ(k.kafka.partitions, 64);
  EXPECT_EQ(k.kafka.properties.at("security.protocol"), "SASL_SSL");
  EXPECT_EQ(k.kafka.properties.at("sasl.password_file"), "/etc/o365fwd/secrets/kafka.pw");
}

TEST(ConfigCluster, MissingKafkaBlockSaysWhatToAdd) {
  LoadedConfig c = load("cluster:\n  brokers: kafka1:9092\n");
  EXPECT_FALSE(c.valid());
  EXPECT_NE(issuesAt(c).find("add `kafka:`"), std::string::npos) << issuesAt(c);
  EXPECT_NE(issuesAt(c, "cluster.brokers").find("kafka"), std::string::npos) << issuesAt(c);
}

TEST(ConfigCluster, RequiredKeysAndRanges) {
  LoadedConfig c = load(
      "cluster:\n"
      "  kafka:\n"
      "    partitions: 0\n");
  EXPECT_FALSE(c.valid());
  EXPECT_NE(issuesAt(c, "cluster.kafka.brokers").find("is required"), std::string::npos)
      << issuesAt(c);
  EXPECT_NE(issuesAt(c, "cluster.kafka.group").find("is required"), std::string::npos)
      << issuesAt(c);
  EXPECT_NE(issuesAt(c, "cluster.kafka.partitions").find("1..10000"), std::string::npos)
      << issuesAt(c);
  EXPECT_NE(issuesAt(c, "cluster.kafka.partitions").find(":"), std::string::npos)
      << "names its line: " << issuesAt(c);
}

TEST(ConfigCluster, GroupMustNameTopicsAndBrokersHostPort) {
  LoadedConfig c = load(
      "cluster:\n"
      "  kafka:\n"
      "    brokers: kafka1\n"
      "    group: o365fwd prod/1\n");
  EXPECT_NE(issuesAt(c, "cluster.kafka.group").find("cannot name Kafka topics"), std::string::npos)
      << issuesAt(c);
  EXPECT_NE(issuesAt(c, "cluster.kafka.brokers").find("is not host:port"), std::string::npos)
      << issuesAt(c);
  LoadedConfig long_group =
      load("cluster:\n  kafka:\n    brokers: k:9092\n    group: " + std::string(238, 'g') + "\n");
  EXPECT_NE(issuesAt(long_group, "cluster.kafka.group").find("at most 237"), std::string::npos)
      << issuesAt(long_group);
}

TEST(ConfigCluster, PropertiesClusterModeOwnsAreRefusedAndInlineSecretsWarned) {
  LoadedConfig c = load(
      "cluster:\n"
      "  kafka:\n"
      "    brokers: kafka1:9092\n"
      "    group: g\n"
      "    properties:\n"
      "      group.id: other\n"
      "      isolation.level: read_uncommitted\n"
      "      sasl.password: hunter2hunter2\n"
      "      ssl.key.password_file: \"\"\n");
  EXPECT_NE(issuesAt(c, "cluster.kafka.properties.group.id").find("set cluster.kafka.group"),
            std::string::npos)
      << issuesAt(c);
  EXPECT_NE(issuesAt(c, "cluster.kafka.properties.isolation.level").find("read_committed"),
            std::string::npos)
      << issuesAt(c);
  std::string secret = issuesAt(c, "cluster.kafka.properties.sasl.password");
  EXPECT_NE(secret.find("sasl.password_file"), std::string::npos) << issuesAt(c);
  EXPECT_EQ(secret.find("hunter2"), std::string::npos) << "never the value";
  EXPECT_NE(issuesAt(c, "cluster.kafka.properties.ssl.key.password_file").find("is empty"),
            std::string::npos)
      << issuesAt(c);
  EXPECT_NE(clusterOwnedKafkaProperty("partition.assignment.strategy"), nullptr);
  EXPECT_EQ(clusterOwnedKafkaProperty("security.protocol"), nullptr);
}

// Exactly-once (layer 5) needs the Kafka sink on the cluster's brokers: one on others is a warning
// (the sink stays at-least-once), the same brokers in another order are the same cluster.
TEST(ConfigCluster, AKafkaSinkOnOtherBrokersIsWarnedAtLeastOnce) {
  auto with = [](const std::string& sink_brokers, const std::string& extra = "") {
    return loadConfigString(
        kBase +
            "  - type: kafka\n"
            "    name: siem\n"
            "    topic: o365-audit\n"
            "    brokers: " +
            sink_brokers +
            "\n"
            "cluster:\n"
            "  kafka:\n"
            "    brokers: kafka1:9092,kafka2:9092\n"
            "    group: o365fwd-prod\n" +
            extra,
        "/etc/o365fwd/connector.yaml");
  };
  LoadedConfig other = with("siem-kafka:9092");
  ASSERT_TRUE(other.valid()) << issuesAt(other);
  const std::string warned = issuesAt(other, "sinks[1].brokers");
  EXPECT_NE(warned.find("a Kafka transaction cannot span two Kafka clusters"), std::string::npos)
      << issuesAt(other);
  EXPECT_NE(warned.find("sink \"siem\" is at-least-once"), std::string::npos) << warned;
  EXPECT_FALSE(exactlyOnceSink(other.config, other.config.sinks[1]));

  LoadedConfig same = with(" kafka2:9092, kafka1:9092");
  ASSERT_TRUE(same.valid()) << issuesAt(same);
  EXPECT_EQ(issuesAt(same, "sinks[1].brokers"), "");
  EXPECT_TRUE(same.config.cluster.kafka.exactly_once);
  EXPECT_TRUE(exactlyOnceSink(same.config, same.config.sinks[1]));
  EXPECT_FALSE(exactlyOnceSink(same.config, same.config.sinks[0]));  // the file sink

  LoadedConfig off = with("siem-kafka:9092", "    exactly_once: false\n");
  ASSERT_TRUE(off.valid()) << issuesAt(off);
  EXPECT_EQ(issuesAt(off, "sinks[1].brokers"), "");
  EXPECT_FALSE(exactlyOnceSink(off.config, off.config.sinks[1]));
}

}  // namespace
}  // namespace o365fwd
