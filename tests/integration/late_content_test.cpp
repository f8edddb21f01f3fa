// Late content anywhere in the 7-day retention: blobs the simulator lists only 2 h, 20 h and 5
// days after their contentCreated, in their original windows, are each delivered exactly once —
// by the daemon and by repeated `run --once` — with `overlap: 12h`: the 2 h one by the live
// listing's overlap, the other two by the deep sweep (collection.sweep_interval), which also
// counts them as late in /status and /metrics.
//
// Time: the simulator's blobs are laid out around its start T (144 blobs, one per hour over the
// 6 days before T). The chosen blobs become listable between T + 0.1 h and T + 1.9 h (simulator
// time), so the forwarder first collects everything else; the test then moves the simulator's
// clock 2 h forward (POST /_sim/config clock_skew) and the forwarder follows it through the Date
// header.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <regex>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kBlobs = 144;  // one per hour over 6 days
constexpr int kRecordsPerBlob = 5;
constexpr std::size_t kLateRecords = 3 * kRecordsPerBlob;

// Blob i is created in [T - 6d + (i + 0.1) h, T - 6d + (i + 0.9) h]; each delay puts its first
// listing after T. Blob 143 (2 h), blob 125 (20 h) and blob 24 (5 d).
std::string scenario() {
  return R"({"content": {"*": {"blobs": 0},
    "Audit.Exchange": {"blobs": 144, "records_per_blob": 5, "span": "6d",
      "late_blobs": [{"index": 143, "delay": "2h"}, {"index": 125, "delay": "20h"},
                     {"index": 24, "delay": "5d"}]}}})";
}

std::unique_ptr<SimProcess> startSim(const TempDir& dir) {
  const std::string path = (dir.path() / "late-scenario.json").string();
  std::ofstream(path) << scenario();
  return SimProcess::start({"--scenario", path}, dir);
}

ForwarderOptions options(bool health) {
  ForwarderOptions o;
  o.tenant_yaml = "    content_types: [Audit.Exchange]\n";
  o.collection_yaml =
      "    poll_interval: 1s\n    overlap: 12h\n    initial_lookback: 7d\n"
      "    sweep_interval: 2s\n";
  if (health) o.health_yaml = "  listen: 127.0.0.1:0\n";
  // The daemon logs a sweep that queued nothing at DEBUG only; the test counts every sweep.
  if (health) o.log_level = "debug";
  return o;
}

std::size_t deliverable(const SimProcess& sim) {
  std::size_t n = 0;
  for (const LedgerEntry& e : sim.ledger()) n += e.deliverable() ? 1 : 0;
  return n;
}

void moveSimClock(const SimProcess& sim, std::chrono::seconds skew) {
  HttpResult r =
      sim.admin("POST", "/_sim/config", R"({"clock_skew":)" + std::to_string(skew.count()) + "}");
  ASSERT_EQ(r.status, 200) << r.body;
}

// The health endpoint's URL as the daemon publishes it in <state_dir>/health.url (port 0).
std::string healthUrl(const ForwarderHarness& fwd, ChildProcess& daemon) {
  if (!daemon.waitForStderr("Health endpoint listening.", 30s)) return "";
  std::string url;
  for (int i = 0; i < 100 && url.empty(); ++i) {  // written right after that line
    std::ifstream(fwd.stateDir() / "health.url") >> url;
    if (url.empty()) std::this_thread::sleep_for(100ms);
  }
  return url;
}

// late_blobs of the Exchange stream in /status (-1 when not readable).
long long lateBlobsInStatus(const std::string& url) {
  rapidjson::Document doc;
  std::string body = httpRequest("GET", url + "/status").body;
  doc.Parse(body.c_str());
  if (!doc.IsObject() || !doc.HasMember("streams") || !doc["streams"].IsArray()) return -1;
  for (const auto& s : doc["streams"].GetArray())
    if (s.IsObject() && s.HasMember("late_blobs") && s["late_blobs"].IsUint64())
      return static_cast<long long>(s["late_blobs"].GetUint64());
  return -1;
}

TEST(LateContent, DaemonDeliversBlobsTwoHoursTwentyHoursAndFiveDaysLateExactlyOnce) {
  TempDir dir;
  auto sim = startSim(dir);
  ASSERT_TRUE(sim);
  const std::size_t expected = deliverable(*sim);
  ASSERT_EQ(expected, static_cast<std::size_t>(kBlobs * kRecordsPerBlob));
  ForwarderHarness fwd(*sim, dir, options(true));
  auto daemon = fwd.startDaemon();
  const std::string url = healthUrl(fwd, *daemon);
  ASSERT_FALSE(url.empty()) << daemon->stderrText();

  ASSERT_TRUE(fwd.waitForLines(expected - kLateRecords, 60s)) << daemon->stderrText();
  ASSERT_TRUE(daemon->waitForStderr("Deep sweep complete.", 30s)) << daemon->stderrText();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(fwd.outputLines().size(), expected - kLateRecords)
      << "the late blobs are not listable yet";
  EXPECT_EQ(lateBlobsInStatus(url), 0);

  moveSimClock(*sim, 2h);
  ASSERT_TRUE(fwd.waitForLines(expected, 60s)) << daemon->stderrText();
  // The two blobs beyond the overlap are late; the 2 h one was re-listed by the overlap.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (lateBlobsInStatus(url) < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  EXPECT_EQ(lateBlobsInStatus(url), 2);
  std::string metrics = httpRequest("GET", url + "/metrics").body;
  EXPECT_TRUE(std::regex_search(
      metrics,
      std::regex(R"(\no365fwd_late_blobs_total\{[^}]*content_type="Audit\.Exchange"\} 2\n)")))
      << metrics;
  EXPECT_NE(metrics.find("o365fwd_blob_lateness_seconds_count{content_type=\"Audit.Exchange\"} " +
                         std::to_string(kBlobs) + "\n"),
            std::string::npos)
      << metrics;
  std::this_thread::sleep_for(3s);  // more sweeps run: nothing is delivered twice
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0) << daemon->stderrText();

  std::vector<RecordKey> delivered = fwd.delivered();
  DeliveryCheck check = checkDelivery(sim->ledger(), delivered);
  EXPECT_TRUE(check.ok()) << check.summary();
  EXPECT_EQ(duplicateCount(delivered), 0u);
  const std::string log = daemon->stderrText();
  EXPECT_NE(log.find("Late blob: listed long after its creation"), std::string::npos);
  EXPECT_NE(log.find("lateness_s=43"), std::string::npos) << "5 d and ~2 h = 43x,xxx s late";
  // Figures for docs/STATE.md: each sweep of the 7-day retention and what it cost.
  std::regex done(
      R"(Deep sweep complete\. stream=\S+ windows=(\d+) blobs_queued=(\d+) elapsed_ms=(\d+))");
  int sweeps = 0;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), done); it != std::sregex_iterator();
       ++it, ++sweeps)
    if (sweeps == 0 || (*it)[2] != "0")
      std::cout << "sweep: windows=" << (*it)[1] << " blobs_queued=" << (*it)[2]
                << " elapsed_ms=" << (*it)[3] << "\n";
  RecordProperty("sweeps", sweeps);
  EXPECT_GE(sweeps, 2);
}

TEST(LateContent, RepeatedRunOnceDeliversTheLateBlobsExactlyOnce) {
  TempDir dir;
  auto sim = startSim(dir);
  ASSERT_TRUE(sim);
  const std::size_t expected = deliverable(*sim);
  ForwarderHarness fwd(*sim, dir, options(false));
  RunOutcome first = fwd.runOnce(120s);
  ASSERT_EQ(first.exit_code, 0) << first.stderr_text;
  EXPECT_EQ(fwd.outputLines().size(), expected - kLateRecords);
  // The first listing went from the floor to now: it is stored as the first sweep, and the
  // 7 days are not listed a second time right after.
  EXPECT_EQ(first.stderr_text.find("Deep sweep complete."), std::string::npos) << first.stderr_text;

  moveSimClock(*sim, 2h);
  std::this_thread::sleep_for(2500ms);  // the stored sweep is now older than sweep_interval
  RunOutcome second = fwd.runOnce(120s);
  ASSERT_EQ(second.exit_code, 0) << second.stderr_text;
  EXPECT_NE(second.stderr_text.find("Deep sweep complete."), std::string::npos);
  EXPECT_EQ(fwd.outputLines().size(), expected) << second.stderr_text;

  RunOutcome third = fwd.runOnce(120s);  // nothing new: nothing again
  ASSERT_EQ(third.exit_code, 0) << third.stderr_text;
  std::vector<RecordKey> delivered = fwd.delivered();
  DeliveryCheck check = checkDelivery(sim->ledger(), delivered);
  EXPECT_TRUE(check.ok()) << check.summary();
  EXPECT_EQ(duplicateCount(delivered), 0u);
}

}  // namespace
}  // namespace o365fwd::testing
