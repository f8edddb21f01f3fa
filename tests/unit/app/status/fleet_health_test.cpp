// The fleet view: stream health classes, the health summary and headline, natural order and the
// problems-first tenant list with its filters.
#include "app/status/fleet_health.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace o365fwd {
namespace {

StreamReport stream(const std::string& tenant, const std::string& type, const std::string& state,
                    LagLevel lag = LagLevel::kOk, std::int64_t lag_seconds = 60) {
  StreamReport s;
  s.tenant = tenant;
  s.content_type = type;
  s.state = state;
  s.lag_level = lag;
  s.lag_seconds = lag_seconds;
  s.events_forwarded = 10;
  return s;
}

// tenant1..tenant12, two streams each; tenant7 in error, tenant3 lagging, tenant10 disabled.
StatusReport fleet() {
  StatusReport r;
  for (int i = 1; i <= 12; ++i) {
    const std::string t = "tenant" + std::to_string(i);
    r.streams.push_back(stream(t, "Audit.Exchange", "active"));
    if (i == 7)
      r.streams.push_back(stream(t, "Audit.General", "error"));
    else if (i == 3)
      r.streams.push_back(stream(t, "Audit.General", "active", LagLevel::kWarning, 30 * 3600));
    else if (i == 10)
      r.streams.push_back(stream(t, "Audit.General", "disabled", LagLevel::kCritical, 9 * 86400));
    else
      r.streams.push_back(stream(t, "Audit.General", "starting"));
  }
  SinkReport up;
  up.name = "file";
  up.state = "up";
  r.sinks.push_back(up);
  return r;
}

TEST(NaturalLess, DigitRunsCompareAsNumbers) {
  EXPECT_TRUE(naturalLess("tenant2", "tenant10"));
  EXPECT_FALSE(naturalLess("tenant10", "tenant2"));
  EXPECT_TRUE(naturalLess("tenant9", "tenant10"));
  EXPECT_TRUE(naturalLess("a", "b"));
  EXPECT_TRUE(naturalLess("tenant", "tenant1"));
  EXPECT_FALSE(naturalLess("tenant1", "tenant1"));
  EXPECT_TRUE(naturalLess("t1x2", "t1x10"));
  EXPECT_TRUE(naturalLess("t7", "t07"));  // same number: the shorter spelling first
  EXPECT_FALSE(naturalLess("t07", "t7"));
  std::vector<std::string> names{"tenant100", "tenant10", "tenant2", "tenant1", "tenant20"};
  std::sort(names.begin(), names.end(), naturalLess);
  EXPECT_EQ(names,
            (std::vector<std::string>{"tenant1", "tenant2", "tenant10", "tenant20", "tenant100"}));
}

TEST(FleetHealth, ClassifiesStreams) {
  EXPECT_EQ(streamHealth(stream("t", "c", "active")), StreamHealth::kHealthy);
  EXPECT_EQ(streamHealth(stream("t", "c", "starting")), StreamHealth::kHealthy);
  EXPECT_EQ(streamHealth(stream("t", "c", "active", LagLevel::kWarning)), StreamHealth::kLagging);
  EXPECT_EQ(streamHealth(stream("t", "c", "error")), StreamHealth::kError);
  EXPECT_EQ(streamHealth(stream("t", "c", "disabled", LagLevel::kCritical)),
            StreamHealth::kDisabled);
}

TEST(FleetHealth, SummaryCountsTenantsByTheirWorstStreamAndFindsTheOldestLag) {
  HealthSummary h = summarizeHealth(fleet());
  EXPECT_EQ(h.state, "degraded");
  EXPECT_EQ(h.streams, 24u);
  EXPECT_EQ(h.streams_error, 1u);
  EXPECT_EQ(h.streams_lagging, 1u);
  EXPECT_EQ(h.streams_disabled, 1u);
  EXPECT_EQ(h.tenants, 12u);
  EXPECT_EQ(h.tenants_error, 1u);
  EXPECT_EQ(h.tenants_lagging, 1u);
  EXPECT_EQ(h.tenants_disabled, 1u);
  EXPECT_EQ(h.tenants_healthy, 9u);
  EXPECT_EQ(h.sinks_down, 0u);
  // The disabled stream's 9 days do not count: it is not collecting by design.
  EXPECT_EQ(h.oldest_lag_seconds, 30 * 3600);
  EXPECT_EQ(h.oldest_lag_stream, "tenant3/Audit.General");
  EXPECT_EQ(healthHeadline(h), "Degraded: 1 stream in error, 1 lagging, 1 disabled");
}

TEST(FleetHealth, OkOnlyWhenEveryStreamAndSinkIs) {
  StatusReport r;
  r.streams = {stream("a", "c", "active"), stream("b", "c", "starting")};
  HealthSummary h = summarizeHealth(r);
  EXPECT_EQ(h.state, "ok");
  EXPECT_EQ(healthHeadline(h), "OK: 2 streams of 2 tenants collecting");
  SinkReport down;
  down.name = "siem";
  down.state = "down";
  r.sinks.push_back(down);
  h = summarizeHealth(r);
  EXPECT_EQ(h.state, "degraded");
  EXPECT_EQ(h.sinks_down, 1u);
  EXPECT_EQ(healthHeadline(h), "Degraded: 1 sink not up");
  r.streams.push_back(stream("c", "c", "error"));
  r.streams.push_back(stream("d", "c", "error"));
  EXPECT_EQ(healthHeadline(summarizeHealth(r)), "Degraded: 2 streams in error; 1 sink not up");
}

TEST(FleetHealth, TenantsProblemsFirstThenInNaturalOrder) {
  StatusReport r = fleet();
  std::vector<TenantGroup> groups = tenantsProblemsFirst(r);
  ASSERT_EQ(groups.size(), 12u);
  EXPECT_EQ(groups[0].tenant, "tenant7");
  EXPECT_EQ(groups[0].health, StreamHealth::kError);
  ASSERT_NE(groups[0].first_problem, nullptr);
  EXPECT_EQ(groups[0].first_problem->content_type, "Audit.General");
  EXPECT_EQ(groups[1].tenant, "tenant10");
  EXPECT_EQ(groups[2].tenant, "tenant3");
  EXPECT_EQ(groups[3].tenant, "tenant1");
  EXPECT_EQ(groups[4].tenant, "tenant2");
  EXPECT_EQ(groups[5].tenant, "tenant4");
  EXPECT_EQ(groups.back().tenant, "tenant12");
  EXPECT_EQ(groups[3].streams.size(), 2u);
  EXPECT_EQ(groups[3].records, 20u);
  EXPECT_EQ(groups[3].first_problem, nullptr);
}

TEST(FleetHealth, FiltersByNameAndState) {
  StatusReport r = fleet();
  auto names = [&](const TenantFilter& f) {
    std::vector<std::string> out;
    for (const TenantGroup& g : tenantsProblemsFirst(r, f)) out.push_back(g.tenant);
    return out;
  };
  EXPECT_EQ(names({"TENANT1", ""}),
            (std::vector<std::string>{"tenant10", "tenant1", "tenant11", "tenant12"}));
  EXPECT_EQ(names({"", "problems"}), (std::vector<std::string>{"tenant7", "tenant10", "tenant3"}));
  EXPECT_EQ(names({"", "error"}), (std::vector<std::string>{"tenant7"}));
  EXPECT_EQ(names({"", "lagging"}), (std::vector<std::string>{"tenant3"}));
  EXPECT_EQ(names({"", "disabled"}), (std::vector<std::string>{"tenant10"}));
  EXPECT_EQ(names({"", "healthy"}).size(), 9u);
  EXPECT_EQ(names({"", "all"}).size(), 12u);
  EXPECT_TRUE(names({"nobody", ""}).empty());
  EXPECT_TRUE(validStateFilter("problems"));
  EXPECT_FALSE(validStateFilter("<script>"));
}

}  // namespace
}  // namespace o365fwd
