// A hostile API that echoes credentials: the simulator's --echo-credentials mode quotes the
// Authorization header, the client secret and the client assertion (bare and labelled) in every
// error body of the token and API endpoints. Nothing of any of them may reach the `run --once`
// summary, the logs, `validate` (text and JSON), /status, /metrics, the page, the dead-letter index
// or the state database. (The suite-wide check in tests/support/secret_scan.h looks at the same
// places after every integration test; these tests assert it explicitly for the echo mode.)
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

// Every value the simulator knows or issued, plus the first segment of each JWT among them.
std::vector<std::string> forbidden(const SimProcess& sim, const std::string& extra = "") {
  std::vector<std::string> out;
  std::ifstream in(sim.issuedTokensPath());
  std::string line;
  while (std::getline(in, line)) {
    auto space = line.find(' ');
    if (space == std::string::npos) continue;
    std::string value = line.substr(space + 1);
    out.push_back(value);
    auto dot = value.find('.');
    if (dot != std::string::npos && value.rfind("eyJ", 0) == 0) out.push_back(value.substr(0, dot));
  }
  if (!extra.empty()) out.push_back(extra);
  return out;
}

std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Fails naming `what` and the position, never the value.
void expectClean(const std::string& text, const std::string& what,
                 const std::vector<std::string>& values) {
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(text.find(values[i]), std::string::npos)
        << what << " holds forbidden value #" << i << " (" << values[i].size() << " chars)";
}

void expectFilesClean(const std::filesystem::path& dir, const std::vector<std::string>& values) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file()) expectClean(readAll(it->path()), it->path().string(), values);
}

TEST(SecretEcho, WrongSecretEchoedByTheTokenEndpointStaysOutOfEveryOutput) {
  TempDir dir;
  auto sim = SimProcess::start({"--echo-credentials", "--blobs", "3"}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir);
  const SimTenant tenant = sim->tenant(0);
  const std::string wrong = "Wq8~echoed-wrong-secret-0123456789abcd";
  const auto secret_file = dir.path() / (tenant.name + ".secret");
  std::ofstream(secret_file, std::ios::trunc) << wrong << "\n";
  ::chmod(secret_file.c_str(), 0600);

  // AADSTS7000215 is explained by the forwarder's own words; the echo must not leak anyway.
  RunOutcome wrong_run = fwd.runOnce(90s);
  ASSERT_TRUE(wrong_run.exit_code.has_value());
  EXPECT_NE(*wrong_run.exit_code, 0);
  EXPECT_NE((wrong_run.stdout_text + wrong_run.stderr_text).find("7000215"), std::string::npos);
  auto values = forbidden(*sim, wrong);
  expectClean(wrong_run.stdout_text, "run --once stdout", values);
  expectClean(wrong_run.stderr_text, "run --once stderr", values);

  // An AADSTS code the forwarder does not know: its description (with the echo) is shown, in
  // the run --once summary and its result line too.
  ASSERT_EQ(sim->admin("POST", "/_sim/config", R"({"forced_token_error": 90099})").status, 200);
  RunOutcome run = fwd.runOnce(90s);
  ASSERT_TRUE(run.exit_code.has_value());
  EXPECT_NE(*run.exit_code, 0);
  const std::string all = run.stdout_text + run.stderr_text;
  EXPECT_NE(all.find("[echo]"), std::string::npos) << all;
  EXPECT_NE(all.find("client_secret=***"), std::string::npos) << all;
  values = forbidden(*sim, wrong);
  expectClean(run.stdout_text, "run --once stdout", values);
  expectClean(run.stderr_text, "run --once stderr", values);

  RunOutcome text = fwd.runCommand({"validate"}, 90s);
  RunOutcome json = fwd.runCommand({"validate", "--json"}, 90s);
  EXPECT_NE((text.stdout_text + text.stderr_text).find("[echo]"), std::string::npos)
      << text.stdout_text << text.stderr_text;
  EXPECT_NE(json.stdout_text.find("[echo]"), std::string::npos) << json.stdout_text;
  values = forbidden(*sim, wrong);
  expectClean(text.stdout_text + text.stderr_text, "validate", values);
  expectClean(json.stdout_text + json.stderr_text, "validate --json", values);
  expectFilesClean(fwd.stateDir(), values);
  expectFilesClean(fwd.outputDir(), values);
}

TEST(SecretEcho, ApiErrorsEchoingTokenAndAssertionStayOutOfEveryOutput) {
  TempDir dir;
  auto sim =
      SimProcess::start({"--echo-credentials", "--certificates", dir.file("certs"), "--blobs", "8",
                         "--records-per-blob", "5", "--invalid-json-blobs", "1"},
                        dir);
  ASSERT_TRUE(sim);
  ForwarderOptions options;
  options.use_certificate = true;
  options.health_yaml = "  listen: 127.0.0.1:0\n";
  ForwarderHarness fwd(*sim, dir, options);
  auto daemon = fwd.startDaemon();
  const std::string url = waitForHealthUrl(*daemon, 30s);
  ASSERT_FALSE(url.empty()) << daemon->stderrText();
  // A permanent API error on one stream once its subscription runs: the listing fails with
  // AF20023, whose message carries the echo.
  ASSERT_TRUE(daemon->waitForStderr(
      "Subscription started. tenant=contoso content_type=Audit.Exchange", 60s))
      << daemon->stderrText();
  ASSERT_EQ(sim->admin("POST", "/_sim/config",
                       R"({"subscriptions": {"Audit.Exchange": "disabled_by_admin"}})")
                .status,
            200);
  // The API's error bodies do quote the bearer token and the assertion (the echo is real).
  {
    const std::string token = sim->token();
    ASSERT_FALSE(token.empty());
    HttpResult r = sim->get(sim->apiRoot() + "/subscriptions/content?contentType=Audit.Exchange&" +
                                "PublisherIdentifier=" + sim->tenant(0).tenant_id,
                            token);
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.body.find("Authorization: Bearer " + token), std::string::npos);
    EXPECT_NE(r.body.find("client_assertion=eyJ"), std::string::npos);
  }
  // Then every token request fails with an AADSTS code the forwarder does not know, so its
  // description (echoing the client assertion) reaches the log, /status and the page.
  ASSERT_EQ(sim->admin("POST", "/_sim/config",
                       R"({"forced_token_error": 90099, "expire_tokens_now": true})")
                .status,
            200);

  // Wait until API errors carrying the echo were seen and the collection went on.
  bool echoed = false;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       std::chrono::steady_clock::now() < deadline && !echoed;) {
    echoed = daemon->stderrText().find("[echo]") != std::string::npos;
    if (!echoed) std::this_thread::sleep_for(250ms);
  }
  ASSERT_TRUE(echoed) << "no echoed API error reached the log:\n" << daemon->stderrText();

  auto values = forbidden(*sim);
  ASSERT_FALSE(values.empty());
  bool saw_assertion = false;
  {
    std::ifstream in(sim->issuedTokensPath());
    std::string line;
    while (std::getline(in, line)) saw_assertion |= line.rfind("assertion ", 0) == 0;
  }
  EXPECT_TRUE(saw_assertion) << "the simulator recorded no client assertion";
  for (const char* path : {"/status", "/status?pretty", "/metrics", "/"}) {
    HttpResult r = httpRequest("GET", url + path);
    EXPECT_EQ(r.status, 200) << path;
    expectClean(r.body, std::string("GET ") + path, values);
    // The stream's last_error quotes the echo, masked.
    if (std::string(path) == "/status") {
      EXPECT_NE(r.body.find("[echo]"), std::string::npos) << r.body;
    }
  }
  RunOutcome status = fwd.runCommand({"status"}, 30s);
  expectClean(status.stdout_text + status.stderr_text, "o365fwd status", values);
  daemon->signal(SIGTERM);
  daemon->wait(30s);
  values = forbidden(*sim);
  expectClean(daemon->stdoutText(), "daemon stdout", values);
  expectClean(daemon->stderrText(), "daemon stderr", values);
  EXPECT_NE(daemon->stderrText().find("***"), std::string::npos);
  expectFilesClean(fwd.stateDir(), values);
  expectFilesClean(fwd.outputDir(), values);
}

}  // namespace
}  // namespace o365fwd::testing
