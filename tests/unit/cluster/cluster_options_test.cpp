#include "cluster/cluster_options.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace o365fwd {
namespace {

using testing::TempDir;

std::map<std::string, std::string> asMap(const KafkaProperties& props) {
  std::map<std::string, std::string> out;
  for (const KafkaProperty& p : props.properties) out[p.key] = p.value.reveal();
  return out;
}

ClusterKafkaConfig base() {
  ClusterKafkaConfig c;
  c.brokers = "127.0.0.1:9092";
  c.group = "o365fwd-prod";
  return c;
}

TEST(ClusterOptions, TopicNamesAndConfigs) {
  EXPECT_EQ(assignmentsTopic("o365fwd-prod"), "o365fwd-prod.assignments");
  EXPECT_EQ(stateTopic("o365fwd-prod"), "o365fwd-prod.state");
  EXPECT_EQ(stateTopicConfigs().at("cleanup.policy"), "compact");
  EXPECT_EQ(assignmentsTopicConfigs().at("cleanup.policy"), "delete");
  EXPECT_EQ(clusterClientId("host a.example", 42), "o365fwd-host_a.example-42");
}

TEST(ClusterOptions, OursFirstThenTheUsersWithFileSecrets) {
  TempDir dir("cluster-options");
  std::string pw = dir.file("pw");
  std::ofstream(pw) << "Kafka-Cluster-Secret-1\n";
  ::chmod(pw.c_str(), 0600);
  ClusterKafkaConfig c = base();
  c.properties = {{"security.protocol", "SASL_SSL"}, {"sasl.password_file", pw}};
  Result<KafkaProperties> props = buildClusterClientProperties(c, "o365fwd-h-1");
  ASSERT_TRUE(props.ok()) << props.error().message;
  auto m = asMap(*props);
  EXPECT_EQ(m["bootstrap.servers"], "127.0.0.1:9092");
  EXPECT_EQ(m["client.id"], "o365fwd-h-1");
  EXPECT_EQ(m["allow.auto.create.topics"], "false");
  EXPECT_EQ(m["security.protocol"], "SASL_SSL");
  EXPECT_EQ(m["sasl.password"], "Kafka-Cluster-Secret-1");
  for (const KafkaProperty& p : props->properties)
    EXPECT_EQ(p.secret, p.key == "sasl.password") << p.key;
}

TEST(ClusterOptions, OwnedAndWeakeningPropertiesAreRefused) {
  ClusterKafkaConfig c = base();
  c.properties = {{"group.id", "x"}};
  Result<KafkaProperties> owned = buildClusterClientProperties(c, "id");
  ASSERT_FALSE(owned.ok());
  EXPECT_NE(
      owned.error().message.find("cluster.kafka property \"group.id\" is set by cluster mode"),
      std::string::npos)
      << owned.error().message;
  c.properties = {{"enable.ssl.certificate.verification", "false"}};
  Result<KafkaProperties> weak = buildClusterClientProperties(c, "id");
  ASSERT_FALSE(weak.ok());
  EXPECT_NE(weak.error().message.find("cannot be turned off"), std::string::npos);
  c.properties = {{"sasl.password_file", "/nonexistent/o365fwd/pw"}};
  EXPECT_FALSE(buildClusterClientProperties(c, "id").ok());
}

}  // namespace
}  // namespace o365fwd
