// The simulator's "third-party mock" faults: opaque access tokens and a 404 on
// subscriptions/list (faults.opaque_tokens, faults.subscription_list_404), from the scenario
// and from the flags, exercised through the real TokenService and ApiService.
#include <gtest/gtest.h>

#include "sim/api_service.h"
#include "sim/auth/token_service.h"
#include "sim/options.h"
#include "sim/scenario.h"

namespace o365fwd::sim {
namespace {

constexpr const char* kTenantId = "11111111-2222-4333-8444-555555555555";
constexpr const char* kClientId = "aaaaaaaa-2222-4333-8444-555555555555";

std::string scenario(const std::string& faults, const std::string& roles) {
  return std::string(R"({"faults":)") + faults + R"(,"tenants":[{"name":"fabrikam","tenant_id":")" +
         kTenantId + R"(","apps":[{"client_id":")" + kClientId +
         R"(","client_secret":"s3cret","roles":)" + roles + "}]}]}";
}

// One simulator without its HTTP server: the token endpoint and the API handlers.
class MockFaultsTest : public ::testing::Test {
 protected:
  void build(const std::string& faults, const std::string& roles = R"(["ActivityFeed.Read"])") {
    auto cfg = parseScenario(scenario(faults, roles));
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    config_ = std::make_unique<SimConfig>(std::move(*cfg));
    auto dir = TenantDirectory::load(config_->tenants);
    ASSERT_TRUE(dir.ok()) << dir.error().message;
    tenants_ = std::make_unique<TenantDirectory>(std::move(*dir));
    state_ = std::make_unique<SimState>(*config_, clock_);
    throttle_ = std::make_unique<Throttle>(clock_, config_->tenants.size());
    data_ = std::make_unique<DataSet>(config_->tenants, config_->seed, state_->nowMs());
    tokens_svc_ = std::make_unique<TokenService>(*tenants_, *state_, tokens_, stats_, random_);
    api_ = std::make_unique<ApiService>(
        ApiDeps{*tenants_, *data_, *state_, tokens_, *throttle_, stats_, random_, cache_, pages_},
        "http://127.0.0.1:1");
  }

  std::string accessToken() {
    TokenRequest req;
    req.tenant_segment = kTenantId;
    req.body = std::string(
                   "grant_type=client_credentials&resource=https%3A%2F%2Fmanage.office.com"
                   "&client_id=") +
               kClientId + "&client_secret=s3cret";
    HttpReply reply = tokens_svc_->handle(req);
    EXPECT_EQ(reply.status, 200) << reply.body;
    const std::string key = "\"access_token\":\"";
    size_t at = reply.body.find(key);
    if (at == std::string::npos) return "";
    at += key.size();
    return reply.body.substr(at, reply.body.find('"', at) - at);
  }

  httplib::Response call(const std::string& method, const std::string& rest,
                         const std::string& token) {
    httplib::Request req;
    req.method = method;
    req.set_header("Authorization", "Bearer " + token);
    size_t q = rest.find('?');
    if (q != std::string::npos) {
      std::string query = rest.substr(q + 1);
      req.params.emplace(query.substr(0, query.find('=')), query.substr(query.find('=') + 1));
    }
    httplib::Response res;
    api_->handle(req, res, "v1.0", kTenantId, rest.substr(0, q));
    return res;
  }

  FakeClock clock_;
  Random random_{7};
  TokenStore tokens_;
  Stats stats_;
  BodyCache cache_{1 << 20};
  PageTokens pages_{42};
  std::unique_ptr<SimConfig> config_;
  std::unique_ptr<TenantDirectory> tenants_;
  std::unique_ptr<SimState> state_;
  std::unique_ptr<Throttle> throttle_;
  std::unique_ptr<DataSet> data_;
  std::unique_ptr<TokenService> tokens_svc_;
  std::unique_ptr<ApiService> api_;
};

TEST_F(MockFaultsTest, ByDefaultTokensAreJwtShapedAndTheListAnswers) {
  build("{}");
  std::string token = accessToken();
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2) << token;
  EXPECT_EQ(call("GET", "subscriptions/list", token).status, 200);
}

TEST_F(MockFaultsTest, OpaqueTokensHaveNoClaimsButTheApiAcceptsThem) {
  build(R"({"opaque_tokens":true})");
  std::string token = accessToken();
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(token.find('.'), std::string::npos) << token;
  EXPECT_GE(token.size(), 40u);
  EXPECT_NE(accessToken(), token) << "every token is new";
  auto res = call("GET", "subscriptions/list", token);
  EXPECT_EQ(res.status, 200) << res.body;
  EXPECT_EQ(call("GET", "subscriptions/list", "not-issued-by-the-sim").status, 401);
}

TEST_F(MockFaultsTest, OpaqueTokenOfAnAppWithoutConsentIsRefusedWithAf10001) {
  build(R"({"opaque_tokens":true})", "[]");
  std::string token = accessToken();
  EXPECT_EQ(token.find('.'), std::string::npos);
  auto res = call("GET", "subscriptions/list", token);
  EXPECT_EQ(res.status, 401);
  EXPECT_NE(res.body.find("AF10001"), std::string::npos) << res.body;
}

TEST_F(MockFaultsTest, ListAnswers404WhileStartAndStopStillWork) {
  build(R"({"subscription_list_404":true})");
  std::string token = accessToken();
  auto list = call("GET", "subscriptions/list", token);
  EXPECT_EQ(list.status, 404);
  EXPECT_EQ(list.body.find("contentType"), std::string::npos) << list.body;
  auto start = call("POST", "subscriptions/start?contentType=Audit.Exchange", token);
  EXPECT_EQ(start.status, 200) << start.body;
  auto again = call("POST", "subscriptions/start?contentType=Audit.Exchange", token);
  EXPECT_EQ(again.status, 400);
  EXPECT_NE(again.body.find("AF20024"), std::string::npos) << again.body;
  EXPECT_EQ(call("GET", "subscriptions/list", token).status, 404) << "still 404 once started";
}

TEST_F(MockFaultsTest, ScenarioKeysAreBooleans) {
  EXPECT_FALSE(parseScenario(R"({"faults":{"opaque_tokens":"yes"}})").ok());
  auto bad = parseScenario(R"({"faults":{"subscription_list_404":1}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("faults.subscription_list_404"), std::string::npos)
      << bad.error().message;
}

TEST_F(MockFaultsTest, FlagsSetTheFaults) {
  SimOptions o;
  auto plain = buildConfig(o);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_FALSE(plain->faults.opaque_tokens);
  EXPECT_FALSE(plain->faults.subscription_list_404);
  o.opaque_tokens = true;
  o.subscription_list_404 = true;
  auto cfg = buildConfig(o);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_TRUE(cfg->faults.opaque_tokens);
  EXPECT_TRUE(cfg->faults.subscription_list_404);
}

}  // namespace
}  // namespace o365fwd::sim
