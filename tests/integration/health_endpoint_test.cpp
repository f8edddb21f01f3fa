// The health endpoint of the real daemon against the simulator: readiness, /status and /metrics
// figures matching what was delivered, POST /sync starting a poll, stream errors appearing in
// /status, the token on a non-loopback address, and `o365fwd status` on a running and a stopped
// instance (lag judged from the state database).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/stat.h>

#include <csignal>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "core/time_format.h"
#include "pipeline/state/state_store.h"
#include "tests/support/forwarder_harness.h"
#include "tests/support/http_client.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

std::size_t deliverable(const SimProcess& sim) {
  std::size_t n = 0;
  for (const LedgerEntry& e : sim.ledger()) n += e.deliverable() ? 1 : 0;
  return n;
}

rapidjson::Document statusOf(const std::string& url, std::vector<std::string> headers = {}) {
  rapidjson::Document doc;
  HttpResult r = httpRequest("GET", url + "/status", "", std::move(headers));
  doc.Parse(r.body.c_str());
  return doc;
}

const rapidjson::Value* findStream(const rapidjson::Document& doc, const std::string& tenant,
                                   const std::string& ct) {
  if (!doc.IsObject() || !doc.HasMember("streams")) return nullptr;
  for (const auto& s : doc["streams"].GetArray())
    if (tenant == s["tenant"].GetString() && ct == s["content_type"].GetString()) return &s;
  return nullptr;
}

// Waits until `check(status document)` holds; false after `timeout`.
template <typename Check>
bool waitForStatus(const std::string& url, Check check, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    rapidjson::Document doc = statusOf(url);
    if (doc.IsObject() && check(doc)) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

// Sum of a metric family's samples whose label text contains every `needle`.
double metricSum(const std::string& text, const std::string& name,
                 const std::vector<std::string>& needles = {}) {
  double sum = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + "{", 0) != 0 && line.rfind(name + " ", 0) != 0) continue;
    bool all = true;
    for (const std::string& n : needles) all = all && line.find(n) != std::string::npos;
    if (all) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

ForwarderOptions daemonOptions() {
  ForwarderOptions o;
  o.health_yaml = "  listen: 127.0.0.1:0\n";
  o.collection_yaml = "    poll_interval: 1h\n";  // later polls only when asked (POST /sync)
  return o;
}

TEST(HealthEndpoint, StatusMetricsSyncAndStatusCommandFollowTheDaemon) {
  TempDir dir;
  auto sim = SimProcess::start({"--tenants", "2", "--blobs", "8", "--records-per-blob", "20"}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir, daemonOptions());
  const std::size_t expected = deliverable(*sim);
  ASSERT_GT(expected, 0u);
  auto daemon = fwd.startDaemon();
  const std::string url = waitForHealthUrl(*daemon, 30s);
  ASSERT_FALSE(url.empty()) << daemon->stderrText();

  EXPECT_EQ(httpRequest("GET", url + "/livez").status, 200);
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (httpRequest("GET", url + "/readyz").status != 200 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(200ms);
  ASSERT_EQ(httpRequest("GET", url + "/readyz").status, 200)
      << httpRequest("GET", url + "/readyz").body;

  // /status: every stream active, the counts match the ledger.
  rapidjson::Document doc = statusOf(url);
  ASSERT_TRUE(doc.IsObject());
  EXPECT_TRUE(doc["ready"].GetBool());
  ASSERT_EQ(doc["streams"].Size(), 10u);
  std::uint64_t forwarded = 0;
  for (const auto& s : doc["streams"].GetArray()) {
    EXPECT_STREQ(s["state"].GetString(), "active")
        << s["tenant"].GetString() << " " << s["content_type"].GetString();
    EXPECT_TRUE(s["last_success"].IsString());
    ASSERT_TRUE(s["lag_seconds"].IsInt64());
    EXPECT_LT(s["lag_seconds"].GetInt64(), 600);
    EXPECT_STREQ(s["lag_level"].GetString(), "ok");
    EXPECT_EQ(s["blobs_pending"].GetUint64(), 0u);
    EXPECT_TRUE(s["last_error"].IsNull());
    forwarded += s["events_forwarded"].GetUint64();
  }
  EXPECT_EQ(forwarded, expected);
  EXPECT_EQ(fwd.outputLines().size(), expected);
  ASSERT_EQ(doc["sinks"].Size(), 1u);
  EXPECT_STREQ(doc["sinks"][0]["state"].GetString(), "up");
  EXPECT_EQ(doc["sinks"][0]["delivered"].GetUint64(), expected);

  // /metrics agrees (health.metrics_detail: stream, the default: the API figures summed over
  // the tenants, token failures per tenant).
  std::string metrics = httpRequest("GET", url + "/metrics").body;
  EXPECT_EQ(metricSum(metrics, "o365fwd_records_forwarded_total"), static_cast<double>(expected));
  EXPECT_GE(metricSum(metrics, "o365fwd_api_requests_total",
                      {"endpoint=\"content_blob\"", "result=\"2xx\""}),
            80.0);
  EXPECT_GE(metricSum(metrics, "o365fwd_token_refreshes_total"), 2.0);
  EXPECT_EQ(metricSum(metrics, "o365fwd_content_blobs_done_total"), 80.0);
  EXPECT_EQ(metricSum(metrics, "o365fwd_streams", {"state=\"active\""}), 10.0);
  for (const char* tenant : {"tenant1", "tenant2"}) {
    std::string t = std::string("tenant=\"") + tenant + "\"";
    EXPECT_NE(metrics.find("o365fwd_token_failures_total{" + t + "} 0\n"), std::string::npos)
        << tenant;
    EXPECT_GT(metricSum(metrics, "o365fwd_records_forwarded_total", {t}), 0.0) << tenant;
  }
  EXPECT_EQ(metricSum(metrics, "o365fwd_sink_up"), 1.0);
  EXPECT_EQ(metricSum(metrics, "o365fwd_ready"), 1.0);

  // `o365fwd status` reads the running instance.
  RunOutcome table = fwd.runCommand({"status"}, 30s);
  EXPECT_EQ(table.exit_code, 0) << table.stdout_text << table.stderr_text;
  EXPECT_NE(table.stdout_text.find("is running since"), std::string::npos) << table.stdout_text;
  EXPECT_NE(table.stdout_text.find("tenant2  DLP.All"), std::string::npos) << table.stdout_text;
  RunOutcome json = fwd.runCommand({"status", "--json"}, 30s);
  EXPECT_EQ(json.exit_code, 0);
  rapidjson::Document cli;
  cli.Parse(json.stdout_text.c_str());
  ASSERT_TRUE(cli.IsObject()) << json.stdout_text;
  EXPECT_STREQ(cli["source"].GetString(), "live");
  EXPECT_EQ(cli["streams"].Size(), 10u);

  // An administrator disables a subscription, another tenant turns auditing off; "Sync Now"
  // polls at once (poll_interval is 1 h) and the status shows each stream's problem.
  ASSERT_EQ(
      sim->admin("POST", "/_sim/config",
                 R"({"tenant":"tenant1","subscriptions":{"Audit.General":"disabled_by_admin"}})")
          .status,
      200);
  ASSERT_EQ(
      sim->admin("POST", "/_sim/config", R"({"tenant":"tenant2","auditing_enabled":false})").status,
      200);
  EXPECT_EQ(httpRequest("POST", url + "/sync").status, 202);
  bool shown = waitForStatus(
      url,
      [](const rapidjson::Document& d) {
        const auto* general = findStream(d, "tenant1", "Audit.General");
        const auto* exchange = findStream(d, "tenant2", "Audit.Exchange");
        return general && exchange && std::string((*general)["state"].GetString()) == "disabled" &&
               std::string((*exchange)["state"].GetString()) == "error";
      },
      60s);
  rapidjson::Document after = statusOf(url);
  ASSERT_TRUE(shown) << httpRequest("GET", url + "/status?pretty").body;
  const auto* general = findStream(after, "tenant1", "Audit.General");
  ASSERT_TRUE(general && (*general)["last_error"].IsObject());
  EXPECT_STREQ((*general)["last_error"]["code"].GetString(), "AF20023");
  const auto* exchange = findStream(after, "tenant2", "Audit.Exchange");
  ASSERT_TRUE(exchange && (*exchange)["last_error"].IsObject());
  EXPECT_NE(std::string((*exchange)["last_error"]["message"].GetString()).find("audit"),
            std::string::npos)
      << (*exchange)["last_error"]["message"].GetString();
  const auto* healthy = findStream(after, "tenant1", "Audit.Exchange");
  ASSERT_TRUE(healthy);
  EXPECT_STREQ((*healthy)["state"].GetString(), "active");
  metrics = httpRequest("GET", url + "/metrics").body;
  EXPECT_EQ(
      metricSum(metrics, "o365fwd_stream_state",
                {"tenant=\"tenant1\"", "content_type=\"Audit.General\"", "state=\"disabled\""}),
      1.0);
  RunOutcome failing = fwd.runCommand({"status"}, 30s);
  EXPECT_EQ(failing.exit_code, 1) << failing.stdout_text;
  EXPECT_NE(failing.stdout_text.find("AF20023"), std::string::npos) << failing.stdout_text;

  // Stopped: readiness goes with it, and `status` falls back to the state database.
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(90s), 0) << daemon->stderrText();
  RunOutcome stopped = fwd.runCommand({"status"}, 30s);
  EXPECT_EQ(stopped.exit_code, 1);
  EXPECT_NE(stopped.stdout_text.find("not running"), std::string::npos) << stopped.stdout_text;
  EXPECT_NE(stopped.stdout_text.find("Stopped"), std::string::npos);
  RunOutcome stopped_json = fwd.runCommand({"status", "--json"}, 30s);
  rapidjson::Document stored;
  stored.Parse(stopped_json.stdout_text.c_str());
  ASSERT_TRUE(stored.IsObject()) << stopped_json.stdout_text;
  EXPECT_STREQ(stored["source"].GetString(), "state");
  std::uint64_t stored_forwarded = 0;
  for (const auto& s : stored["streams"].GetArray())
    stored_forwarded += s["events_forwarded"].GetUint64();
  EXPECT_EQ(stored_forwarded, expected);
}

TEST(HealthEndpoint, NonLoopbackAddressRequiresTheToken) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "2", "--records-per-blob", "5"}, dir);
  ASSERT_TRUE(sim);
  const std::string token = "health-token-7d1f0c2a9b";
  const auto token_file = dir.path() / "health.token";
  std::ofstream(token_file) << token << "\n";
  ::chmod(token_file.c_str(), 0600);
  ForwarderOptions o = daemonOptions();
  o.health_yaml = "  listen: 0.0.0.0:0\n  token_file: " + token_file.string() + "\n";
  ForwarderHarness fwd(*sim, dir, o);
  auto daemon = fwd.startDaemon();
  std::string url = waitForHealthUrl(*daemon, 30s);
  ASSERT_FALSE(url.empty()) << daemon->stderrText();
  url = "http://127.0.0.1:" + url.substr(url.rfind(':') + 1);
  EXPECT_EQ(httpRequest("GET", url + "/livez").status, 200);
  EXPECT_EQ(httpRequest("GET", url + "/status").status, 401);
  EXPECT_EQ(httpRequest("GET", url + "/metrics").status, 401);
  EXPECT_EQ(httpRequest("GET", url + "/").status, 401);
  EXPECT_EQ(httpRequest("POST", url + "/sync").status, 401);
  HttpResult ok = httpRequest("GET", url + "/status", "", {"Authorization: Bearer " + token});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body.find(token), std::string::npos);
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0);
  EXPECT_EQ(daemon->stderrText().find(token), std::string::npos);
}

TEST(StatusCommand, JudgesLagFromTheStateDatabase) {
  TempDir dir;
  auto sim = SimProcess::start({"--blobs", "1", "--records-per-blob", "1"}, dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir, ForwarderOptions{});
  const std::string tenant = sim->tenant(0).name;
  {
    auto store = openSqliteStateStore(fwd.stateDir());
    ASSERT_TRUE(store.ok()) << store.error().message;
    WallTime now = std::chrono::system_clock::now();
    ASSERT_TRUE((*store)
                    ->commit({},
                             {{StreamKey{tenant, "Audit.Exchange"}, now - 80h},
                              {StreamKey{tenant, "Audit.General"}, now - 30h},
                              {StreamKey{tenant, "DLP.All"}, now - 1h}},
                             now)
                    .ok());
  }
  RunOutcome table = fwd.runCommand({"status"}, 30s);
  EXPECT_EQ(table.exit_code, 1) << table.stderr_text;
  EXPECT_NE(table.stdout_text.find("3 d 8 h (critical)"), std::string::npos) << table.stdout_text;
  EXPECT_NE(table.stdout_text.find("1 d 6 h (warning)"), std::string::npos) << table.stdout_text;
  EXPECT_NE(table.stdout_text.find("the API keeps content for 7 days"), std::string::npos);
  RunOutcome json = fwd.runCommand({"status", "--json"}, 30s);
  rapidjson::Document doc;
  doc.Parse(json.stdout_text.c_str());
  ASSERT_TRUE(doc.IsObject()) << json.stdout_text;
  std::map<std::string, std::string> levels;
  for (const auto& s : doc["streams"].GetArray())
    levels[s["content_type"].GetString()] = s["lag_level"].GetString();
  EXPECT_EQ(levels["Audit.Exchange"], "critical");
  EXPECT_EQ(levels["Audit.General"], "warning");
  EXPECT_EQ(levels["DLP.All"], "ok");
  EXPECT_EQ(levels.size(), 5u);  // streams never collected are listed too
}

// health.metrics_detail reaches /metrics of the running daemon: `tenant` sums each tenant's
// streams, no series is per stream.
TEST(HealthEndpoint, MetricsDetailTenantSumsPerTenant) {
  TempDir dir;
  auto sim = SimProcess::start({"--tenants", "2", "--blobs", "2", "--records-per-blob", "5"}, dir);
  ASSERT_TRUE(sim);
  const std::size_t expected = deliverable(*sim);
  ForwarderOptions o = daemonOptions();
  o.health_yaml = "  listen: 127.0.0.1:0\n  metrics_detail: tenant\n";
  ForwarderHarness fwd(*sim, dir, o);
  auto daemon = fwd.startDaemon();
  const std::string url = waitForHealthUrl(*daemon, 30s);
  ASSERT_FALSE(url.empty()) << daemon->stderrText();
  ASSERT_TRUE(fwd.waitForLines(expected, 60s)) << daemon->stderrText();
  ASSERT_TRUE(waitForStatus(
      url, [](const rapidjson::Document& d) { return d["ready"].GetBool(); }, 60s));
  std::string metrics;
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(200ms)) {
    metrics = httpRequest("GET", url + "/metrics").body;
    if (metricSum(metrics, "o365fwd_records_forwarded_total") == static_cast<double>(expected))
      break;
  }
  EXPECT_EQ(metricSum(metrics, "o365fwd_records_forwarded_total"), static_cast<double>(expected));
  for (const char* tenant : {"tenant1", "tenant2"}) {
    const std::string t = std::string("tenant=\"") + tenant + "\"";
    EXPECT_GT(metricSum(metrics, "o365fwd_records_forwarded_total", {t}), 0.0) << tenant;
    EXPECT_GE(metricSum(metrics, "o365fwd_api_requests_total", {t}), 1.0) << tenant;
    EXPECT_EQ(metricSum(metrics, "o365fwd_content_blobs_done_total", {t}), 10.0) << tenant;
  }
  // Tenant detail: no series names a content type except the lateness histogram's.
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line[0] == '#' || line.rfind("o365fwd_blob_lateness_seconds", 0) == 0) continue;
    EXPECT_EQ(line.find("content_type="), std::string::npos) << line;
  }
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(60s), 0);
}

}  // namespace
}  // namespace o365fwd::testing
