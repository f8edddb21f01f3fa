// An operator's secret mistake and its fix while the service runs: the daemon starts with a wrong
// client secret, shows the AADSTS error and its remedy in /status, and after the secret file is
// corrected and SIGHUP sent (systemctl reload), collects everything without a restart.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

TEST(SecretRotation, WrongSecretIsReportedAndSighupPicksUpTheFixedFile) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "6", "--records-per-blob", "10"}, dir);
  ASSERT_TRUE(sim);
  ForwarderOptions options;
  options.health_yaml = "  listen: 127.0.0.1:0\n";
  ForwarderHarness fwd(*sim, dir, options);
  const SimTenant tenant = sim->tenant(0);
  const auto secret_file = dir.path() / (tenant.name + ".secret");
  const std::string wrong = "Wq8~wrong-secret-value-0123456789abcd";
  std::ofstream(secret_file, std::ios::trunc) << wrong << "\n";
  ::chmod(secret_file.c_str(), 0600);
  std::size_t expected = 0;
  for (const LedgerEntry& e : sim->ledger()) expected += e.deliverable() ? 1 : 0;

  auto daemon = fwd.startDaemon();
  ASSERT_TRUE(daemon->waitForStderr("Health endpoint listening. url=", 30s))
      << daemon->stderrText();
  std::smatch m;
  std::string log = daemon->stderrText();
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(url=(http://\S+))")));
  const std::string url = m[1].str();

  // The status names the AADSTS code and what to do.
  std::string status_body;
  bool reported = false;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       std::chrono::steady_clock::now() < deadline;) {
    status_body = httpRequest("GET", url + "/status").body;
    rapidjson::Document doc;
    doc.Parse(status_body.c_str());
    if (doc.IsObject() && doc["streams"].Size() > 0 && doc["streams"][0]["last_error"].IsObject() &&
        std::string(doc["streams"][0]["state"].GetString()) == "error") {
      reported = true;
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_TRUE(reported) << status_body;
  EXPECT_NE(status_body.find("7000215"), std::string::npos) << status_body;
  EXPECT_NE(status_body.find("Value"), std::string::npos)
      << status_body;  // the secret's Value, not its ID
  EXPECT_EQ(status_body.find(wrong), std::string::npos);
  EXPECT_EQ(httpRequest("GET", url + "/readyz").status, 503);
  EXPECT_TRUE(fwd.outputLines().empty());

  // The operator pastes the right value and reloads.
  std::ofstream(secret_file, std::ios::trunc) << tenant.client_secret << "\n";
  daemon->signal(SIGHUP);
  ASSERT_TRUE(fwd.waitForLines(expected, 90s)) << daemon->stderrText();
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       httpRequest("GET", url + "/readyz").status != 200 &&
       std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(200ms);
  EXPECT_EQ(httpRequest("GET", url + "/readyz").status, 200)
      << httpRequest("GET", url + "/readyz").body;
  EXPECT_TRUE(daemon->running());  // no restart

  daemon->signal(SIGTERM);
  ASSERT_EQ(daemon->wait(60s), 0) << daemon->stderrText();
  std::vector<RecordKey> delivered = fwd.delivered();
  DeliveryCheck check = checkDelivery(sim->ledger(), delivered);
  EXPECT_TRUE(check.ok()) << check.summary();
  EXPECT_EQ(duplicateCount(delivered), 0u);
  const std::string all = daemon->stderrText() + daemon->stdoutText();
  EXPECT_EQ(all.find(wrong), std::string::npos);
  EXPECT_EQ(all.find(tenant.client_secret), std::string::npos);
}

TEST(SecretRotation, ReloadNamesWhatItCannotApplyAndRefusesABrokenFile) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "2", "--records-per-blob", "5"}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  auto daemon = fwd.startDaemon();
  ASSERT_TRUE(fwd.waitForLines(10, 60s)) << daemon->stderrText();
  std::string yaml;
  {
    std::ifstream in(fwd.configPath());
    yaml.assign(std::istreambuf_iterator<char>(in), {});
  }
  // A typo: the running configuration stays, the log says which line is wrong.
  std::ofstream(fwd.configPath(), std::ios::trunc) << yaml << "colection:\n  poll_interval: 5s\n";
  daemon->signal(SIGHUP);
  EXPECT_TRUE(daemon->waitForStderr("is invalid, so nothing but the secret", 30s))
      << daemon->stderrText();
  EXPECT_TRUE(daemon->waitForStderr("colection", 5s)) << daemon->stderrText();
  // A valid change that needs a restart is named.
  std::string changed = yaml;
  auto at = changed.find("poll_interval: 2s");
  ASSERT_NE(at, std::string::npos) << yaml;
  changed.replace(at, 17, "poll_interval: 5s");
  std::ofstream(fwd.configPath(), std::ios::trunc) << changed;
  daemon->signal(SIGHUP);
  EXPECT_TRUE(daemon->waitForStderr("Changed settings that a reload cannot apply: collection", 30s))
      << daemon->stderrText();
  EXPECT_TRUE(daemon->running());
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0) << daemon->stderrText();
}

}  // namespace
}  // namespace o365fwd::testing
