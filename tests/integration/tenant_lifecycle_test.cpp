// Tenant lifecycle without restart (MSSP onboarding): the daemon runs the tenants of tenants.d
// files that share one application credential (`credentials:` + `credential: NAME`, one app
// consented in every simulated tenant). SIGHUP then adds a fourth customer's file (its records
// arrive), removes a file (the tenant stops; its state stays), puts it back (it resumes: nothing
// lost, nothing twice) while another file is broken (reported in the log and /status; its tenant
// keeps running). Every record of the simulator's ledger arrives exactly once.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/http_client.h"
#include "tests/support/secret_scan.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kClientId = "5a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
constexpr const char* kSecret = "Mssp~shared-app-secret-0123456789abcdef";
constexpr int kTenants = 4;

std::string tenantGuid(int i) {
  return "0b2c4d6e-8f01-4a23-9b45-6c7d8e9f0a" + std::to_string(10 + i);
}

// Four tenants, each with the same multi-tenant app; blobs before the start and over the
// next 30 s, so a tenant that is away while some appear must catch up.
std::string scenario() {
  std::string s = R"({"content": {"*": {"blobs": 8, "records_per_blob": 5, "span": "10s",
                   "future_span": "30s"}}, "tenants": [)";
  for (int i = 1; i <= kTenants; ++i) {
    s += std::string(i > 1 ? "," : "") + R"({"name": "customer)" + std::to_string(i) +
         R"(", "tenant_id": ")" + tenantGuid(i) +
         R"(", "content_types": ["Audit.Exchange", "Audit.General"], "apps": [{"client_id": ")" +
         kClientId + R"(", "client_secret": ")" + kSecret + R"("}]})";
  }
  return s + "]}";
}

void writeFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
  ::chmod(path.c_str(), 0640);
}

std::string tenantFile(const SimProcess& sim, int i) {
  return "- name: customer" + std::to_string(i) + "\n  tenant_id: " + tenantGuid(i) +
         "\n  credential: mssp-app\n  login_url: " + sim.url() + "\n  api_url: " + sim.url() +
         "\n  content_types: [Audit.Exchange, Audit.General]\n";
}

struct Status {
  std::set<std::string> tenants;
  std::string problems;  // config_problems, joined
  std::string body;
};

Status readStatus(const std::string& url) {
  Status out;
  out.body = httpRequest("GET", url + "/status").body;
  rapidjson::Document doc;
  doc.Parse(out.body.c_str());
  if (!doc.IsObject() || !doc.HasMember("streams")) return out;
  for (const auto& s : doc["streams"].GetArray()) out.tenants.insert(s["tenant"].GetString());
  if (doc.HasMember("config_problems"))
    for (const auto& p : doc["config_problems"].GetArray())
      out.problems += p.GetString() + std::string("\n");
  return out;
}

template <typename Pred>
bool waitFor(Pred pred, std::chrono::seconds timeout) {
  for (auto deadline = std::chrono::steady_clock::now() + timeout;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(200ms))
    if (pred()) return true;
  return pred();
}

std::size_t recordsOf(const ForwarderHarness& fwd, const std::string& guid) {
  std::size_t n = 0;
  for (const RecordKey& k : fwd.delivered()) n += k.tenant == guid;
  return n;
}

TEST(TenantLifecycle, TenantsAreAddedRemovedAndReaddedLiveAndABrokenFileChangesNothing) {
  TempDir dir;
  const std::string scenario_path = dir.file("scenario.json");
  std::ofstream(scenario_path) << scenario();
  auto sim = SimProcess::start({"--scenario", scenario_path}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  SecretScan::instance().addKnownValue("secret", kSecret);
  writeFile(dir.path() / "mssp.secret", std::string(kSecret) + "\n");
  ::chmod(dir.file("mssp.secret").c_str(), 0600);
  const auto tenants_d = dir.path() / "tenants.d";
  std::filesystem::create_directory(tenants_d);
  for (int i = 1; i <= 3; ++i)
    writeFile(tenants_d / ("customer" + std::to_string(i) + ".yaml"), tenantFile(*sim, i));
  writeFile(fwd.configPath(),
            "credentials:\n  - name: mssp-app\n    client_id: " + std::string(kClientId) +
                "\n    client_secret_file: mssp.secret\n"
                "tenants_dir: tenants.d\n"
                "collection:\n  poll_interval: 2s\n"
                "state_dir: " +
                fwd.stateDir().string() + "\nsinks:\n  - type: file\n    path: " +
                (fwd.outputDir() / "audit.ndjson").string() + "\nhealth:\n  listen: 127.0.0.1:0\n");
  auto daemon = fwd.startDaemon();
  const std::string url = waitForHealthUrl(*daemon, 30s);
  ASSERT_FALSE(url.empty()) << daemon->stderrText();
  ASSERT_TRUE(waitFor([&] { return recordsOf(fwd, tenantGuid(3)) > 0; }, 30s))
      << daemon->stderrText();
  EXPECT_EQ(readStatus(url).tenants,
            (std::set<std::string>{"customer1", "customer2", "customer3"}));
  EXPECT_EQ(recordsOf(fwd, tenantGuid(4)), 0u);

  // 1. A new customer's file: its records arrive, without a restart.
  writeFile(tenants_d / "customer4.yaml", tenantFile(*sim, 4));
  daemon->signal(SIGHUP);
  ASSERT_TRUE(waitFor([&] { return recordsOf(fwd, tenantGuid(4)) > 0; }, 30s))
      << daemon->stderrText();
  EXPECT_TRUE(daemon->waitForStderr("Reload applied.", 10s)) << daemon->stderrText();

  // 2. A customer leaves: its streams go from /status, its collection stops.
  std::filesystem::remove(tenants_d / "customer2.yaml");
  daemon->signal(SIGHUP);
  ASSERT_TRUE(waitFor([&] { return readStatus(url).tenants.count("customer2") == 0; }, 30s))
      << daemon->stderrText();
  const std::size_t before = recordsOf(fwd, tenantGuid(2));
  EXPECT_GT(before, 0u);
  // Stay away while new blobs appear (customer1 receives two more).
  const std::size_t first = recordsOf(fwd, tenantGuid(1));
  ASSERT_TRUE(waitFor([&] { return recordsOf(fwd, tenantGuid(1)) >= first + 10; }, 30s))
      << daemon->stderrText();
  EXPECT_EQ(recordsOf(fwd, tenantGuid(2)), before) << "a removed tenant is not collected";

  // 3. It comes back while another customer's file is broken: the broken file is reported and
  // its tenant keeps running as it was; the returning one resumes from its watermark.
  writeFile(tenants_d / "customer3.yaml", tenantFile(*sim, 3) + "  colud: gcc\n");
  writeFile(tenants_d / "customer2.yaml", tenantFile(*sim, 2));
  daemon->signal(SIGHUP);
  ASSERT_TRUE(waitFor(
      [&] { return readStatus(url).problems.find("customer3.yaml") != std::string::npos; }, 30s))
      << readStatus(url).body;
  Status status = readStatus(url);
  EXPECT_NE(status.problems.find("colud"), std::string::npos) << status.problems;
  EXPECT_TRUE(daemon->waitForStderr("customer3.yaml is invalid", 10s)) << daemon->stderrText();
  ASSERT_TRUE(waitFor([&] { return readStatus(url).tenants.count("customer2") == 1; }, 30s))
      << daemon->stderrText();
  EXPECT_EQ(readStatus(url).tenants,
            (std::set<std::string>{"customer1", "customer2", "customer3", "customer4"}));

  // Every record of every tenant, the ones created while customer2 was away included, arrives
  // exactly once.
  std::size_t expected = 0;
  for (const LedgerEntry& e : sim->ledger()) expected += e.deliverable();
  EXPECT_TRUE(fwd.waitForLines(expected, 60s)) << daemon->stderrText();
  EXPECT_GT(recordsOf(fwd, tenantGuid(2)), before);
  EXPECT_TRUE(daemon->running());
  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(60s), 0) << daemon->stderrText();
  std::vector<RecordKey> delivered = fwd.delivered();
  DeliveryCheck check = checkDelivery(sim->ledger(), delivered);
  EXPECT_TRUE(check.ok()) << check.summary();
  EXPECT_EQ(duplicateCount(delivered), 0u);
}

}  // namespace
}  // namespace o365fwd::testing
