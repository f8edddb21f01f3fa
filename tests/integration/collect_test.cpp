// End to end: the real o365fwd binary collects from a real o365fwd-sim process on loopback into
// the file sink; every deliverable record of the simulator's ledger must arrive exactly once.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "core/time_format.h"
#include "tests/support/forwarder_harness.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

void expectExactlyOnce(const SimProcess& sim, const ForwarderHarness& fwd) {
  DeliveryCheck check = checkDelivery(sim.ledger(), fwd.delivered());
  EXPECT_TRUE(check.ok()) << check.summary();
  EXPECT_GT(check.expected, 0u);
}

ForwarderOptions withCollection(const std::string& yaml) {
  ForwarderOptions o;
  o.collection_yaml = yaml;
  return o;
}

std::string describe(const RunOutcome& r) {
  return "exit=" + (r.exit_code ? std::to_string(*r.exit_code) : std::string("timeout")) + "\nstdout:\n" +
         r.stdout_text + "\nstderr (tail):\n" +
         (r.stderr_text.size() > 4000 ? r.stderr_text.substr(r.stderr_text.size() - 4000) : r.stderr_text);
}

TEST(Collect, ManyPagesManyBlobsSeveralTenantsAllContentTypes) {
  TempDir dir;
  auto sim = SimProcess::start({"--tenants", "3", "--blobs", "30", "--records-per-blob", "20", "--page-size", "7",
                                "--span", "30h"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir, withCollection("    initial_lookback: 48h\n"));
  RunOutcome r = fwd.runOnce();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  expectExactlyOnce(*sim, fwd);
  EXPECT_NE(r.stdout_text.find("Result: complete"), std::string::npos);
  // 3 tenants x 5 content types x 30 blobs x 20 records.
  EXPECT_EQ(fwd.outputLines().size(), 3u * 5u * 30u * 20u);
  // A second run finds nothing new and forwards nothing again.
  RunOutcome again = fwd.runOnce();
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(fwd.outputLines().size(), 3u * 5u * 30u * 20u);
}

TEST(Collect, DuplicatedAndBackfilledRecordsAreForwardedOnce) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "40", "--records-per-blob", "25", "--duplicate-fraction", "0.2",
                                "--backfill-fraction", "0.3"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  RunOutcome r = fwd.runOnce();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  expectExactlyOnce(*sim, fwd);
  EXPECT_LT(fwd.outputLines().size(), 5u * 40u * 25u);  // the duplicates were dropped
}

TEST(Collect, LateVisibleBlobsAreCollectedByLaterCycles) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "30", "--records-per-blob", "10", "--span", "20s",
                                "--late-visible-fraction", "0.4", "--late-visible-delay", "8s",
                                "--content-types", "Audit.Exchange,Audit.SharePoint"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir, withCollection("    poll_interval: 1s\n"));
  // The first pass cannot see the late blobs yet.
  RunOutcome first = fwd.runOnce();
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  std::size_t expected = 0;
  for (const LedgerEntry& e : sim->ledger()) expected += e.deliverable() ? 1 : 0;
  EXPECT_LT(fwd.outputLines().size(), expected);
  // The daemon re-lists behind its watermark (overlap) and picks them up once visible.
  auto daemon = fwd.startDaemon();
  bool all = fwd.waitForLines(expected, 60s);
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0);
  ASSERT_TRUE(all) << "only " << fwd.outputLines().size() << " of " << expected << "\n" << daemon->stderrText();
  expectExactlyOnce(*sim, fwd);
}

TEST(Collect, ThrottlingStormIsRiddenOut) {
  for (const char* status : {"403", "429"}) {
    TempDir dir;
    auto sim = SimProcess::start({"--blobs", "35", "--records-per-blob", "5", "--throttle-per-minute", "60",
                                  "--throttle-status", status, "--content-types", "Audit.Exchange,Audit.General"},
                                 dir);
    ASSERT_TRUE(sim);
    ForwarderHarness fwd(*sim, dir, withCollection("    max_requests_per_minute: 100000\n"));
    RunOutcome r = fwd.runOnce(180s);
    ASSERT_EQ(r.exit_code, 0) << status << " " << describe(r);
    expectExactlyOnce(*sim, fwd);
    EXPECT_NE(sim->stats().find("\"throttled\""), std::string::npos);
    EXPECT_NE(r.stderr_text.find("AF429"), std::string::npos) << "the storm should have been noticed";
  }
}

TEST(Collect, TransientServerErrorsAreRetried) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "30", "--records-per-blob", "10", "--transient-error-rate", "0.25"}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  RunOutcome r = fwd.runOnce(180s);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  expectExactlyOnce(*sim, fwd);
}

TEST(Collect, TokensExpiringMidRunAreRenewed) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "60", "--records-per-blob", "10", "--token-lifetime", "2",
                                "--throttle-per-minute", "3000"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir, withCollection("    max_requests_per_minute: 600\n"));
  RunOutcome r = fwd.runOnce(180s);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  expectExactlyOnce(*sim, fwd);
  std::string stats = sim->stats();
  EXPECT_NE(stats.find("tokens_issued"), std::string::npos) << stats;
}

TEST(Collect, CertificateCredentialAndDomainTenant) {
  TempDir dir;
  auto sim = SimProcess::start({"--tenants", "2", "--certificates", dir.file("certs"), "--blobs", "5",
                                "--records-per-blob", "4"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderOptions o;
  o.use_domain = true;
  o.use_certificate = true;
  ForwarderHarness fwd(*sim, dir, o);
  RunOutcome r = fwd.runOnce();
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  expectExactlyOnce(*sim, fwd);
}

TEST(Collect, LargeBlobWithBoundedMemory) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "3", "--records-per-blob", "50", "--large-blob-mb", "100",
                                "--content-types", "Audit.SharePoint"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  RunOutcome r = fwd.runOnce(300s);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  expectExactlyOnce(*sim, fwd);
  // One 100 MiB blob: the body plus its decoded fields, not a multiple of the whole data set.
  EXPECT_LT(r.peak_rss_kb, 700 * 1024) << "peak RSS " << r.peak_rss_kb << " KiB";
}

TEST(Collect, ExpiredAndBrokenBlobsAreReportedNotSkippedSilently) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "20", "--records-per-blob", "5", "--expired-fraction", "0.2",
                                "--invalid-json-blobs", "2", "--content-types", "Audit.Exchange"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir, withCollection("    max_blob_attempts: 1\n"));
  RunOutcome r = fwd.runOnce();
  // Complete, but content was dead-lettered and lost in this run: its own exit status.
  ASSERT_EQ(r.exit_code, 3) << describe(r);
  expectExactlyOnce(*sim, fwd);  // the ledger marks expired / dead-letter records as not deliverable
  EXPECT_NE(r.stderr_text.find("lost"), std::string::npos);
  EXPECT_NE(r.stderr_text.find("dead letter"), std::string::npos);
  std::ifstream index(fwd.stateDir() / "dead-letter" / "index.ndjson");
  std::string line;
  int dead = 0;
  while (std::getline(index, line)) ++dead;
  EXPECT_EQ(dead, 2);
  std::size_t lost = 0;
  for (const LedgerEntry& e : sim->ledger()) lost += e.fate == "expired" ? 1 : 0;
  EXPECT_GT(lost, 0u);
  EXPECT_NE(r.stdout_text.find("This run dead-lettered 2 record(s) or blob(s) and counted"),
            std::string::npos)
      << r.stdout_text;
  EXPECT_NE(r.stdout_text.find((fwd.stateDir() / "dead-letter").string()), std::string::npos)
      << r.stdout_text;
  EXPECT_NE(r.stdout_text.find("Result: complete, but content was dead-lettered or lost"),
            std::string::npos)
      << r.stdout_text;
  // A second run has nothing new: the loss belongs to the first run only.
  RunOutcome again = fwd.runOnce();
  EXPECT_EQ(again.exit_code, 0) << describe(again);
}

TEST(Collect, ForeignContentUriNeverReceivesTheToken) {
  TempDir foreign_dir;
  auto foreign = SimProcess::start({"--blobs", "1"}, foreign_dir);
  ASSERT_TRUE(foreign);
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "3", "--records-per-blob", "2", "--content-types", "Audit.General",
                                "--content-uri-base", foreign->url()},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  RunOutcome r = fwd.runOnce();
  // Every blob refused and dead-lettered: not "complete" with exit 0 (issue 10).
  ASSERT_EQ(r.exit_code, 3) << describe(r);
  EXPECT_NE(r.stdout_text.find("This run dead-lettered 3 record(s) or blob(s)"), std::string::npos)
      << r.stdout_text;
  EXPECT_TRUE(fwd.outputLines().empty());
  EXPECT_NE(r.stderr_text.find("untrusted_uri"), std::string::npos) << describe(r);
  // The foreign server saw no request at all, so certainly no bearer token.
  std::ifstream log(foreign->requestLogPath());
  std::string line;
  int requests = 0;
  while (std::getline(log, line))
    if (line.find("/_sim/") == std::string::npos) ++requests;
  EXPECT_EQ(requests, 0);
}

}  // namespace
}  // namespace o365fwd::testing

namespace o365fwd::testing {
namespace {

TEST(Collect, SubscriptionsCommandListsStartsAndStops) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "1"}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  RunOutcome list = fwd.runCommand({"subscriptions", "list"}, 60s);
  ASSERT_EQ(list.exit_code, 0) << describe(list);
  EXPECT_NE(list.stdout_text.find("Audit.Exchange               not subscribed"), std::string::npos) << list.stdout_text;
  RunOutcome start = fwd.runCommand({"subscriptions", "start", "--content-type", "Audit.Exchange"}, 60s);
  ASSERT_EQ(start.exit_code, 0) << describe(start);
  list = fwd.runCommand({"subscriptions", "list"}, 60s);
  EXPECT_NE(list.stdout_text.find("Audit.Exchange               enabled"), std::string::npos) << list.stdout_text;
  RunOutcome stop = fwd.runCommand({"subscriptions", "stop", "--content-type", "Audit.Exchange"}, 60s);
  ASSERT_EQ(stop.exit_code, 0) << describe(stop);
  list = fwd.runCommand({"subscriptions", "list"}, 60s);
  EXPECT_EQ(list.stdout_text.find("Audit.Exchange               enabled"), std::string::npos) << list.stdout_text;
}

TEST(Collect, ReplayForwardsAWindowAgainWithoutTouchingProgress) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "10", "--records-per-blob", "5", "--span", "2h",
                                "--content-types", "Audit.Exchange,DLP.All"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  ASSERT_EQ(fwd.runOnce().exit_code, 0);
  std::size_t first = fwd.outputLines().size();
  ASSERT_EQ(first, 2u * 10u * 5u);
  auto now = std::chrono::system_clock::now();
  RunOutcome r = fwd.runCommand({"replay", "--from", formatApiTime(now - std::chrono::hours(3)), "--to",
                                 formatApiTime(now + std::chrono::minutes(1)), "--content-type", "DLP.All"},
                                120s);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(fwd.outputLines().size(), first + 10u * 5u);  // DLP.All forwarded again, nothing else
  // Progress is untouched: a normal run afterwards forwards nothing.
  ASSERT_EQ(fwd.runOnce().exit_code, 0);
  EXPECT_EQ(fwd.outputLines().size(), first + 10u * 5u);
}

}  // namespace
}  // namespace o365fwd::testing
