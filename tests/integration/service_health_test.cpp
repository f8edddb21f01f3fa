// Microsoft 365 service health end to end: o365fwd-sim serves Graph service announcements (three
// issues per tenant, two per page, so @odata.nextLink paging is followed) and the daemon, with
// `service_health: true`, forwards each issue once as a ServiceHealth.Issue record into the file
// sink, does not send them again after a restart, sends an updated issue again as a change, shows
// the open Exchange incident next to Audit.Exchange in /status, the page and /metrics, and shows a
// missing ServiceHealth.Read.All permission with its remedy in /status and `o365fwd status` while
// the tenant's audit records are collected as usual.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/headless_browser.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kBlobs = 3, kRecordsPerBlob = 4;

std::vector<std::string> issueLines(const ForwarderHarness& fwd) {
  std::vector<std::string> out;
  for (const std::string& line : fwd.outputLines())
    if (line.find("\"contentType\":\"ServiceHealth.Issue\"") != std::string::npos)
      out.push_back(line);
  return out;
}

std::size_t auditLines(const ForwarderHarness& fwd) {
  std::size_t n = 0;
  for (const std::string& line : fwd.outputLines())
    n += line.find("ServiceHealth.Issue") == std::string::npos;
  return n;
}

// Polls /status until `done(document)` holds; false after 90 s (the last body in *last).
template <typename Pred>
bool waitForStatus(const std::string& url, Pred done, std::string* last) {
  auto deadline = std::chrono::steady_clock::now() + 90s;
  while (std::chrono::steady_clock::now() < deadline) {
    HttpResult r = httpRequest("GET", url + "/status");
    *last = r.body;
    rapidjson::Document d;
    if (r.status == 200 && !d.Parse(r.body.c_str()).HasParseError() && d.IsObject() &&
        d.HasMember("service_health") && done(d))
      return true;
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

const rapidjson::Value* healthOf(const rapidjson::Document& d, const std::string& tenant) {
  for (const auto& h : d["service_health"].GetArray())
    if (h["tenant"].GetString() == tenant) return &h;
  return nullptr;
}

bool tenantOk(const rapidjson::Document& d, const std::string& tenant, std::uint64_t forwarded) {
  const rapidjson::Value* h = healthOf(d, tenant);
  return h && std::string((*h)["state"].GetString()) == "ok" &&
         (*h)["issues_forwarded"].GetUint64() == forwarded;
}

std::vector<std::string> streamIssues(const rapidjson::Document& d, const std::string& tenant,
                                      const std::string& content_type) {
  std::vector<std::string> out;
  for (const auto& s : d["streams"].GetArray())
    if (s["tenant"].GetString() == tenant && s["content_type"].GetString() == content_type &&
        s.HasMember("service_issues"))
      for (const auto& id : s["service_issues"].GetArray()) out.emplace_back(id.GetString());
  return out;
}

class ServiceHealthTest : public ::testing::Test {
 protected:
  void startSim() {
    sim_ = SimProcess::start(
        {"--tenants", "2", "--blobs", std::to_string(kBlobs), "--records-per-blob",
         std::to_string(kRecordsPerBlob), "--span", "1h", "--content-types", "Audit.Exchange",
         "--service-health-issues", "3", "--graph-page-size", "2"},
        dir_);
    ASSERT_TRUE(sim_);
    ForwarderOptions options;
    options.tenant_yaml =
        "    content_types: [Audit.Exchange]\n    service_health: true\n"
        "    graph_url: " +
        sim_->url() + "\n";
    options.health_yaml = "  listen: 127.0.0.1:0\n";
    fwd_ = std::make_unique<ForwarderHarness>(*sim_, dir_, options);
  }
  std::string startDaemon() {
    daemon_ = fwd_->startDaemon();
    EXPECT_TRUE(daemon_);
    if (!daemon_) return "";
    std::string url = waitForHealthUrl(*daemon_, 30s);
    EXPECT_FALSE(url.empty()) << daemon_->stderrText();
    return url;
  }
  void stopDaemon() {
    daemon_->signal(SIGTERM);
    EXPECT_EQ(daemon_->wait(60s), std::optional<int>(0)) << daemon_->stderrText();
  }

  TempDir dir_;
  std::unique_ptr<SimProcess> sim_;
  std::unique_ptr<ForwarderHarness> fwd_;
  std::unique_ptr<ChildProcess> daemon_;
};

TEST_F(ServiceHealthTest, IssuesForwardedOnceAcrossRestartAndAgainWhenChanged) {
  startSim();
  const std::string t0 = sim_->tenant(0).name, t1 = sim_->tenant(1).name;
  std::string url = startDaemon();
  ASSERT_FALSE(url.empty());
  std::string body;
  ASSERT_TRUE(waitForStatus(
      url, [&](const auto& d) { return tenantOk(d, t0, 3) && tenantOk(d, t1, 3); }, &body))
      << body << daemon_->stderrText();
  ASSERT_TRUE(fwd_->waitForLines(6 + 2 * kBlobs * kRecordsPerBlob, 60s));
  std::vector<std::string> lines = issueLines(*fwd_);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_NE(lines[0].find("\"o365fwd\":{\"tenant\":\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\"posts\":["), std::string::npos) << lines[0];

  // The open Exchange incident next to Audit.Exchange: /status, the page, /metrics.
  rapidjson::Document d;
  d.Parse(body.c_str());
  EXPECT_EQ(streamIssues(d, t0, "Audit.Exchange"), std::vector<std::string>{"EX100000"});
  const rapidjson::Value* h0 = healthOf(d, t0);
  ASSERT_TRUE(h0);
  EXPECT_EQ((*h0)["open_issues_total"].GetUint64(), 2u);  // EX open, SP open, ID resolved
  HttpResult page = httpRequest("GET", url + "/");
  ASSERT_EQ(page.status, 200);
  const std::string row = "<tr class=\"service-issues\" data-tenant=\"" + t0 +
                          "\" data-content-type=\"Audit.Exchange\">";
  auto at = page.body.find(row);
  ASSERT_NE(at, std::string::npos) << page.body.substr(0, 4000);
  EXPECT_NE(page.body.find("EX100000", at), std::string::npos);
  // As an operator sees it: the page in headless Chromium, searched for the tenant; a
  // screenshot for a person to look at.
  if (browserAvailable()) {
    BrowserResult rendered = dumpDom(url + "/?q=" + t0, 2000ms);
    ASSERT_TRUE(rendered.error.empty()) << rendered.error;
    EXPECT_NE(rendered.dom.find(row), std::string::npos);
    // The tenant's summary line says it without opening the tenant.
    EXPECT_NE(rendered.dom.find("Audit.Exchange: Microsoft service issue open: EX100000"),
              std::string::npos);
    std::filesystem::path png = binaryDir() / "test-artifacts" / "service_health_page.png";
    std::filesystem::create_directories(png.parent_path());
    std::string error;
    EXPECT_TRUE(screenshot(url + "/?q=" + t0, png, 1280, 900, &error)) << error;
  }
  HttpResult metrics = httpRequest("GET", url + "/metrics");
  EXPECT_NE(metrics.body.find(
                "o365fwd_service_health_open_issues{service=\"Exchange Online\",classification="
                "\"incident\"} 2"),
            std::string::npos)
      << metrics.body.substr(metrics.body.find("service_health") == std::string::npos
                                 ? 0
                                 : metrics.body.find("service_health") - 30);

  // A restart sends nothing again.
  stopDaemon();
  url = startDaemon();
  ASSERT_FALSE(url.empty());
  ASSERT_TRUE(waitForStatus(
      url, [&](const auto& doc) { return tenantOk(doc, t0, 0) && tenantOk(doc, t1, 0); }, &body))
      << body;
  EXPECT_EQ(issueLines(*fwd_).size(), 6u);

  // Microsoft updates then resolves the incident: each version is forwarded once more.
  HttpResult r =
      sim_->admin("POST", "/_sim/service_health",
                  "{\"tenant\":\"" + t0 +
                      "\",\"update\":{\"id\":\"EX100000\",\"status\":\"serviceRestored\","
                      "\"resolved\":true}}");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(httpRequest("POST", url + "/sync").status / 100, 2);
  ASSERT_TRUE(waitForStatus(
      url, [&](const auto& doc) { return tenantOk(doc, t0, 1) && tenantOk(doc, t1, 0); }, &body))
      << body;
  lines = issueLines(*fwd_);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_NE(lines.back().find("\"id\":\"EX100000\""), std::string::npos) << lines.back();
  EXPECT_NE(lines.back().find("\"isResolved\":true"), std::string::npos) << lines.back();
  d.Parse(body.c_str());
  EXPECT_TRUE(streamIssues(d, t0, "Audit.Exchange").empty()) << body;
  EXPECT_EQ(auditLines(*fwd_), 2u * kBlobs * kRecordsPerBlob);
  stopDaemon();
}

// run --once collects what is available now: each tenant's service health is polled once and
// its issues forwarded before the exit; a second run sends none of them again.
TEST_F(ServiceHealthTest, RunOnceForwardsEachIssueOnceBeforeItExits) {
  startSim();
  RunOutcome first = fwd_->runOnce();
  ASSERT_EQ(first.exit_code, 0) << first.stderr_text;
  EXPECT_EQ(issueLines(*fwd_).size(), 6u) << first.stderr_text;
  EXPECT_NE(first.stderr_text.find("Service health polled once. tenants=2 issues_forwarded=6 "
                                   "tenants_failed=0"),
            std::string::npos)
      << first.stderr_text;
  RunOutcome second = fwd_->runOnce();
  ASSERT_EQ(second.exit_code, 0) << second.stderr_text;
  EXPECT_EQ(issueLines(*fwd_).size(), 6u);
  EXPECT_NE(second.stderr_text.find("issues_forwarded=0"), std::string::npos) << second.stderr_text;
  EXPECT_EQ(auditLines(*fwd_), 2u * kBlobs * kRecordsPerBlob);
}

TEST_F(ServiceHealthTest, MissingPermissionShownWithRemedyAndAuditUnaffected) {
  startSim();
  const std::string t0 = sim_->tenant(0).name, t1 = sim_->tenant(1).name;
  HttpResult r = sim_->admin("POST", "/_sim/service_health",
                             "{\"tenant\":\"" + t0 + "\",\"permission\":false}");
  ASSERT_EQ(r.status, 200) << r.body;
  std::string url = startDaemon();
  ASSERT_FALSE(url.empty());
  std::string body;
  ASSERT_TRUE(waitForStatus(
      url,
      [&](const auto& d) {
        const rapidjson::Value* h = healthOf(d, t0);
        return h && std::string((*h)["state"].GetString()) == "error" && tenantOk(d, t1, 3);
      },
      &body))
      << body;
  rapidjson::Document d;
  d.Parse(body.c_str());
  const rapidjson::Value& error = (*healthOf(d, t0))["last_error"];
  EXPECT_STREQ(error["code"].GetString(), "ServiceHealth.Read.All");
  const std::string message = error["message"].GetString();
  EXPECT_NE(message.find("403"), std::string::npos) << message;
  EXPECT_NE(message.find("Grant admin consent"), std::string::npos) << message;

  // Audit collection of both tenants goes on.
  ASSERT_TRUE(fwd_->waitForLines(3 + 2 * kBlobs * kRecordsPerBlob, 60s));
  EXPECT_EQ(auditLines(*fwd_), 2u * kBlobs * kRecordsPerBlob);
  EXPECT_EQ(issueLines(*fwd_).size(), 3u);  // tenant 1's only

  RunOutcome status = fwd_->runCommand({"status"}, 30s);
  EXPECT_NE(status.stdout_text.find("Service health cannot be read"), std::string::npos)
      << status.stdout_text;
  EXPECT_NE(status.stdout_text.find(t0 + ": ServiceHealth.Read.All"), std::string::npos)
      << status.stdout_text;
  stopDaemon();
}

}  // namespace
}  // namespace o365fwd::testing
