#include "app/status/status_table.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace o365fwd
