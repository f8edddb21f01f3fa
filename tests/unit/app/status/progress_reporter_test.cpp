#include "app/status/progress_reporter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(ProgressLine, ShowsStreamsBlobsRecordsRateLagAndEta) {
  StatusReport r = testing::sampleReport();
  r.streams[0].blobs_listed = 10;
  r.streams[0].blobs_pending = 6;  // 4 settled in 8 s -> 6 more take 12 s
  r.streams[0].events_forwarded_run = 4000;
  r.streams[1].blobs_listed = 0;
  r.streams[1].events_forwarded_run = 0;
  std::string line = progressLine(r, seconds(8));
  EXPECT_NE(line.find("streams 1/2 active, 1 failing"), std::string::npos) << line;
  EXPECT_NE(line.find("blobs 4/10 done"), std::string::npos) << line;
  EXPECT_NE(line.find("4,000 records (500/s)"), std::string::npos) << line;
  EXPECT_NE(line.find("lag 3 d 6 h"), std::string::npos) << line;
  EXPECT_NE(line.find("ETA 12 s"), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(ProgressLine, NoEtaBeforeTheFirstBlobIsDone) {
  StatusReport r = testing::sampleReport();
  for (auto& s : r.streams) {
    s.blobs_listed = 5;
    s.blobs_pending = 5;
  }
  EXPECT_EQ(progressLine(r, seconds(3)).find("ETA"), std::string::npos);
}

TEST(LagTransitions, OneEventPerChangeOfLevel) {
  StatusReport r = testing::sampleReport();  // stream 0 ok, stream 1 critical
  std::map<std::string, LagLevel> seen;
  auto first = lagTransitions(r, seen);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].severity, LagEvent::Severity::kError);
  EXPECT_NE(first[0].message.find("7 days"), std::string::npos);
  EXPECT_NE(first[0].message.find("stream=fabrikam \"eu\"/DLP.All"), std::string::npos);
  EXPECT_TRUE(lagTransitions(r, seen).empty());  // unchanged: silent

  r.streams[0].lag_level = LagLevel::kWarning;
  r.streams[1].lag_level = LagLevel::kOk;
  auto second = lagTransitions(r, seen);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].severity, LagEvent::Severity::kWarn);
  EXPECT_EQ(second[1].severity, LagEvent::Severity::kInfo);
  EXPECT_NE(second[1].message.find("caught up"), std::string::npos);
}

struct Captured {
  std::mutex mu;
  std::vector<std::string> lines;
  std::vector<std::pair<LagEvent::Severity, std::string>> logs;
};

ProgressOutput captureInto(Captured& c) {
  ProgressOutput out;
  out.line = [&c](const std::string& s) {
    std::lock_guard lock(c.mu);
    c.lines.push_back(s);
  };
  out.log = [&c](LagEvent::Severity sev, const std::string& s) {
    std::lock_guard lock(c.mu);
    c.logs.emplace_back(sev, s);
  };
  return out;
}

TEST(ProgressReporter, LogsASummaryEveryIntervalWhenNotOnATerminal) {
  FakeClock clock;
  Captured c;
  ProgressOptions options;
  options.terminal = false;
  options.line_interval = milliseconds(100);
  options.log_interval = seconds(30);
  StatusReport r = testing::sampleReport();
  r.streams[1].lag_level = LagLevel::kOk;
  ProgressReporter reporter([&] { return r; }, options, captureInto(c), clock);
  reporter.start();
  for (int i = 0; i < 100; ++i) {  // 50 s of fake time in 500 ms steps
    clock.advance(milliseconds(500));
    std::this_thread::sleep_for(milliseconds(2));
  }
  reporter.stop();
  std::lock_guard lock(c.mu);
  EXPECT_TRUE(c.lines.empty());
  std::size_t summaries = 0;
  for (const auto& [sev, text] : c.logs)
    if (text.rfind("Progress.", 0) == 0) {
      ++summaries;
      EXPECT_NE(text.find("streams=2"), std::string::npos) << text;
    }
  EXPECT_GE(summaries, 1u);
  EXPECT_LE(summaries, 2u);
}

TEST(ProgressReporter, DrawsTheLineOnATerminalAndEndsItWithANewline) {
  FakeClock clock;
  Captured c;
  ProgressOptions options;
  options.terminal = true;
  options.line_interval = milliseconds(100);
  StatusReport r = testing::sampleReport();
  ProgressReporter reporter([&] { return r; }, options, captureInto(c), clock);
  reporter.start();
  for (int i = 0; i < 20; ++i) {
    clock.advance(milliseconds(100));
    std::this_thread::sleep_for(milliseconds(2));
  }
  reporter.stop();
  std::lock_guard lock(c.mu);
  ASSERT_GE(c.lines.size(), 2u);
  EXPECT_TRUE(c.lines.front().ends_with("\x1b[K\r")) << c.lines.front();
  EXPECT_TRUE(c.lines.back().ends_with("\x1b[K\n"));
  EXPECT_NE(c.lines.back().find("streams 1/2 active"), std::string::npos);
  // The critical stream was reported once, at ERROR.
  std::size_t errors = 0;
  for (const auto& [sev, text] : c.logs) errors += sev == LagEvent::Severity::kError;
  EXPECT_EQ(errors, 1u);
}

}  // namespace
}  // namespace o365fwd
