#include "sim/scenario.h"

#include <gtest/gtest.h>

#include "sim/defaults.h"
#include "sim/options.h"

namespace o365fwd::sim {
namespace {

constexpr const char* kTenant =
    R"({"name":"fabrikam","tenant_id":"11111111-2222-4333-8444-555555555555",
  "apps":[{"client_id":"AAAAAAAA-2222-4333-8444-555555555555","client_secret":"s3cret","roles":[]}]})";

TEST(ScenarioTest, EmptyDocumentGivesTheDemoTenant) {
  auto cfg = parseScenario("{}");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->tenants.size(), 1u);
  EXPECT_EQ(cfg->tenants[0].tenant_id, kDemoTenantId);
  EXPECT_EQ(cfg->tenants[0].domain, "contoso.onmicrosoft.com");
  EXPECT_EQ(cfg->tenants[0].apps[0].client_secret, kDemoClientSecret);
  EXPECT_FALSE(cfg->tenants_from_scenario);
  EXPECT_EQ(cfg->seed, 1u);
}

TEST(ScenarioTest, ParsesTenantsAppsAndGlobalKnobs) {
  auto cfg =
      parseScenario(std::string(R"({"seed":7,"page_size":9,"token_lifetime":60,"clock_skew":"-5m",
    "faults":{"transient_error_rate":0.25,"next_page_loop":true,"window_error_code":"AF20030"},
    "tenants":[)") + kTenant +
                    "]}");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->seed, 7u);
  EXPECT_EQ(cfg->page_size, 9);
  EXPECT_EQ(cfg->token_lifetime, 60);
  EXPECT_EQ(cfg->clock_skew, std::chrono::seconds(-300));
  EXPECT_DOUBLE_EQ(cfg->faults.transient_error_rate, 0.25);
  EXPECT_TRUE(cfg->faults.next_page_loop);
  EXPECT_EQ(cfg->faults.window_error_code, "AF20030");
  const auto& t = cfg->tenants.at(0);
  EXPECT_EQ(t.domain, "fabrikam.onmicrosoft.com");
  EXPECT_EQ(t.apps.at(0).client_id, "aaaaaaaa-2222-4333-8444-555555555555");  // lower-cased
  EXPECT_TRUE(t.apps.at(0).roles.empty());
  EXPECT_TRUE(cfg->tenants_from_scenario);
}

TEST(ScenarioTest, ContentKnobsApplyStarThenTypeThenTenant) {
  std::string t = kTenant;
  t.insert(
      t.size() - 1,
      R"(,"content":{"DLP.All":{"blobs":3}},"subscriptions":{"*":"enabled","Audit.General":"disabled_by_admin"})");
  auto cfg = parseScenario(
      R"({"content":{"*":{"blobs":50,"span":"2h"},"Audit.Exchange":{"blobs":5,"duplicate_fraction":0.5}},"tenants":[)" +
      t + "]}");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const auto& c = cfg->tenants[0].content;
  EXPECT_EQ(c[*contentTypeIndex("Audit.AzureActiveDirectory")].blobs, 50);
  EXPECT_EQ(c[*contentTypeIndex("Audit.AzureActiveDirectory")].span, std::chrono::hours(2));
  EXPECT_EQ(c[*contentTypeIndex("Audit.Exchange")].blobs, 5);
  EXPECT_DOUBLE_EQ(c[*contentTypeIndex("Audit.Exchange")].duplicate_fraction, 0.5);
  EXPECT_EQ(c[*contentTypeIndex("DLP.All")].blobs, 3);
  const auto& subs = cfg->tenants[0].subscriptions;
  EXPECT_EQ(subs[*contentTypeIndex("Audit.Exchange")], SubscriptionState::kEnabled);
  EXPECT_EQ(subs[*contentTypeIndex("Audit.General")], SubscriptionState::kDisabledByAdmin);
}

TEST(ScenarioTest, LateBlobsListChosenBlobsWithTheirDelays) {
  auto cfg = parseScenario(
      R"({"content":{"Audit.Exchange":{"late_blobs":[{"index":3,"delay":"2h"},)"
      R"({"index":7,"count":2,"delay":"5d"}]}}})");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const auto& late = cfg->tenants[0].content[*contentTypeIndex("Audit.Exchange")].late_blobs;
  ASSERT_EQ(late.size(), 2u);
  EXPECT_EQ(late[0].index, 3);
  EXPECT_EQ(late[0].count, 1);
  EXPECT_EQ(late[0].delay, std::chrono::hours(2));
  EXPECT_EQ(late[1].count, 2);
  EXPECT_EQ(late[1].delay, std::chrono::hours(24 * 5));
  EXPECT_TRUE(cfg->tenants[0].content[*contentTypeIndex("DLP.All")].late_blobs.empty());
  auto missing = parseScenario(R"({"content":{"*":{"late_blobs":[{"index":1}]}}})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("content.*.late_blobs[0]"), std::string::npos)
      << missing.error().message;
  EXPECT_FALSE(parseScenario(R"({"content":{"*":{"late_blobs":[{"index":-1,"delay":"1h"}]}}})").ok());
}

TEST(ScenarioTest, RejectsUnknownKeysWithTheirPath) {
  auto cfg = parseScenario(R"({"content":{"*":{"blobz":1}}})");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.error().message.find("content.*.blobz"), std::string::npos) << cfg.error().message;
  EXPECT_EQ(cfg.error().kind, ErrorKind::kConfig);
}

TEST(ScenarioTest, RejectsBadValues) {
  EXPECT_FALSE(parseScenario("{").ok());
  EXPECT_FALSE(parseScenario(R"({"content":{"Audit.Nope":{}}})").ok());
  EXPECT_FALSE(parseScenario(R"({"content":{"*":{"duplicate_fraction":1.5}}})").ok());
  EXPECT_FALSE(parseScenario(R"({"content":{"*":{"span":"soon"}}})").ok());
  EXPECT_FALSE(parseScenario(R"({"tenants":[{"tenant_id":"not-a-guid","apps":[]}]})").ok());
  EXPECT_FALSE(parseScenario(std::string(R"({"tenants":[)") + kTenant + "," + kTenant + "]}").ok())
      << "duplicate tenants must be refused";
  EXPECT_FALSE(parseScenario(R"({"faults":{"window_error_code":"AF1"}})").ok());
}

TEST(ScenarioTest, ParsesDurations) {
  EXPECT_EQ(parseSeconds("90"), std::chrono::seconds(90));
  EXPECT_EQ(parseSeconds("15m"), std::chrono::seconds(900));
  EXPECT_EQ(parseSeconds("7d"), std::chrono::seconds(7 * 86400));
  EXPECT_EQ(parseSeconds("-30s"), std::chrono::seconds(-30));
  EXPECT_FALSE(parseSeconds("x").has_value());
}

TEST(ScenarioTest, GeneratedTenantsAreDeterministicAndDistinct) {
  auto a = generatedTenants(3, 42);
  auto b = generatedTenants(3, 42);
  auto c = generatedTenants(3, 43);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].tenant_id, b[1].tenant_id);
  EXPECT_EQ(a[1].apps[0].client_secret, b[1].apps[0].client_secret);
  EXPECT_NE(a[1].tenant_id, c[1].tenant_id);
  EXPECT_NE(a[0].tenant_id, a[1].tenant_id);
  EXPECT_TRUE(isGuid(a[2].tenant_id));
  EXPECT_EQ(a[2].name, "tenant3");
  SimConfig cfg;
  cfg.tenants = a;
  EXPECT_TRUE(validateConfig(cfg).ok());
}

TEST(ScenarioTest, CommandLineKnobsOverrideEveryStream) {
  SimOptions o;
  o.tenants = 2;
  o.blobs = 11;
  o.span = "3h";
  o.content_types = {"Audit.Exchange", "DLP.All"};
  o.subscriptions_enabled = true;
  o.throttle_status = 429;
  auto cfg = buildConfig(o);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->tenants.size(), 2u);
  for (const auto& t : cfg->tenants) {
    EXPECT_EQ(t.content[0].blobs, 11);
    EXPECT_EQ(t.content[4].span, std::chrono::hours(3));
    EXPECT_FALSE(t.has_content[0]);
    EXPECT_TRUE(t.has_content[1]);
    EXPECT_TRUE(t.has_content[4]);
    EXPECT_EQ(t.subscriptions[2], SubscriptionState::kEnabled);
    EXPECT_EQ(t.throttle.status, 429);
  }
  o.content_types = {"Audit.Bogus"};
  EXPECT_FALSE(buildConfig(o).ok());
}

}  // namespace
}  // namespace o365fwd::sim
