#include "cluster/cluster_topics.h"

#include <gtest/gtest.h>

#include <map>

#include "cluster/cluster_overview.h"

namespace o365fwd {
namespace {

// Topics in memory; counts requests.
class FakeClusterAdmin : public ClusterAdmin {
 public:
  std::map<std::string, TopicDescription> topics;
  int creates = 0;
  std::optional<Error> fail_describe;
  bool hidden_creator = false;  // another instance creates the topic (with 8 partitions) first

  Result<std::vector<TopicDescription>> describeTopics(
      const std::vector<std::string>& names) override {
    if (fail_describe) return *fail_describe;
    std::vector<TopicDescription> out;
    for (const std::string& n : names) {
      auto it = topics.find(n);
      out.push_back(it != topics.end() ? it->second : TopicDescription{n, false, 0, ""});
    }
    return out;
  }
  Result<bool> createTopic(const std::string& name, int partitions,
                           const std::map<std::string, std::string>& configs) override {
    ++creates;
    if (hidden_creator) {
      topics[name] = TopicDescription{name, true, 8, configs.at("cleanup.policy")};
      return false;
    }
    if (topics.count(name)) return false;
    topics[name] = TopicDescription{name, true, partitions, configs.at("cleanup.policy")};
    return true;
  }
  Result<GroupDescription> describeGroup(const std::string&) override { return GroupDescription{}; }
};

ClusterKafkaConfig config(int partitions = 16) {
  ClusterKafkaConfig c;
  c.brokers = "k:9092";
  c.group = "g";
  c.partitions = partitions;
  return c;
}

TEST(ClusterTopics, InitCreatesBothThenFindsThemOnTheNextRun) {
  FakeClusterAdmin admin;
  auto first = ensureClusterTopics(admin, config());
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].topic, "g.assignments");
  EXPECT_EQ((*first)[0].outcome, ClusterTopicCheck::Outcome::kCreated);
  EXPECT_EQ((*first)[1].outcome, ClusterTopicCheck::Outcome::kCreated);
  EXPECT_EQ(admin.topics["g.state"].cleanup_policy, "compact");
  EXPECT_EQ(admin.topics["g.state"].partitions, 16);
  auto second = ensureClusterTopics(admin, config());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(admin.creates, 2) << "idempotent: nothing created twice";
  for (const ClusterTopicCheck& t : *second) {
    EXPECT_EQ(t.outcome, ClusterTopicCheck::Outcome::kOk) << t.message;
    EXPECT_TRUE(t.ok());
  }
}

TEST(ClusterTopics, WrongPartitionCountIsNeverAlteredAndSaysWhatToDo) {
  FakeClusterAdmin admin;
  ASSERT_TRUE(ensureClusterTopics(admin, config(8)).ok());
  auto checks = ensureClusterTopics(admin, config(64));
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ(admin.topics["g.assignments"].partitions, 8);
  const ClusterTopicCheck& t = (*checks)[0];
  EXPECT_EQ(t.outcome, ClusterTopicCheck::Outcome::kWrongPartitions);
  EXPECT_FALSE(t.ok());
  EXPECT_NE(t.message.find("has 8 partitions"), std::string::npos) << t.message;
  EXPECT_NE(t.message.find("set partitions: 8"), std::string::npos) << t.message;
}

TEST(ClusterTopics, StateTopicMustBeCompacted) {
  FakeClusterAdmin admin;
  admin.topics["g.assignments"] = TopicDescription{"g.assignments", true, 16, "delete"};
  admin.topics["g.state"] = TopicDescription{"g.state", true, 16, "delete"};
  auto checks = checkClusterTopics(admin, config());
  ASSERT_TRUE(checks.ok());
  EXPECT_TRUE((*checks)[0].ok()) << "the assignment topic's policy does not matter";
  EXPECT_EQ((*checks)[1].outcome, ClusterTopicCheck::Outcome::kNotCompacted);
  EXPECT_NE((*checks)[1].message.find("--add-config cleanup.policy=compact"), std::string::npos);
}

TEST(ClusterTopics, MissingTopicsPointToInitAndUnreachableBrokersAreAnError) {
  FakeClusterAdmin admin;
  auto checks = checkClusterTopics(admin, config());
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ((*checks)[1].outcome, ClusterTopicCheck::Outcome::kMissing);
  EXPECT_NE((*checks)[1].message.find("o365fwd cluster init"), std::string::npos);
  admin.fail_describe = Error::retryableError(ErrorKind::kTransport, "brokers down");
  EXPECT_FALSE(checkClusterTopics(admin, config()).ok());
  EXPECT_FALSE(ensureClusterTopics(admin, config()).ok());
}

TEST(ClusterTopics, TopicCreatedMeanwhileByAnotherInstanceIsJudgedAsFound) {
  FakeClusterAdmin admin;
  admin.hidden_creator = true;
  auto checks = ensureClusterTopics(admin, config(16));
  ASSERT_TRUE(checks.ok());
  EXPECT_EQ((*checks)[0].outcome, ClusterTopicCheck::Outcome::kWrongPartitions)
      << (*checks)[0].message;
}

TEST(ClusterOverview, PartitionRanges) {
  EXPECT_EQ(partitionRanges({}), "-");
  EXPECT_EQ(partitionRanges({3}), "3");
  EXPECT_EQ(partitionRanges({0, 1, 2, 3, 7, 9, 10}), "0-3,7,9-10");
}

TEST(ClusterOverview, MembersWithTheirTenantsAndWhatNobodyHolds) {
  ClusterOverview o;
  o.group = "g";
  o.brokers = "k:9092";
  o.partitions = 4;
  o.topics = {ClusterTopicCheck{"g.assignments", ClusterTopicCheck::Outcome::kOk, 4, "delete",
                                "4 partitions"}};
  o.tenants_by_partition = {{0, {"contoso"}}, {1, {"fabrikam", "tailspin"}}, {3, {"litware"}}};
  o.members = GroupDescription{"Stable",
                               {GroupMember{"m1", "o365fwd-a-1", "/10.0.0.1", {0, 1}},
                                GroupMember{"m2", "o365fwd-b-2", "/10.0.0.2", {2}}}};
  std::string text = renderClusterOverview(o);
  EXPECT_NE(text.find("Members: 2 (group Stable)"), std::string::npos) << text;
  EXPECT_NE(text.find("o365fwd-a-1"), std::string::npos) << text;
  EXPECT_NE(text.find("0-1"), std::string::npos) << text;
  EXPECT_NE(text.find("3: contoso, fabrikam, tailspin"), std::string::npos) << text;
  EXPECT_NE(text.find("Not held by any member: partitions 3 with 1 tenant (litware)"),
            std::string::npos)
      << text;
  EXPECT_TRUE(clusterOverviewOk(o));
  o.members.reset();
  o.members_error = "brokers down";
  EXPECT_FALSE(clusterOverviewOk(o));
  EXPECT_NE(renderClusterOverview(o).find("Members: unknown (brokers down)"), std::string::npos);
  o.members = GroupDescription{"Empty", {}};
  EXPECT_NE(renderClusterOverview(o).find("start `o365fwd run`"), std::string::npos);
}

}  // namespace
}  // namespace o365fwd
