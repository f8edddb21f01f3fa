// o365fwd-sim Management API checks around the operation itself: bearer/tenant/permission
// errors, subscriptions, auditing disabled, notifications, dlpSensitiveTypes, the Date header.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>

#include "core/time_format.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

constexpr const char* kT1 = "0b2c4d6e-8f01-4a23-9b45-6c7d8e9f0a1b";
constexpr const char* kT2 = "1b2c4d6e-8f01-4a23-9b45-6c7d8e9f0a1b";
constexpr const char* kT3 = "2b2c4d6e-8f01-4a23-9b45-6c7d8e9f0a1b";
constexpr const char* kApp1 = "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
constexpr const char* kNoRoles = "4a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";

rapidjson::Document json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

std::string errorCode(const HttpResult& r) {
  auto doc = json(r.body);
  if (!doc.IsObject() || !doc.HasMember("error") || !doc["error"].IsObject())
    return "(no error: " + r.body + ")";
  return doc["error"]["code"].GetString();
}

class SimApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.file("scenario.json")) << R"({"tenants":[
      {"name":"one","tenant_id":")" << kT1 << R"(","apps":[
        {"client_id":")" << kApp1 << R"(","client_secret":"a"},
        {"client_id":")" << kNoRoles << R"(","client_secret":"b","roles":[]}],
       "subscriptions":{"Audit.General":"disabled_by_admin"}},
      {"name":"two","tenant_id":")" << kT2 << R"(","apps":[{"client_id":")"
                                              << kApp1 << R"(","client_secret":"c"}]},
      {"name":"three","tenant_id":")" << kT3 << R"(","auditing_enabled":false,
       "apps":[{"client_id":")" << kApp1 << R"(","client_secret":"d"}]}]})";
    sim_ = SimProcess::start({"--scenario", dir_.file("scenario.json"), "--clock-skew", "-3600"},
                             dir_);
    ASSERT_NE(sim_, nullptr);
    t1_ = tokenFor(kT1, kApp1, "a");
    ASSERT_FALSE(t1_.empty());
  }
  std::string tokenFor(const std::string& tenant, const std::string& app,
                       const std::string& secret) {
    HttpResult r = httpRequest("POST", sim_->url() + "/" + tenant + "/oauth2/v2.0/token",
                               formEncode({{"grant_type", "client_credentials"},
                                           {"client_id", app},
                                           {"client_secret", secret},
                                           {"scope", "https://manage.office.com/.default"}}));
    auto doc = json(r.body);
    return r.status == 200 ? doc["access_token"].GetString() : "";
  }
  std::string root(const std::string& tenant = kT1) const {
    return sim_->url() + "/api/v1.0/" + tenant + "/activity/feed";
  }
  std::string q(const std::string& ct) const {
    return "?contentType=" + ct + "&PublisherIdentifier=" + kT1;
  }

  TempDir dir_;
  std::unique_ptr<SimProcess> sim_;
  std::string t1_;
};

TEST_F(SimApiTest, PermissionAndTenantChecks) {
  std::string no_roles = tokenFor(kT1, kNoRoles, "b");
  ASSERT_FALSE(no_roles.empty()) << "consent missing is not a token error";
  HttpResult r = sim_->get(root() + "/subscriptions/list", no_roles);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(
      r.body,
      R"({"error":{"code":"AF10001","message":"The permission set () sent in the request does not include the expected permission."}})");

  r = sim_->get(root(kT2) + "/subscriptions/list", t1_);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(errorCode(r), "AF20010");
  r = sim_->get(sim_->url() + "/api/v1.0/contoso.onmicrosoft.com/activity/feed/subscriptions/list",
                t1_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorCode(r), "AF20013");
  r = sim_->get(root() + "/subscriptions/content?contentType=Audit.Nope", t1_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorCode(r), "AF20020");
  r = httpRequest("GET", root() + "/subscriptions/list");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(errorCode(r), "InvalidAuthenticationToken");
  // The /api/v1/ spelling is served too.
  EXPECT_EQ(
      sim_->get(sim_->url() + "/api/v1/" + kT1 + "/activity/feed/subscriptions/list", t1_).status,
      200);
}

TEST_F(SimApiTest, SubscriptionLifecycle) {
  HttpResult list = sim_->get(root() + "/subscriptions/list" + q("x"), t1_);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body, R"([{"contentType":"Audit.General","status":"disabled","webhook":null}])");

  HttpResult r = sim_->get(root() + "/subscriptions/content" + q("Audit.Exchange"), t1_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      r.body,
      R"({"error":{"code":"AF20022","message":"No subscription found for the specified content type."}})");
  r = sim_->get(root() + "/subscriptions/content" + q("Audit.General"), t1_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorCode(r), "AF20023");

  r = sim_->post(root() + "/subscriptions/start" + q("Audit.Exchange"), t1_);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"contentType":"Audit.Exchange","status":"enabled","webhook":null})");
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json; charset=utf-8");
  r = sim_->post(root() + "/subscriptions/start" + q("Audit.Exchange"), t1_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      r.body,
      R"({"error":{"code":"AF20024","message":"The subscription is already enabled. No property change."}})");
  EXPECT_EQ(sim_->get(root() + "/subscriptions/content" + q("Audit.Exchange"), t1_).status, 200);

  list = sim_->get(root() + "/subscriptions/list" + q("x"), t1_);
  auto doc = json(list.body);
  ASSERT_TRUE(doc.IsArray());
  EXPECT_EQ(doc.Size(), 2u);

  r = sim_->post(root() + "/subscriptions/stop" + q("Audit.Exchange"), t1_);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(errorCode(sim_->get(root() + "/subscriptions/content" + q("Audit.Exchange"), t1_)),
            "AF20022");
  EXPECT_EQ(errorCode(sim_->post(root() + "/subscriptions/stop" + q("Audit.SharePoint"), t1_)),
            "AF20022");
  // Start re-enables a subscription an admin disabled.
  EXPECT_EQ(sim_->post(root() + "/subscriptions/start" + q("Audit.General"), t1_).status, 200);
  EXPECT_EQ(sim_->get(root() + "/subscriptions/content" + q("Audit.General"), t1_).status, 200);
  // Wrong method.
  EXPECT_EQ(sim_->get(root() + "/subscriptions/start" + q("Audit.General"), t1_).status, 405);
}

TEST_F(SimApiTest, AuditingDisabledGivesTheTenantDoesNotExistError) {
  std::string t3 = tokenFor(kT3, kApp1, "d");
  ASSERT_FALSE(t3.empty());
  HttpResult r = sim_->post(
      root(kT3) + "/subscriptions/start?contentType=Audit.Exchange&PublisherIdentifier=" + kT3, t3);
  EXPECT_EQ(r.status, 400);
  auto doc = json(r.body);
  std::string code = doc["error"]["code"].GetString();
  std::string message = doc["error"]["message"].GetString();
  EXPECT_EQ(code.rfind("StartSubscription [CorrId=", 0), 0u) << code;
  EXPECT_NE(code.find(std::string("[TenantId=") + kT3 +
                      ",ContentType=Audit.Exchange,ApplicationId=" + kApp1 + ",PublisherId=" + kT3 +
                      "][AppId"),
            std::string::npos)
      << code;
  EXPECT_NE(message.find(std::string("Tenant ") + kT3 + " does not exist."), std::string::npos)
      << message;
  EXPECT_NE(message.find("\r\n   at "), std::string::npos);
  // Turning auditing on at run time fixes it.
  ASSERT_EQ(
      sim_->admin("POST", "/_sim/config", R"({"tenant":"three","auditing_enabled":true})").status,
      200);
  EXPECT_EQ(sim_->post(root(kT3) + "/subscriptions/start?contentType=Audit.Exchange", t3).status,
            200);
  ASSERT_EQ(
      sim_->admin("POST", "/_sim/config", R"({"tenant":"three","auditing_enabled":false})").status,
      200);
  r = sim_->get(root(kT3) + "/subscriptions/content?contentType=Audit.Exchange", t3);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("does not exist"), std::string::npos);
}

TEST_F(SimApiTest, NotificationsAndDlpSensitiveTypes) {
  HttpResult r = sim_->get(root() + "/subscriptions/notifications" + q("Audit.Exchange"), t1_);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "[]");
  r = sim_->get(root() + "/resources/dlpSensitiveTypes?PublisherIdentifier=x", t1_,
                {"Accept-Language: en-US"});
  ASSERT_EQ(r.status, 200);
  auto doc = json(r.body);
  ASSERT_TRUE(doc.IsArray());
  EXPECT_GE(doc.Size(), 3u);
  EXPECT_TRUE(doc[0].HasMember("id") && doc[0].HasMember("name"));
  EXPECT_EQ(errorCode(sim_->get(root() + "/resources/dlpSensitiveTypes", t1_,
                                {"Accept-Language: en-US, de-DE"})),
            "AF20053");
  EXPECT_EQ(errorCode(sim_->get(root() + "/resources/dlpSensitiveTypes", t1_,
                                {"Accept-Language: en_US!"})),
            "AF20054");
}

TEST_F(SimApiTest, DateHeaderFollowsTheSkewedClock) {
  HttpResult r = sim_->get(root() + "/subscriptions/list", t1_);
  auto date = parseHttpDate(r.header("Date").value_or(""));
  ASSERT_TRUE(date.has_value()) << r.header("Date").value_or("(none)");
  auto offset =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - *date);
  EXPECT_NEAR(static_cast<double>(offset.count()), 3600, 30) << "--clock-skew -3600";
  // Changed at run time.
  ASSERT_EQ(sim_->admin("POST", "/_sim/config", R"({"clock_skew":0})").status, 200);
  date =
      parseHttpDate(httpRequest("GET", sim_->url() + "/_sim/health").header("Date").value_or(""));
  ASSERT_TRUE(date.has_value());
  offset =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - *date);
  EXPECT_NEAR(static_cast<double>(offset.count()), 0, 30);
}

TEST_F(SimApiTest, AdminConfigRejectsBadDocumentsWithoutChangingAnything) {
  HttpResult r = sim_->admin("POST", "/_sim/config", R"({"page_size":5,"no_such_knob":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("no_such_knob"), std::string::npos);
  auto cfg = json(sim_->admin("GET", "/_sim/config").body);
  EXPECT_EQ(cfg["page_size"].GetInt(), 100) << "a refused document changes nothing";
  EXPECT_EQ(sim_->admin("POST", "/_sim/config", "not json").status, 400);
  EXPECT_STREQ(json(sim_->admin("GET", "/_sim/health").body)["status"].GetString(), "ok");
}

}  // namespace
}  // namespace o365fwd::testing
