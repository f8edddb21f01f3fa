// Credential expiry (issue 13 part 3) seen by the operator of a running daemon: a certificate
// that expires in 5 days is an ERROR line (once), a degraded health headline with the remedy, a
// credential entry in /status, a series in /metrics and a row on the page, while collection and
// /readyz carry on; `validate` says it too; a renewed certificate and SIGHUP clear it.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/secrets/crypto.h"
#include "tests/support/forwarder_harness.h"
#include "tests/support/headless_browser.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_process.h"
#include "tests/support/test_paths.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(CredentialExpiry, CertificateExpiringInFiveDaysIsReportedEverywhere) {
  TempDir dir;
  const std::string certs = (dir.path() / "certs").string();
  auto sim = SimProcess::start({"--blobs", "2", "--records-per-blob", "5", "--certificates", certs,
                                "--certificate-days", "5"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderOptions options;
  options.use_certificate = true;
  options.health_yaml = "  listen: 127.0.0.1:0\n";
  ForwarderHarness fwd(*sim, dir, options);
  const SimTenant tenant = sim->tenant(0);
  const std::string credential = "tenant:" + tenant.name;
  std::size_t expected = 0;
  for (const LedgerEntry& e : sim->ledger()) expected += e.deliverable() ? 1 : 0;

  // validate: the certificate's expiry and that it must be renewed now (a warning: exit 0).
  RunOutcome validate = fwd.runCommand({"validate", "--offline"}, 60s);
  EXPECT_EQ(validate.exit_code, 0) << validate.stdout_text << validate.stderr_text;
  EXPECT_NE(validate.stdout_text.find("expires on "), std::string::npos) << validate.stdout_text;
  EXPECT_NE(validate.stdout_text.find("days); collection stops then: renew it now"),
            std::string::npos)
      << validate.stdout_text;

  auto daemon = fwd.startDaemon();
  const std::string url = waitForHealthUrl(*daemon, 30s);
  ASSERT_FALSE(url.empty()) << daemon->stderrText();
  ASSERT_TRUE(fwd.waitForLines(expected, 60s)) << daemon->stderrText();
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       httpRequest("GET", url + "/readyz").status != 200 &&
       std::chrono::steady_clock::now() < deadline;)
    std::this_thread::sleep_for(200ms);
  EXPECT_EQ(httpRequest("GET", url + "/readyz").status, 200) << "expiry does not affect readiness";

  // The ERROR line: once, naming the credential, the date and what to do.
  const std::string log = daemon->stderrText();
  const std::string line_start = "error [app.credentials] Credential " + credential;
  EXPECT_EQ(occurrences(log, line_start), 1u) << log;
  EXPECT_NE(log.find("(certificate " + tenant.certificate_file + ") expires on"), std::string::npos)
      << log;
  EXPECT_NE(log.find("upload a new certificate to the app registration"), std::string::npos);

  // /status: the credential entry and the degraded headline.
  const std::string status = httpRequest("GET", url + "/status").body;
  rapidjson::Document doc;
  doc.Parse(status.c_str());
  ASSERT_TRUE(doc.IsObject()) << status;
  ASSERT_TRUE(doc["credentials"].IsArray());
  ASSERT_EQ(doc["credentials"].Size(), 1u) << status;
  const auto& c = doc["credentials"][0];
  EXPECT_EQ(std::string(c["name"].GetString()), credential);
  EXPECT_EQ(std::string(c["kind"].GetString()), "certificate");
  EXPECT_EQ(std::string(c["level"].GetString()), "critical");
  EXPECT_GT(c["expires_in_seconds"].GetInt64(), 4 * 86400);
  EXPECT_LE(c["expires_in_seconds"].GetInt64(), 5 * 86400);
  EXPECT_EQ(c["tenant_count"].GetUint64(), 1u);
  EXPECT_EQ(std::string(doc["health"]["state"].GetString()), "degraded");
  EXPECT_NE(std::string(doc["health"]["headline"].GetString()).find("1 credential expiring"),
            std::string::npos)
      << status;
  EXPECT_TRUE(doc["ready"].GetBool());

  // /metrics and the page.
  const std::string metrics = httpRequest("GET", url + "/metrics").body;
  EXPECT_NE(metrics.find("o365fwd_credential_expiry_timestamp_seconds{credential=\"" + credential +
                         "\",kind=\"certificate\"} "),
            std::string::npos)
      << metrics;
  const std::string page = httpRequest("GET", url + "/").body;
  EXPECT_NE(page.find("data-credential=\"" + credential + "\" data-level=\"critical\""),
            std::string::npos);
  // As an operator sees it: the page in headless Chromium (its scripts ran) shows the
  // Credentials table with the expiring certificate; a screenshot for a person to look at.
  if (browserAvailable()) {
    BrowserResult rendered = dumpDom(url + "/", 2000ms);
    ASSERT_TRUE(rendered.error.empty()) << rendered.error;
    EXPECT_NE(rendered.dom.find("<h2>Credentials</h2>"), std::string::npos);
    EXPECT_NE(rendered.dom.find("data-credential=\"" + credential + "\" data-level=\"critical\""),
              std::string::npos);
    std::filesystem::path png = binaryDir() / "test-artifacts" / "credential_expiry_page.png";
    std::filesystem::create_directories(png.parent_path());
    std::string error;
    EXPECT_TRUE(screenshot(url + "/", png, 1280, 900, &error)) << error;
  }

  // o365fwd status (the terminal view of the running daemon).
  RunOutcome table = fwd.runCommand({"status"}, 30s);
  EXPECT_NE(table.stdout_text.find("Credentials to renew:"), std::string::npos)
      << table.stdout_text;

  // Renewed on disk and reloaded: the figure follows.
  auto renewed = crypto::generateSelfSigned("renewed", 2048, 400);
  ASSERT_TRUE(renewed.ok());
  std::ofstream(tenant.certificate_file, std::ios::trunc) << renewed->certificate_pem;
  daemon->signal(SIGHUP);
  std::string level;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(200ms)) {
    rapidjson::Document again;
    const std::string body = httpRequest("GET", url + "/status").body;
    again.Parse(body.c_str());
    if (!again.IsObject() || !again["credentials"].IsArray() || again["credentials"].Empty())
      continue;
    level = again["credentials"][0]["level"].GetString();
    if (level == "ok") break;
  }
  EXPECT_EQ(level, "ok");
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0) << daemon->stderrText();
}

}  // namespace
}  // namespace o365fwd::testing
