// Stopping the forwarder in the middle of a run — gracefully (SIGTERM) or not (SIGKILL) — and
// starting it again must still deliver every ledger record, and re-send at most the records of
// the blobs that were in flight.
#include <gtest/gtest.h>

#include <csignal>
#include <random>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kRecordsPerBlob = 50;
constexpr int kConcurrency = 4;

std::vector<std::string> simArgs() {
  return {"--blobs", "120", "--records-per-blob", std::to_string(kRecordsPerBlob), "--record-size", "1500"};
}

ForwarderOptions options() {
  ForwarderOptions o;
  o.collection_yaml = "    max_concurrent_downloads: " + std::to_string(kConcurrency) + "\n";
  return o;
}

std::size_t deliverable(const SimProcess& sim) {
  std::size_t n = 0;
  for (const LedgerEntry& e : sim.ledger()) n += e.deliverable() ? 1 : 0;
  return n;
}

TEST(Restart, SigtermDrainsCommitsAndExitsZeroWithoutResending) {
  TempDir dir;
  auto sim = SimProcess::start(simArgs(), dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir, options());
  std::size_t expected = deliverable(*sim);
  auto daemon = fwd.startDaemon();
  ASSERT_TRUE(fwd.waitForLines(expected / 4, 120s)) << daemon->stderrText();
  daemon->signal(SIGTERM);
  auto code = daemon->wait(90s);
  ASSERT_EQ(code, 0) << daemon->stderrText();
  std::size_t after_stop = fwd.outputLines().size();
  EXPECT_LT(after_stop, expected) << "stopped too late to test anything";

  RunOutcome r = fwd.runOnce(180s);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<RecordKey> delivered = fwd.delivered();
  DeliveryCheck check = checkDelivery(sim->ledger(), delivered);
  // A graceful stop commits everything it delivered: nothing is sent twice.
  EXPECT_TRUE(check.ok()) << check.summary();
  EXPECT_EQ(duplicateCount(delivered), 0u);
}

TEST(Restart, RepeatedSigkillLosesNothingAndResendsOnlyInFlightBlobs) {
  TempDir dir;
  auto sim = SimProcess::start(simArgs(), dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir, options());
  std::size_t expected = deliverable(*sim);
  std::mt19937 rng(12345);
  // The collector holds at most 4 x max_concurrent_downloads blobs between download and commit.
  const std::size_t max_resent_per_kill = 4u * kConcurrency * kRecordsPerBlob;
  int kills = 0;
  for (int round = 0; round < 3; ++round) {
    std::size_t before = fwd.outputLines().size();
    if (before >= expected) break;
    auto daemon = fwd.startDaemon();
    // Kill once it made some progress, at a random moment.
    ASSERT_TRUE(fwd.waitForLines(before + 200, 120s)) << daemon->stderrText();
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(rng)));
    daemon->kill();
    ++kills;
  }
  RunOutcome r = fwd.runOnce(180s);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  std::vector<RecordKey> delivered = fwd.delivered();
  DeliveryCheck check = checkDelivery(sim->ledger(), delivered);
  EXPECT_TRUE(check.missing.empty()) << check.summary();
  EXPECT_TRUE(check.unexpected.empty()) << check.summary();
  std::size_t dups = duplicateCount(delivered);
  EXPECT_LE(dups, max_resent_per_kill * static_cast<std::size_t>(kills))
      << "kills=" << kills << " duplicates=" << dups;
  RecordProperty("kills", kills);
  RecordProperty("duplicates", static_cast<int>(dups));
}

}  // namespace
}  // namespace o365fwd::testing
