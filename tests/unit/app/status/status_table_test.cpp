#include "app/status/status_table.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "app/status/fleet_health.h"
#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd {
namespace {

using std::chrono::seconds;

TEST(HumanDuration, PicksTheTwoLargestUnits) {
  EXPECT_EQ(humanDuration(seconds(0)), "0 s");
  EXPECT_EQ(humanDuration(seconds(59)), "59 s");
  EXPECT_EQ(humanDuration(seconds(60)), "1 min");
  EXPECT_EQ(humanDuration(seconds(3599)), "59 min");
  EXPECT_EQ(humanDuration(seconds(3600)), "1 h");
  EXPECT_EQ(humanDuration(seconds(7500)), "2 h 5 min");
  EXPECT_EQ(humanDuration(seconds(3 * 86400 + 4 * 3600 + 59)), "3 d 4 h");
  EXPECT_EQ(humanDuration(seconds(-5)), "0 s");
}

TEST(GroupedCount, SeparatesThousands) {
  EXPECT_EQ(groupedCount(0), "0");
  EXPECT_EQ(groupedCount(999), "999");
  EXPECT_EQ(groupedCount(1000), "1,000");
  EXPECT_EQ(groupedCount(1234567), "1,234,567");
}

TEST(StatusTable, ShowsEveryStreamAndSinkWithStateLagAndError) {
  StatusReport r = testing::sampleReport();
  r.streams[0].lag_level = LagLevel::kWarning;
  r.streams[0].lag_seconds = 25 * 3600;
  std::string text = renderStatusTable(r);
  EXPECT_NE(text.find("o365fwd 9.8.7 is running since 2026-12-06T11:00:00Z; not ready"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Audit.Exchange"), std::string::npos);
  EXPECT_NE(text.find("Lagging"), std::string::npos);
  EXPECT_NE(text.find("1 d 1 h (warning)"), std::string::npos);
  EXPECT_NE(text.find("3 d 6 h (critical)"), std::string::npos);
  EXPECT_NE(text.find("1,234,567"), std::string::npos);
  EXPECT_NE(text.find("(30 s ago)"), std::string::npos);
  EXPECT_NE(text.find("AF10001: the token lacks ActivityFeed.ReadDlp"), std::string::npos);
  EXPECT_NE(text.find("never"), std::string::npos);
  EXPECT_NE(text.find("connection refused"), std::string::npos);
  EXPECT_NE(text.find("Down"), std::string::npos);
  EXPECT_NE(text.find("the API keeps content for 7 days"), std::string::npos);
  EXPECT_NE(text.find("contoso/Audit.Exchange: forwarded 5 record(s) without Id and 6 with "
                      "invalid UTF-8"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("DLP.All: forwarded"), std::string::npos) << text;  // none there
}

TEST(StatusTable, StateDatabaseReportSaysTheInstanceIsNotRunning) {
  StatusReport r = testing::sampleReport();
  r.source = "state";
  for (auto& s : r.streams) s.state = "stopped";
  std::string text = renderStatusTable(r);
  EXPECT_NE(text.find("not running"), std::string::npos);
  EXPECT_NE(text.find("Stopped"), std::string::npos);
  EXPECT_EQ(text.find("Sinks:"), std::string::npos);  // a stopped instance has no live sink figures
}

// Issue 11: 100 tenants x 2 streams, tenant42/DLP.All in error, tenant7/Audit.Exchange disabled.
StatusReport fleet() {
  StatusReport r = testing::sampleReport();
  StreamReport healthy = r.streams[0];
  r.streams.clear();
  for (int i = 1; i <= 100; ++i)
    for (const char* ct : {"Audit.Exchange", "DLP.All"}) {
      StreamReport s = healthy;
      s.tenant = "tenant" + std::to_string(i);
      s.content_type = ct;
      s.records_without_id = s.records_invalid_utf8 = 0;
      if (i == 42 && std::string(ct) == "DLP.All") {
        s.state = "error";
        s.last_error = ErrorInfo{r.generated_at, "AF10001", "the token lacks ReadDlp"};
      }
      if (i == 7 && std::string(ct) == "Audit.Exchange") s.state = "disabled";
      r.streams.push_back(s);
    }
  r.health = summarizeHealth(r);
  return r;
}

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(StatusTable, FilteredColumnOnlyWhenTheFiltersDroppedSomething) {
  StatusReport r = testing::sampleReport();
  r.streams[0].records_filtered = 12345;
  std::string text = renderStatusTable(r);
  EXPECT_NE(text.find("FILTERED"), std::string::npos) << text;
  EXPECT_NE(text.find("12,345"), std::string::npos) << text;
  for (auto& s : r.streams) s.records_filtered = 0;
  EXPECT_EQ(renderStatusTable(r).find("FILTERED"), std::string::npos);
}

TEST(StatusTable, HealthComesFirstApartFromReadiness) {
  StatusReport r = fleet();
  r.ready = true;
  std::string text = renderStatusTable(r);
  EXPECT_EQ(text.rfind("Health: Degraded: 1 stream in error, 1 disabled; 1 sink not up\n", 0), 0u)
      << text;
  EXPECT_NE(text.find("\nTenants: 98 healthy, 0 lagging, 1 in error, 1 disabled (of 100)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("is running since 2026-12-06T11:00:00Z; ready"), std::string::npos);
}

TEST(StatusTable, ManyStreamsListOnlyTheProblemsAndAHint) {
  std::string text = renderStatusTable(fleet());
  EXPECT_LT(lines(text), 20u) << text;
  EXPECT_NE(text.find("Problems: 2 stream(s) in error, lagging or disabled"), std::string::npos);
  EXPECT_LT(text.find("tenant42  DLP.All"), text.find("tenant7   Audit.Exchange")) << text;
  EXPECT_EQ(text.find("tenant1 "), std::string::npos);
  EXPECT_NE(text.find("198 healthy streams not shown: `o365fwd status --all`"), std::string::npos);
  StatusTableOptions all;
  all.all = true;
  std::string every = renderStatusTable(fleet(), all);
  EXPECT_GT(lines(every), 200u);
  // Problems first, then natural order: tenant2 before tenant10.
  EXPECT_LT(every.find("tenant42 "), every.find("tenant1 "));
  EXPECT_LT(every.find("tenant2 "), every.find("tenant10 "));
  EXPECT_EQ(every.find("not shown"), std::string::npos);
}

TEST(StatusTable, ProblemsAndTenantFilters) {
  StatusReport small = testing::sampleReport();  // 2 streams: listed whole by default
  small.health = summarizeHealth(small);
  EXPECT_NE(renderStatusTable(small).find("contoso"), std::string::npos);
  StatusTableOptions problems;
  problems.problems = true;
  std::string only = renderStatusTable(small, problems);
  EXPECT_EQ(only.find("contoso  "), std::string::npos) << only;
  EXPECT_NE(only.find("fabrikam"), std::string::npos);

  StatusTableOptions one;
  one.tenant = "tenant42";
  std::string tenant = renderStatusTable(fleet(), one);
  EXPECT_NE(tenant.find("tenant42  DLP.All"), std::string::npos) << tenant;
  EXPECT_NE(tenant.find("tenant42  Audit.Exchange"), std::string::npos);
  EXPECT_EQ(tenant.find("tenant7 "), std::string::npos);
  one.tenant = "nobody";
  EXPECT_NE(renderStatusTable(fleet(), one).find("No tenant named nobody"), std::string::npos);
}

}  // namespace
}  // namespace o365fwd
