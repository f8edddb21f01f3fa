// Cluster mode, layer 1 (docs/CLUSTER.md): `o365fwd cluster init` creates <group>.assignments and
// <group>.state (compacted) on a real KRaft broker, idempotently; `cluster status` and `validate`
// report missing or mismatched topics with what to do, and an unreachable broker within the
// request timeout.
#include <gtest/gtest.h>

#include "tests/support/forwarder_harness.h"
#include "tests/support/kafka_broker.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

std::string clusterYaml(const std::string& brokers, int partitions) {
  return "  kafka:\n    brokers: " + brokers +
         "\n    group: it-cluster\n    partitions: " + std::to_string(partitions) + "\n";
}

std::string outputOf(const RunOutcome& r) {
  return r.stdout_text + r.stderr_text;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ClusterAdmin, InitCreatesTheTopicsOnceAndStatusAndValidateCheckThem) {
  if (KafkaBroker::jarDir().empty()) GTEST_SKIP() << KafkaBroker::kNotInstalled;
  TempDir dir;
  auto broker = KafkaBroker::start(dir);
  ASSERT_TRUE(broker);
  auto sim = SimProcess::start({"--tenants", "12", "--blobs", "1"}, dir);
  ASSERT_TRUE(sim);
  ForwarderOptions options;
  options.cluster_yaml = clusterYaml(broker->bootstrap(), 6);
  ForwarderHarness fwd(*sim, dir, options);

  RunOutcome before = fwd.runCommand({"cluster", "status"}, 60s);
  EXPECT_EQ(before.exit_code, 1) << outputOf(before);
  EXPECT_EQ(count(outputOf(before), "does not exist: run `o365fwd cluster init`"), 2u)
      << outputOf(before);
  RunOutcome invalid_before = fwd.runCommand({"validate"}, 120s);
  EXPECT_EQ(invalid_before.exit_code, 1) << outputOf(invalid_before);
  EXPECT_NE(outputOf(invalid_before).find("run `o365fwd cluster init` once"), std::string::npos)
      << outputOf(invalid_before);

  RunOutcome init = fwd.runCommand({"cluster", "init"}, 60s);
  ASSERT_EQ(init.exit_code, 0) << outputOf(init);
  EXPECT_NE(init.stdout_text.find("created it-cluster.assignments: 6 partitions"),
            std::string::npos)
      << init.stdout_text;
  EXPECT_NE(init.stdout_text.find("created it-cluster.state: 6 partitions, cleanup.policy=compact"),
            std::string::npos)
      << init.stdout_text;

  RunOutcome again = fwd.runCommand({"cluster", "init"}, 60s);
  ASSERT_EQ(again.exit_code, 0) << outputOf(again);
  EXPECT_EQ(count(again.stdout_text, "created"), 0u) << again.stdout_text;
  EXPECT_EQ(count(again.stdout_text, "exists  "), 2u) << again.stdout_text;
  // The broker's own view: the state topic is compacted (read back through DescribeConfigs).
  EXPECT_NE(again.stdout_text.find("it-cluster.state: 6 partitions, cleanup.policy=compact"),
            std::string::npos)
      << again.stdout_text;

  RunOutcome status = fwd.runCommand({"cluster", "status"}, 60s);
  EXPECT_EQ(status.exit_code, 0) << outputOf(status);
  EXPECT_NE(status.stdout_text.find("6 partitions, 12 tenants in this configuration"),
            std::string::npos)
      << status.stdout_text;
  EXPECT_NE(status.stdout_text.find("Members: none"), std::string::npos) << status.stdout_text;

  RunOutcome valid = fwd.runCommand({"validate", "--verbose"}, 120s);
  EXPECT_EQ(valid.exit_code, 0) << outputOf(valid);
  EXPECT_NE(valid.stdout_text.find("it-cluster.state 6 partitions, cleanup.policy=compact"),
            std::string::npos)
      << valid.stdout_text;
}

TEST(ClusterAdmin, MismatchedPartitionsAndAnUnreachableBrokerSayWhatToDo) {
  if (KafkaBroker::jarDir().empty()) GTEST_SKIP() << KafkaBroker::kNotInstalled;
  TempDir dir;
  auto broker = KafkaBroker::start(dir);
  ASSERT_TRUE(broker);
  ASSERT_TRUE(broker->createTopic("it-cluster.assignments", 3).ok());
  ASSERT_TRUE(broker->createTopic("it-cluster.state", 4).ok());  // not compacted either
  auto sim = SimProcess::start({"--tenants", "2", "--blobs", "1"}, dir);
  ASSERT_TRUE(sim);
  ForwarderOptions options;
  options.cluster_yaml = clusterYaml(broker->bootstrap(), 4);
  ForwarderHarness fwd(*sim, dir, options);
  RunOutcome init = fwd.runCommand({"cluster", "init"}, 60s);
  EXPECT_EQ(init.exit_code, 1) << outputOf(init);
  EXPECT_NE(init.stdout_text.find("has 3 partitions, cluster.kafka.partitions is 4"),
            std::string::npos)
      << init.stdout_text;
  EXPECT_NE(init.stdout_text.find("--add-config cleanup.policy=compact"), std::string::npos)
      << init.stdout_text;
  EXPECT_NE(init.stdout_text.find("Not ready"), std::string::npos) << init.stdout_text;

  TempDir other;
  ForwarderOptions unreachable;
  unreachable.cluster_yaml = clusterYaml("127.0.0.1:1", 4);
  ForwarderHarness down(*sim, other, unreachable);
  RunOutcome status = down.runCommand({"cluster", "status"}, 60s);
  EXPECT_EQ(status.exit_code, 1) << outputOf(status);
  EXPECT_NE(status.stderr_text.find("did not answer"), std::string::npos) << outputOf(status);
  EXPECT_NE(status.stderr_text.find("check cluster.kafka.brokers"), std::string::npos)
      << outputOf(status);

  // A configuration without `cluster:` is a usage problem of this command.
  TempDir single;
  ForwarderHarness plain(*sim, single, ForwarderOptions{});
  RunOutcome no_cluster = plain.runCommand({"cluster", "init"}, 30s);
  EXPECT_EQ(no_cluster.exit_code, 2) << outputOf(no_cluster);
  EXPECT_NE(no_cluster.stderr_text.find("has no `cluster:` block"), std::string::npos);
}

}  // namespace
}  // namespace o365fwd::testing
