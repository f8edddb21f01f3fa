// The adaptive request rate against a throttling simulator (issue 14 part 5): the tenant's
// budget at the simulator is 1,200 requests a minute, the forwarder may go up to 60,000. The
// rate climbs, meets AF429, is cut and rides it out; every record arrives once, and /status and
// /metrics show the learned rate.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <csignal>

#include "tests/support/forwarder_harness.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

TEST(AdaptiveRate, ThrottlingSimulatorIsRiddenOutWithTheRateCutAndNothingLost) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "300", "--records-per-blob", "1",
                                "--throttle-per-minute", "1200", "--throttle-status", "429"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderOptions options;
  options.collection_yaml = "    max_requests_per_minute: 60000\n";
  options.health_yaml = "  listen: 127.0.0.1:0\n";
  ForwarderHarness fwd(*sim, dir, options);
  std::size_t expected = 0;
  for (const LedgerEntry& e : sim->ledger()) expected += e.deliverable() ? 1 : 0;

  auto daemon = fwd.startDaemon();
  const std::string url = waitForHealthUrl(*daemon, 30s);
  ASSERT_FALSE(url.empty()) << daemon->stderrText();
  ASSERT_TRUE(fwd.waitForLines(expected, 120s)) << daemon->stderrText();

  rapidjson::Document doc;
  const std::string status = httpRequest("GET", url + "/status").body;
  doc.Parse(status.c_str());
  ASSERT_TRUE(doc.IsObject() && doc["request_rates"].IsArray()) << status;
  ASSERT_EQ(doc["request_rates"].Size(), 1u) << status;
  const auto& rate = doc["request_rates"][0];
  EXPECT_GE(rate["cuts"].GetUint64(), 1u) << status;
  EXPECT_LT(rate["per_minute"].GetUint64(), 60000u) << status;
  EXPECT_EQ(rate["ceiling"].GetUint64(), 60000u);
  EXPECT_EQ(rate["start"].GetUint64(), 1800u);
  const std::string metrics = httpRequest("GET", url + "/metrics").body;
  EXPECT_NE(metrics.find("o365fwd_api_request_rate_per_minute{tenant="), std::string::npos);
  EXPECT_EQ(metrics.find("o365fwd_api_throttled_total 0\n"), std::string::npos)
      << "the simulator throttled: " << metrics.substr(0, 200);

  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(60s), 0) << daemon->stderrText();
  std::vector<RecordKey> delivered = fwd.delivered();
  DeliveryCheck check = checkDelivery(sim->ledger(), delivered);
  EXPECT_TRUE(check.ok()) << check.summary();
  EXPECT_EQ(duplicateCount(delivered), 0u);
}

}  // namespace
}  // namespace o365fwd::testing
