// Fair scheduling across tenants (issue 11 part 4): one tenant's backlog does not starve the
// others. The simulator answers every request after 100 ms; tenant "big" has a backlog of 400
// blobs, and ten small tenants have 4 blobs each spread over the 6 s before and the 3 s after
// the simulator's start (so at least one appears while the forwarder runs). With 2 download workers
// the backlog alone needs at least 400 × 100 ms / 2 = 20 s of downloads, so it is still being
// drained when the small tenants' new blobs appear. Asserted as orderings in the file sink's output
// (no timings): every small tenant's records, the new ones included, are written before the big
// tenant's last record — and before its halfway mark — and everything arrives exactly once.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>

#include "tests/support/forwarder_harness.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kSmallTenants = 10;
constexpr int kBigBlobs = 400;
constexpr int kBigRecordsPerBlob = 10;
constexpr int kSmallBlobs = 4;
constexpr int kSmallRecordsPerBlob = 3;

std::string guid(int kind, int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08d-0000-4000-8000-%012d", kind, n);
  return buf;
}

std::string tenantJson(const std::string& name, int n, const std::string& content) {
  return R"({"name":")" + name + R"(","tenant_id":")" + guid(1, n) +
         R"(","content_types":["Audit.Exchange"],"apps":[{"client_id":")" + guid(2, n) +
         R"(","client_secret":"fair-secret-)" + std::to_string(1000 + n) +
         R"("}],"content":{"Audit.Exchange":)" + content + "}}";
}

std::unique_ptr<SimProcess> startSim(const TempDir& dir) {
  std::string tenants =
      tenantJson("big", 0,
                 R"({"blobs":)" + std::to_string(kBigBlobs) + R"(,"records_per_blob":)" +
                     std::to_string(kBigRecordsPerBlob) + R"(,"span":"2h"})");
  for (int i = 1; i <= kSmallTenants; ++i)
    tenants +=
        "," + tenantJson("small" + std::to_string(i), i,
                         R"({"blobs":)" + std::to_string(kSmallBlobs) + R"(,"records_per_blob":)" +
                             std::to_string(kSmallRecordsPerBlob) +
                             R"(,"span":"6s","future_span":"3s"})");
  const std::string path = (dir.path() / "fair-scenario.json").string();
  std::ofstream(path) << R"({"seed":11,"faults":{"latency_ms":100},"content":{"*":{"blobs":0}},)"
                      << R"("tenants":[)" << tenants << "]}";
  return SimProcess::start({"--scenario", path}, dir);
}

TEST(FairScheduling, SmallTenantsAreDeliveredWhileABigBacklogIsDrained) {
  TempDir dir;
  auto sim = startSim(dir);
  ASSERT_TRUE(sim);
  std::map<std::string, std::string> name_of;  // tenant GUID -> name
  for (std::size_t i = 0; i < sim->tenantCount(); ++i)
    name_of[sim->tenant(i).tenant_id] = sim->tenant(i).name;
  ASSERT_EQ(name_of.size(), static_cast<std::size_t>(kSmallTenants + 1));

  ForwarderOptions o;
  o.tenant_yaml = "    content_types: [Audit.Exchange]\n";
  o.collection_yaml =
      "    poll_interval: 2s\n    initial_lookback: 3h\n    max_concurrent_downloads: 2\n";
  ForwarderHarness fwd(*sim, dir, o);
  auto daemon = fwd.startDaemon();
  const std::size_t big_records = static_cast<std::size_t>(kBigBlobs * kBigRecordsPerBlob);
  const std::size_t small_records = static_cast<std::size_t>(kSmallBlobs * kSmallRecordsPerBlob);
  const std::size_t expected = big_records + kSmallTenants * small_records;
  ASSERT_TRUE(fwd.waitForLines(expected, 120s)) << daemon->stderrText();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0) << daemon->stderrText();

  // Tenant of each output line, in the order the sink wrote them.
  const std::regex org(R"re("OrganizationId":"([^"]+)")re");
  std::vector<std::string> order;
  for (const std::string& line : fwd.outputLines()) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(line, m, org)) << line;
    order.push_back(name_of.at(m[1].str()));
  }
  ASSERT_EQ(order.size(), expected);
  std::size_t big_seen = 0, big_half = 0, big_last = 0;
  for (std::size_t i = 0; i < order.size(); ++i)
    if (order[i] == "big") {
      if (++big_seen == big_records / 2) big_half = i;
      big_last = i;
    }
  ASSERT_EQ(big_seen, big_records);
  std::map<std::string, std::size_t> before_half, before_last;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] == "big") continue;
    if (i < big_half) ++before_half[order[i]];
    if (i < big_last) ++before_last[order[i]];
  }
  for (int t = 1; t <= kSmallTenants; ++t) {
    const std::string name = "small" + std::to_string(t);
    // Every blob of the small tenant — those that appeared during the drain included — was
    // delivered while the big backlog still had half of its records to go.
    EXPECT_EQ(before_half[name], small_records) << name << " waited behind the big backlog";
    EXPECT_EQ(before_last[name], small_records) << name;
  }
  DeliveryCheck check = checkDelivery(sim->ledger(), fwd.delivered());
  EXPECT_TRUE(check.ok()) << check.summary();
}

}  // namespace
}  // namespace o365fwd::testing
