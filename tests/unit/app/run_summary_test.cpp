#include "app/run_summary.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

RunSummary summary(std::uint64_t dead_run, std::uint64_t lost_run, bool complete) {
  RunSummary s;
  StreamStatus st;
  st.stream = StreamKey{"contoso", "Audit.General"};
  st.dead_lettered = 40;  // persisted total, partly from earlier runs
  st.dead_lettered_run = dead_run;
  st.blobs_lost_run = lost_run;
  s.streams = {st};
  s.totals.dead_lettered = 40;
  s.totals.dead_lettered_run = dead_run;
  s.totals.blobs_lost_run = lost_run;
  s.result.complete = complete;
  if (!complete) s.result.problems = {"contoso/Audit.General: stopped"};
  s.dead_letter_dir = "/var/lib/o365fwd/dead-letter";
  return s;
}

TEST(RunSummary, ExitStatusSaysWhetherThisRunLostContent) {
  EXPECT_EQ(summary(0, 0, true).exitStatus(), kExitRunOk);  // earlier runs' dead letters: not ours
  EXPECT_EQ(summary(3, 0, true).exitStatus(), kExitRunLoss);
  EXPECT_EQ(summary(0, 1, true).exitStatus(), kExitRunLoss);
  EXPECT_EQ(summary(3, 1, false).exitStatus(), kExitRunIncomplete);  // a rerun is needed first
  EXPECT_EQ(summary(0, 0, false).exitStatus(), kExitRunIncomplete);
  EXPECT_EQ(kExitRunLoss, 3);
}

TEST(RunSummary, RenderSaysWhatWasLostAndWhereTheDeadLettersAre) {
  std::string text = summary(3, 2, true).render();
  EXPECT_NE(text.find("This run dead-lettered 3 record(s) or blob(s) and counted 2 blob(s) lost."),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Dead letters: /var/lib/o365fwd/dead-letter/"), std::string::npos) << text;
  EXPECT_NE(text.find("Result: complete, but content was dead-lettered or lost in this run (exit "
                      "status 3)"),
            std::string::npos)
      << text;
  std::string clean = summary(0, 0, true).render();
  EXPECT_EQ(clean.find("This run dead-lettered"), std::string::npos) << clean;
  EXPECT_NE(clean.find("Result: complete — every listed blob was delivered"), std::string::npos);
  EXPECT_NE(summary(0, 0, true).oneLine().find("dead_lettered_run=0 blobs_lost_run=0"),
            std::string::npos);
}

TEST(RunSummary, CountsFilteredRecordsPerStreamAndInTheLogLine) {
  RunSummary s = summary(0, 0, true);
  s.streams[0].records_filtered = 5000;  // the persisted total: earlier runs' too
  s.streams[0].records_filtered_run = 812;
  s.totals.records_filtered = 5000;
  s.totals.records_filtered_run = 812;
  EXPECT_NE(s.oneLine().find("records_filtered=812"), std::string::npos) << s.oneLine();
  std::string text = s.render();
  EXPECT_NE(text.find("filtered"), std::string::npos) << text;
  EXPECT_NE(text.find(" 812 "), std::string::npos) << text;
  EXPECT_EQ(text.find("5000"), std::string::npos) << "the summary counts this run" << text;
}

}  // namespace
}  // namespace o365fwd
