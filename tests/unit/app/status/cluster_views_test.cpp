// The cluster parts of the status views (app/status/cluster_views.h, cluster_json.h): the JSON
// round trip, `o365fwd status` lines, the page section, the metrics, and readiness in cluster
// mode (joining and loading are not ready, standby is).
#include "app/status/cluster_views.h"

#include <gtest/gtest.h>

#include "app/status/metrics_text.h"
#include "app/status/status_json.h"
#include "app/status/status_page.h"
#include "app/status/status_snapshotter.h"
#include "app/status/status_table.h"
#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd::testing {
namespace {

ClusterReport sampleCluster() {
  ClusterReport c;
  c.group = "o365fwd-prod";
  c.brokers = "kafka1:9092";
  c.client_id = "o365fwd-host-a-4121";
  c.member_id = "o365fwd-host-a-4121-5f0c";
  c.role = "active";
  c.partitions_total = 8;
  c.partitions = {0, 1, 2, 5};
  c.tenants = {"contoso", "fabrikam \"eu\""};
  c.tenants_total = 2;
  c.state_store = "local";
  c.broker_state = "up";
  c.rebalances = 3;
  c.last_rebalance = *parseUtc("2026-12-06T11:58:00Z");
  c.group_state = "Stable";
  c.members_at = *parseUtc("2026-12-06T11:59:50Z");
  c.members_total = 2;
  c.members = {{"o365fwd-host-a-4121", "m-a", "/10.0.0.11", {0, 1, 2, 5}, 2},
               {"o365fwd-host-b-77", "m-b", "/10.0.0.12", {3, 4, 6, 7}, 0}};
  return c;
}

TEST(ClusterViews, JsonRoundTripKeepsEveryField) {
  StatusReport r = sampleReport();
  r.cluster = sampleCluster();
  r.cluster->last_error = ErrorInfo{*parseUtc("2026-12-06T11:57:00Z"), "topics", "run init"};
  r.cluster->unheld_partitions = {6};
  auto back = statusFromJson(statusToJson(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_TRUE(back->cluster.has_value());
  const ClusterReport& c = *back->cluster;
  EXPECT_EQ(c.group, "o365fwd-prod");
  EXPECT_EQ(c.member_id, "o365fwd-host-a-4121-5f0c");
  EXPECT_EQ(c.role, "active");
  EXPECT_EQ(c.partitions, (std::vector<int>{0, 1, 2, 5}));
  EXPECT_EQ(c.partitions_total, 8u);
  EXPECT_EQ(c.tenants, (std::vector<std::string>{"contoso", "fabrikam \"eu\""}));
  EXPECT_EQ(c.state_store, "local");
  EXPECT_EQ(c.rebalances, 3u);
  EXPECT_EQ(c.last_rebalance, r.cluster->last_rebalance);
  ASSERT_EQ(c.members.size(), 2u);
  EXPECT_EQ(c.members[1].partitions, (std::vector<int>{3, 4, 6, 7}));
  EXPECT_EQ(c.members[0].tenants, 2u);
  ASSERT_TRUE(c.last_error.has_value());
  EXPECT_EQ(c.last_error->message, "run init");
  EXPECT_EQ(c.unheld_partitions, (std::vector<int>{6}));
}

TEST(ClusterViews, SingleNodeHasNoClusterAnywhere) {
  StatusReport r = sampleReport();
  EXPECT_NE(statusToJson(r).find("\"cluster\":null"), std::string::npos);
  auto back = statusFromJson(statusToJson(r));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->cluster.has_value());
  EXPECT_EQ(clusterText(r), "");
  EXPECT_EQ(renderStatusPage(r, {}).find("id=\"cluster\""), std::string::npos);
  EXPECT_EQ(renderMetrics(r).find("o365fwd_cluster_"), std::string::npos);
}

TEST(ClusterViews, TableNamesRolePartitionsMembersAndTheLocalState) {
  StatusReport r = sampleReport();
  r.cluster = sampleCluster();
  std::string text = renderStatusTable(r, {});
  EXPECT_NE(text.find("Cluster group o365fwd-prod on kafka1:9092: holds 4 of 8 partitions (0-2,5)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("o365fwd-host-a-4121 (this instance) /10.0.0.11 partitions 0-2,5, 2 tenants"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rebalances: 3, last at 2026-12-06T11:58:00Z"), std::string::npos) << text;
  EXPECT_NE(text.find("state: local SQLite store"), std::string::npos) << text;
}

TEST(ClusterViews, ABrokerOutageIsShownWithWhatToDo) {
  StatusReport r = sampleReport();
  r.cluster = sampleCluster();
  r.cluster->broker_state = "down";
  r.cluster->last_error = ErrorInfo{*parseUtc("2026-12-06T11:59:00Z"), "_TRANSPORT",
                                    "the cluster brokers kafka1:9092 cannot be reached: check "
                                    "that they run"};
  std::string text = clusterText(r);
  EXPECT_NE(text.find("brokers: DOWN since 2026-12-06T11:59:00Z: the cluster brokers kafka1:9092 "
                      "cannot be reached: check that they run"),
            std::string::npos)
      << text;
  std::string page = renderStatusPage(r, {});
  EXPECT_NE(page.find("data-broker=\"down\""), std::string::npos);
  EXPECT_NE(page.find("cannot be reached: check that they run"), std::string::npos);
  EXPECT_NE(renderMetrics(r).find("o365fwd_cluster_broker_up 0"), std::string::npos);
}

TEST(ClusterViews, PageShowsTheMembersAndEscapes) {
  StatusReport r = sampleReport();
  r.cluster = sampleCluster();
  std::string page = renderStatusPage(r, {});
  EXPECT_NE(page.find("<div id=\"cluster\" data-role=\"active\" data-broker=\"up\">"),
            std::string::npos);
  EXPECT_NE(page.find("<tr class=\"self\"><td>o365fwd-host-a-4121</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>3-4,6-7</td>"), std::string::npos);
  EXPECT_NE(page.find("fabrikam &quot;eu&quot;"), std::string::npos);
}

TEST(ClusterViews, MetricsCarryPartitionsRebalancesAndRole) {
  StatusReport r = sampleReport();
  r.cluster = sampleCluster();
  std::string m = renderMetrics(r);
  EXPECT_NE(m.find("o365fwd_cluster_partitions_held 4\n"), std::string::npos) << m;
  EXPECT_NE(m.find("o365fwd_cluster_rebalances_total 3\n"), std::string::npos);
  EXPECT_NE(m.find("o365fwd_cluster_last_rebalance_timestamp_seconds "), std::string::npos);
  EXPECT_NE(m.find("o365fwd_cluster_role{role=\"active\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("o365fwd_cluster_role{role=\"standby\"} 0\n"), std::string::npos);
  EXPECT_NE(m.find("o365fwd_cluster_members 2\n"), std::string::npos);
  EXPECT_NE(m.find("o365fwd_cluster_broker_up 1\n"), std::string::npos);
}

TEST(ClusterViews, ReadinessWaitsForTheAssignmentAndTheStateButNotForWork) {
  StatusReport r;
  r.started_at = *parseUtc("2026-12-06T11:00:00Z");
  r.cluster = sampleCluster();
  r.cluster->role = "joining";
  auto reasons = notReadyReasons(r);
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0], "cluster: joining group o365fwd-prod, no assignment yet");
  r.cluster->role = "loading";
  EXPECT_FALSE(isReady(r));
  r.cluster->role = "standby";
  r.cluster->partitions.clear();
  EXPECT_TRUE(isReady(r));
  EXPECT_NE(clusterRoleText(*r.cluster).find("standby: holds no partition"), std::string::npos);
  r.cluster->role = "active";
  EXPECT_TRUE(isReady(r));
}

TEST(ClusterViews, ExactlyOnceTransactionsAndAFencedPartitionInEveryView) {
  StatusReport r = sampleReport();
  r.cluster = sampleCluster();
  r.cluster->state_store = "kafka";
  // Without a Kafka sink on the cluster's brokers: at-least-once, said so.
  EXPECT_NE(clusterText(r).find("delivery: at-least-once"), std::string::npos) << clusterText(r);
  EXPECT_NE(statusToJson(r).find("\"exactly_once\":null"), std::string::npos);
  EXPECT_EQ(renderMetrics(r).find("o365fwd_cluster_transactions_total"), std::string::npos);

  r.cluster->exactly_once = true;
  r.cluster->transactions_committed = 1234;
  r.cluster->transactions_aborted = 2;
  r.cluster->blobs_dropped_fenced = 3;
  r.cluster->fenced_partitions = {3, 4};
  r.cluster->fenced_error = "partition 4 was taken over by another instance: check <pauses>";
  auto back = statusFromJson(statusToJson(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  const ClusterReport& c = *back->cluster;
  EXPECT_TRUE(c.exactly_once);
  EXPECT_EQ(c.transactions_committed, 1234u);
  EXPECT_EQ(c.transactions_aborted, 2u);
  EXPECT_EQ(c.blobs_dropped_fenced, 3u);
  EXPECT_EQ(c.fenced_partitions, (std::vector<int>{3, 4}));
  EXPECT_EQ(c.fenced_error, r.cluster->fenced_error);

  std::string text = renderStatusTable(r, {});
  EXPECT_NE(text.find("delivery: exactly-once into Kafka: 1,234 transactions committed, 2 aborted, "
                      "3 blob commits dropped after a fence"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("problem: partitions 3-4 fenced: partition 4 was taken over"),
            std::string::npos)
      << text;
  std::string page = renderStatusPage(r, {});
  EXPECT_NE(page.find("<p class=\"delivery\" data-exactly-once=\"1\">"), std::string::npos);
  EXPECT_NE(page.find("<p class=\"problem fenced\">partitions 3-4 fenced: partition 4 was taken "
                      "over by another instance: check &lt;pauses&gt;</p>"),
            std::string::npos)
      << page;
  std::string m = renderMetrics(r);
  EXPECT_NE(m.find("o365fwd_cluster_transactions_total{outcome=\"committed\"} 1234\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("o365fwd_cluster_transactions_total{outcome=\"aborted\"} 2\n"),
            std::string::npos);
  EXPECT_NE(m.find("o365fwd_cluster_fenced_partitions 2\n"), std::string::npos);
  EXPECT_NE(m.find("o365fwd_cluster_fenced_blobs_dropped_total 3\n"), std::string::npos);
}

}  // namespace
}  // namespace o365fwd::testing
