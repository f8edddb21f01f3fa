// The status page of a fleet in a real browser (issue 11): the daemon collects 1,000 simulated
// tenants (one content type each, to keep start-up inside the test's minute), five of which have
// unified auditing off so their streams report error. Headless Chromium loads GET /: the health
// headline says degraded apart from readiness, the five tenants in error are the first tenant
// rows, in natural order, the first answer holds one page of tenants (not 1,000), the filter
// links narrow the list, and a browser's Accept-Encoding gets brotli. The first render time the
// page records (data-load-ms, data-paint-ms) is printed, not asserted. A screenshot of the first
// screen is written to build/test-artifacts/fleet_status_page.png. `o365fwd status` prints the
// health first and only the problems, `--tenant` one tenant, `--all` every stream. Skipped without
// Chromium.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <regex>
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

constexpr int kTenants = 1000;
// Low numbers (start-up reaches them first, so the test need not wait for all 1,000) whose text
// order differs from their natural order (text order: tenant17, tenant230, tenant3, ...).
const std::vector<std::string> kBroken = {"tenant3", "tenant17", "tenant64", "tenant128",
                                          "tenant230"};

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::vector<std::string> tenantOrder(const std::string& dom) {
  std::vector<std::string> out;
  std::regex re("<details class=\"tenant\" data-tenant=\"([^\"]*)\" data-state=\"([^\"]*)\"");
  for (std::sregex_iterator it(dom.begin(), dom.end(), re), end; it != end; ++it)
    out.push_back((*it)[1].str() + ":" + (*it)[2].str());
  return out;
}

std::string attribute(const std::string& dom, const std::string& name) {
  std::smatch m;
  if (std::regex_search(dom, m, std::regex(name + "=\"([^\"]*)\""))) return m[1].str();
  return "";
}

TEST(FleetStatusPageTest, ErrorTenantsOpenTheFirstScreenOfAThousand) {
  if (!browserAvailable()) GTEST_SKIP() << "chromium is not installed (/usr/bin/chromium)";
  TempDir dir("o365fwd-fleet-page");
  auto sim = SimProcess::start(
      {"--tenants", std::to_string(kTenants), "--blobs", "1", "--records-per-blob", "2", "--span",
       "1h", "--content-types", "Audit.Exchange"},
      dir);
  ASSERT_TRUE(sim);
  for (const std::string& t : kBroken)
    ASSERT_EQ(
        sim->admin("POST", "/_sim/config", R"({"tenant":")" + t + R"(","auditing_enabled":false})")
            .status,
        200);
  ForwarderOptions options;
  options.tenant_yaml = "    content_types: [Audit.Exchange]\n";
  options.health_yaml = "  listen: 127.0.0.1:0\n";
  options.log_level = "warn";  // 1,000 tenants' INFO lines would only slow the secret scan
  ForwarderHarness fwd(*sim, dir, options);
  const auto started = std::chrono::steady_clock::now();
  auto daemon = fwd.startDaemon();
  // The endpoint publishes its URL in <state_dir>/health.url (the INFO line is not logged at warn).
  std::string url;
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       url.empty() && std::chrono::steady_clock::now() < deadline;) {
    std::ifstream in(fwd.stateDir() / "health.url");
    if (!(in >> url)) std::this_thread::sleep_for(200ms);
  }
  ASSERT_FALSE(url.empty()) << daemon->stderrText();

  // Until the five broken tenants report error (bounded wait).
  std::string body;
  bool settled = false;
  for (auto deadline = std::chrono::steady_clock::now() + 120s;
       !settled && std::chrono::steady_clock::now() < deadline;) {
    HttpResult r = httpRequest("GET", url + "/status");
    body = r.body;
    rapidjson::Document d;
    settled = r.status == 200 && !d.Parse(r.body.c_str()).HasParseError() && d.IsObject() &&
              d.HasMember("health") && d["health"]["tenants_error"].GetUint64() == kBroken.size() &&
              d["health"]["tenants"].GetUint64() == kTenants;
    if (!settled) std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(settled) << body.substr(0, 2000);
  std::printf("[ figures ] five tenants in error after %.1f s\n", secondsSince(started));

  // The first answer is one page of tenants; a browser's Accept-Encoding gets brotli.
  HttpResult plain = httpRequest("GET", url + "/");
  ASSERT_EQ(plain.status, 200);
  HttpRequestOptions gz;
  gz.url = url + "/";
  gz.accept_encoding = "gzip, deflate, br";
  HttpResult packed = httpRequest(gz);
  EXPECT_EQ(packed.header("Content-Encoding").value_or(""), "br");
  EXPECT_EQ(packed.body.rfind("<!DOCTYPE html>", 0), 0u) << "decoded by curl";
  EXPECT_EQ(plain.header("Content-Security-Policy").value_or(""),
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
            "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'");
  EXPECT_LT(plain.body.size(), 300u * 1024u) << "one page of tenants, not " << kTenants;
  std::printf("[ figures ] GET / at %d tenants: %zu bytes\n", kTenants, plain.body.size());

  BrowserResult page = dumpDom(url + "/", 2000ms);
  ASSERT_TRUE(page.ok) << page.error;
  const std::string& dom = page.dom;
  EXPECT_NE(dom.find("id=\"health\" class=\"degraded\""), std::string::npos);
  EXPECT_NE(dom.find("Degraded: 5 streams in error"), std::string::npos) << dom.substr(0, 4000);
  std::vector<std::string> order = tenantOrder(dom);
  ASSERT_EQ(order.size(), 50u);
  for (std::size_t i = 0; i < kBroken.size(); ++i) EXPECT_EQ(order[i], kBroken[i] + ":error");
  EXPECT_EQ(order[5], "tenant1:healthy");
  EXPECT_EQ(order[6], "tenant2:healthy");
  EXPECT_EQ(order[7], "tenant4:healthy");
  std::printf("[ figures ] first render in headless Chromium: load %s ms, first paint %s ms\n",
              attribute(dom, "data-load-ms").c_str(), attribute(dom, "data-paint-ms").c_str());

  // The "In error" link's target lists exactly the five.
  BrowserResult errors = dumpDom(url + "/?state=error", 500ms);
  ASSERT_TRUE(errors.ok) << errors.error;
  EXPECT_EQ(tenantOrder(errors.dom).size(), kBroken.size());
  BrowserResult search = dumpDom(url + "/?q=tenant99", 500ms);
  ASSERT_TRUE(search.ok) << search.error;
  EXPECT_EQ(tenantOrder(search.dom).size(), 11u);  // tenant99 and tenant990..tenant999
  std::printf("[ figures ] browser checks done after %.1f s\n", secondsSince(started));

  std::filesystem::path png = binaryDir() / "test-artifacts" / "fleet_status_page.png";
  std::filesystem::create_directories(png.parent_path());
  std::string error;
  ASSERT_TRUE(screenshot(url + "/", png, 1280, 720, &error)) << error;
  EXPECT_GT(std::filesystem::file_size(png), 10u * 1024u);

  // `o365fwd status` (part 7): the health first, then only the problems and a hint — not 1,000
  // lines; --tenant and --all.
  auto command_started = std::chrono::steady_clock::now();
  RunOutcome status = fwd.runCommand({"status"}, 60s);
  std::printf("[ figures ] o365fwd status: %.1f s\n", secondsSince(command_started));
  EXPECT_EQ(status.exit_code, 1) << status.stderr_text;
  const std::string& text = status.stdout_text;
  EXPECT_EQ(text.rfind("Health: Degraded: 5 streams in error", 0), 0u) << text;
  EXPECT_LT(std::count(text.begin(), text.end(), '\n'), 30) << text;
  std::size_t last = 0;
  for (const std::string& t : kBroken) {  // problems, in natural order
    const std::size_t at = text.find(t + "  ");
    EXPECT_NE(at, std::string::npos) << t << "\n" << text;
    EXPECT_GT(at, last) << t;
    last = at;
  }
  EXPECT_NE(text.find("995 healthy streams not shown"), std::string::npos) << text;
  RunOutcome one = fwd.runCommand({"status", "--tenant", "tenant64"}, 60s);
  EXPECT_EQ(one.exit_code, 1);
  EXPECT_NE(one.stdout_text.find("tenant64  Audit.Exchange  Error"), std::string::npos)
      << one.stdout_text;
  EXPECT_EQ(fwd.runCommand({"status", "--tenant", "tenant1"}, 60s).exit_code, 0);
  RunOutcome all = fwd.runCommand({"status", "--all"}, 60s);
  EXPECT_GT(std::count(all.stdout_text.begin(), all.stdout_text.end(), '\n'), kTenants);

  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0);
  std::printf("[ figures ] stopped after %.1f s\n", secondsSince(started));
}

}  // namespace
}  // namespace o365fwd::testing
