// `o365fwd validate` network stages against o365fwd-sim: one scenario per failure class, each
// asserting the exit code and the remedy text (docs/VALIDATE.md "Network checks").
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/process.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_paths.h"

namespace o365fwd::testing {
namespace {

constexpr const char* kTenant = "0b2c4d6e-8f01-4a23-9b45-6c7d8e9f0a1b";
constexpr const char* kGood = "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
constexpr const char* kExpired = "2a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
constexpr const char* kNoRoles = "4a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
constexpr const char* kNoDlp = "5a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
constexpr const char* kDelegated = "6a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
constexpr const char* kGoodSecret = "Gq8~validate-secret-value-0123456789";

std::string scenario(const std::string& subscriptions, const std::string& extra_tenant = "") {
  std::ostringstream s;
  s << R"({"tenants":[{"name":"contoso","tenant_id":")" << kTenant
    << R"(","domain":"contoso.onmicrosoft.com","subscriptions":{"*":")" << subscriptions << "\"}"
    << extra_tenant << R"(,"apps":[
      {"client_id":")" << kGood << R"(","client_secret":")" << kGoodSecret << R"("},
      {"client_id":")" << kExpired << R"(","client_secret":"old-secret-value-1234","secret_expired":true},
      {"client_id":")" << kNoRoles << R"(","client_secret":"noroles-secret-value-1234","roles":[]},
      {"client_id":")" << kNoDlp << R"(","client_secret":"nodlp-secret-value-1234","roles":["ActivityFeed.Read"]},
      {"client_id":")" << kDelegated << R"(","client_secret":"delegated-secret-value-1234","roles":[],
       "scopes":["ActivityFeed.Read","ActivityFeed.ReadDlp"]}
    ]}]})";
  return s.str();
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void replaceAll(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

class ValidateNetworkTest : public ::testing::Test {
 protected:
  // Starts the simulator with the scenario (plus flags) and writes the forwarder's config.
  bool setUp(const std::string& subscriptions, std::vector<std::string> flags = {},
             ForwarderOptions options = {}, const std::string& extra_tenant = "") {
    std::filesystem::path file = dir_.path() / "scenario.json";
    std::ofstream(file) << scenario(subscriptions, extra_tenant);
    flags.insert(flags.begin(), {"--scenario", file.string()});
    sim_ = SimProcess::start(flags, dir_);
    if (!sim_) return false;
    if (options.tenant_yaml.empty()) options.tenant_yaml = "    content_types: [Audit.Exchange]\n";
    fwd_ = std::make_unique<ForwarderHarness>(*sim_, dir_, options);
    return true;
  }
  // Uses another app of the scenario: its client id and secret.
  void useApp(const std::string& client_id, const std::string& secret) {
    std::string yaml = readFile(fwd_->configPath());
    replaceAll(yaml, sim_->tenant(0).client_id, client_id);
    std::ofstream(fwd_->configPath()) << yaml;
    std::ofstream(dir_.path() / "contoso.secret") << secret << "\n";
  }
  void editConfig(const std::string& from, const std::string& to) {
    std::string yaml = readFile(fwd_->configPath());
    replaceAll(yaml, from, to);
    std::ofstream(fwd_->configPath()) << yaml;
  }
  RunOutcome validate(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"validate"};
    args.insert(args.end(), extra.begin(), extra.end());
    RunOutcome r = fwd_->runCommand(args, std::chrono::seconds(120));
    EXPECT_EQ(r.stdout_text.find(kGoodSecret), std::string::npos) << "secret in stdout";
    EXPECT_EQ(r.stderr_text.find(kGoodSecret), std::string::npos) << "secret in stderr";
    return r;
  }

  TempDir dir_;
  std::unique_ptr<SimProcess> sim_;
  std::unique_ptr<ForwarderHarness> fwd_;
};

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST_F(ValidateNetworkTest, AllGoodPassesEveryCheckAndEndsWithTheTime) {
  ASSERT_TRUE(setUp("enabled"));
  RunOutcome r = validate();
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  for (const char* name : {"state", "reach", "token", "permissions", "subscription", "listing",
                           "sink"})
    EXPECT_TRUE(contains(r.stdout_text, name)) << name << " missing:\n" << r.stdout_text;
  EXPECT_FALSE(contains(r.stdout_text, "FAIL")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "token acquired in")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "ActivityFeed.Read")) << r.stdout_text;
  std::string text = r.stdout_text;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::string last = text.substr(text.rfind('\n') + 1);
  EXPECT_EQ(last.rfind("OK 20", 0), 0u) << last;
  EXPECT_TRUE(contains(last, "Z")) << last;
}

TEST_F(ValidateNetworkTest, WrongSecretNamesSecretValueVersusId) {
  ASSERT_TRUE(setUp("enabled"));
  useApp(kGood, "not-the-right-secret-value");
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "AADSTS7000215")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "Secret ID") || contains(r.stdout_text, "secret ID"))
      << r.stdout_text;
  EXPECT_FALSE(contains(r.stdout_text, "not-the-right-secret-value"));
}

TEST_F(ValidateNetworkTest, ExpiredSecret) {
  ASSERT_TRUE(setUp("enabled"));
  useApp(kExpired, "old-secret-value-1234");
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "AADSTS7000222")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "expired")) << r.stdout_text;
}

TEST_F(ValidateNetworkTest, UnknownClientId) {
  ASSERT_TRUE(setUp("enabled"));
  useApp("9f2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d", kGoodSecret);
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "AADSTS700016")) << r.stdout_text;
}

TEST_F(ValidateNetworkTest, UnknownTenant) {
  ASSERT_TRUE(setUp("enabled"));
  editConfig(std::string("tenant_id: ") + sim_->tenant(0).tenant_id,
             "tenant_id: 9b2c4d6e-8f01-4a23-9b45-6c7d8e9f0a1b");
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "AADSTS90002")) << r.stdout_text;
}

// A JWT without roles: the API's AF10001 decides (not the token alone).
TEST_F(ValidateNetworkTest, NoRolesMeansConsentMissing) {
  ASSERT_TRUE(setUp("enabled"));
  useApp(kNoRoles, "noroles-secret-value-1234");
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "admin consent")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "AF10001")) << r.stdout_text;
}

TEST_F(ValidateNetworkTest, DelegatedInsteadOfApplicationPermissions) {
  ASSERT_TRUE(setUp("enabled"));
  useApp(kDelegated, "delegated-secret-value-1234");
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "delegated permissions (scp)")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "Application")) << r.stdout_text;
  EXPECT_FALSE(contains(r.stdout_text + r.stderr_text, "delegated-secret-value-1234"));
}

TEST_F(ValidateNetworkTest, DlpWithoutReadDlpRole) {
  ForwarderOptions options;
  options.tenant_yaml = "    content_types: [Audit.Exchange, DLP.All]\n";
  ASSERT_TRUE(setUp("enabled", {}, options));
  useApp(kNoDlp, "nodlp-secret-value-1234");
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "ActivityFeed.ReadDlp")) << r.stdout_text;
}

// A fresh tenant: no subscription was ever started. That is the normal state before the first
// run, so validate warns and exits 0; the listing check is skipped with its reason.
TEST_F(ValidateNetworkTest, FreshTenantWarnsNotStartedAndExitsZeroThenFixStartsThem) {
  ASSERT_TRUE(setUp("none"));
  RunOutcome r = validate();
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_TRUE(contains(r.stdout_text, "WARN  subscription")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "Audit.Exchange not started yet")) << r.stdout_text;
  EXPECT_TRUE(
      contains(r.stdout_text, "`o365fwd run` starts them; `validate --fix` starts them now"))
      << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "SKIP  listing")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "the one-hour listing check needs an enabled subscription"))
      << r.stdout_text;
  EXPECT_FALSE(contains(r.stdout_text, "FAIL")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "1 subscription not started yet")) << r.stdout_text;

  RunOutcome json = validate({"--json"});
  ASSERT_EQ(json.exit_code, 0) << json.stdout_text;
  rapidjson::Document doc;
  doc.Parse(json.stdout_text.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json.stdout_text;
  EXPECT_TRUE(doc["ok"].GetBool());
  std::set<std::string> codes;
  for (const auto& c : doc["checks"].GetArray()) {
    std::string name = c["name"].GetString(), status = c["status"].GetString();
    codes.insert(c["code"].GetString());
    if (name == "subscription") {
      EXPECT_EQ(status, "warn") << json.stdout_text;
    }
    if (name == "listing") {
      EXPECT_EQ(status, "skip") << json.stdout_text;
    }
  }
  EXPECT_TRUE(codes.count("not_started")) << json.stdout_text;
  EXPECT_TRUE(codes.count("no_enabled_subscription")) << json.stdout_text;

  RunOutcome fixed = validate({"--fix"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.stdout_text;
  EXPECT_TRUE(contains(fixed.stdout_text, "started by --fix")) << fixed.stdout_text;
  EXPECT_TRUE(contains(fixed.stdout_text, "in the last hour, listed in")) << fixed.stdout_text;
  RunOutcome after = validate();
  EXPECT_EQ(after.exit_code, 0);
  EXPECT_FALSE(contains(after.stdout_text, "WARN")) << after.stdout_text;
}

TEST_F(ValidateNetworkTest, DisabledSubscriptionStillFails) {
  ASSERT_TRUE(setUp("disabled_by_admin"));
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "FAIL  subscription")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "Audit.Exchange disabled")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "--fix")) << r.stdout_text;
}

// A proxy or third-party mock issues opaque access tokens: the API's answers decide.
TEST_F(ValidateNetworkTest, OpaqueTokenWithConsentPassesAndEveryLaterCheckRuns) {
  ASSERT_TRUE(setUp("enabled", {"--opaque-tokens"}));
  RunOutcome r = validate();
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_TRUE(contains(r.stdout_text, "roles not readable (opaque token)")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "PASS  permissions")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "the API accepts it")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "PASS  subscription")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "PASS  listing")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "PASS  sink")) << r.stdout_text;
  EXPECT_FALSE(contains(r.stdout_text, "SKIP")) << r.stdout_text;
  EXPECT_FALSE(contains(r.stdout_text, "admin consent")) << r.stdout_text;
}

TEST_F(ValidateNetworkTest, OpaqueTokenWithoutConsentFailsOnTheApisAf10001) {
  ASSERT_TRUE(setUp("enabled", {"--opaque-tokens"}));
  useApp(kNoRoles, "noroles-secret-value-1234");
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "FAIL  permissions")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "opaque access token and the API answered AF10001"))
      << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "grant admin consent")) << r.stdout_text;
}

// subscriptions/list answers 404 (a mock without that route): validate and the daemon both start
// each subscription instead, say so once, and collect everything.
TEST_F(ValidateNetworkTest, ListNotFoundFallsBackToStartingInValidateAndInRun) {
  ASSERT_TRUE(setUp("none", {"--subscription-list-404"}));
  const std::string note = "subscriptions/list answered HTTP 404";
  RunOutcome r = validate();
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
  EXPECT_EQ(countOf(r.stdout_text, note), 1u) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "WARN  subscription")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "Audit.Exchange enabled")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "PASS  listing")) << r.stdout_text;

  RunOutcome run = fwd_->runOnce();
  ASSERT_EQ(run.exit_code, 0) << run.stdout_text << run.stderr_text;
  EXPECT_EQ(countOf(run.stderr_text, note), 1u) << run.stderr_text;
  DeliveryCheck check = checkDelivery(sim_->ledger(), fwd_->delivered(), {}, {"Audit.Exchange"});
  EXPECT_TRUE(check.ok()) << check.summary();
  EXPECT_GT(check.expected, 0u);
}

TEST_F(ValidateNetworkTest, AuditingDisabled) {
  ASSERT_TRUE(setUp("enabled", {"--auditing-disabled"}));
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "audit")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "fix:")) << r.stdout_text;
}

TEST_F(ValidateNetworkTest, ThrottledListing) {
  // One request a minute: subscriptions/list takes it, the listing is answered AF429.
  ASSERT_TRUE(setUp("enabled", {"--throttle-per-minute", "1"}));
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "throttled")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "max_requests_per_minute")) << r.stdout_text;
}

TEST_F(ValidateNetworkTest, UnwritableFileSink) {
  ForwarderOptions options;
  options.sinks_yaml = "  - type: file\n    path: /etc/hostname/x/audit.ndjson\n";
  ASSERT_TRUE(setUp("enabled", {}, options));
  RunOutcome r = validate();
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "sink")) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "writable")) << r.stdout_text;
}

TEST_F(ValidateNetworkTest, StateDirLockedByRunningDaemon) {
  ASSERT_TRUE(setUp("enabled"));
  auto daemon = fwd_->startDaemon();
  ASSERT_TRUE(daemon);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  RunOutcome r = validate();
  daemon->signal(SIGTERM);
  daemon->wait(std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 1) << r.stdout_text;
  EXPECT_TRUE(contains(r.stdout_text, "stop any other o365fwd")) << r.stdout_text;
}

TEST_F(ValidateNetworkTest, JsonHasTheNetworkChecks) {
  ASSERT_TRUE(setUp("enabled"));
  RunOutcome r = validate({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.stdout_text;
  rapidjson::Document doc;
  doc.Parse(r.stdout_text.c_str());
  ASSERT_FALSE(doc.HasParseError()) << r.stdout_text;
  std::set<std::string> names;
  for (const auto& c : doc["checks"].GetArray()) names.insert(c["name"].GetString());
  for (const char* name : {"state", "reach", "token", "permissions", "subscription", "listing",
                           "sink"})
    EXPECT_TRUE(names.count(name)) << name;
}

}  // namespace
}  // namespace o365fwd::testing
