// o365fwd-sim token endpoints (v1 and v2) with client secrets and certificate assertions, and
// every AADSTS error they produce, checked with real HTTP requests.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <thread>

#include "core/secrets/crypto.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

constexpr const char* kTenant = "0b2c4d6e-8f01-4a23-9b45-6c7d8e9f0a1b";
constexpr const char* kApp = "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
constexpr const char* kExpiredApp = "2a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
constexpr const char* kCertApp = "3a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
constexpr const char* kSecret = "s3cret~value+/=";

rapidjson::Document json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

class SimTokenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cert = crypto::generateSelfSigned("sim-token-test", 2048, 30);
    ASSERT_TRUE(cert.ok());
    cert_ = *cert;
    auto other = crypto::generateSelfSigned("unregistered", 2048, 30);
    ASSERT_TRUE(other.ok());
    other_ = *other;
    std::ofstream(dir_.file("app.crt")) << cert_.certificate_pem;
    std::ofstream(dir_.file("scenario.json"))
        << R"({"token_lifetime":3599,"tenants":[{"name":"fabrikam","tenant_id":")" << kTenant
        << R"(","domain":"fabrikam.onmicrosoft.com","apps":[
             {"client_id":")"
        << kApp << R"(","client_secret":")" << kSecret << R"("},
             {"client_id":")"
        << kExpiredApp << R"(","client_secret":"old","secret_expired":true},
             {"client_id":")"
        << kCertApp << R"(","certificate_file":"app.crt"}]}]})";
    sim_ = SimProcess::start({"--scenario", dir_.file("scenario.json")}, dir_);
    ASSERT_NE(sim_, nullptr);
  }

  std::string endpoint(bool v2, const std::string& tenant = kTenant) const {
    return sim_->url() + "/" + tenant + (v2 ? "/oauth2/v2.0/token" : "/oauth2/token");
  }
  HttpResult token(bool v2, const std::vector<std::pair<std::string, std::string>>& fields,
                   const std::string& tenant = kTenant) const {
    return httpRequest("POST", endpoint(v2, tenant), formEncode(fields),
                       {"Content-Type: application/x-www-form-urlencoded"});
  }
  static std::vector<std::pair<std::string, std::string>> secretV2(
      const std::string& secret = kSecret) {
    return {{"grant_type", "client_credentials"},
            {"client_id", kApp},
            {"client_secret", secret},
            {"scope", "https://manage.office.com/.default"}};
  }
  // Asserts the §1.4 error shape and the code, status and error name.
  static void expectAadError(const HttpResult& r, int code, long status, const char* error) {
    SCOPED_TRACE("AADSTS" + std::to_string(code) + ": " + r.body);
    EXPECT_EQ(r.status, status);
    auto doc = json(r.body);
    ASSERT_TRUE(doc.IsObject());
    EXPECT_STREQ(doc["error"].GetString(), error);
    std::string desc = doc["error_description"].GetString();
    EXPECT_EQ(desc.rfind("AADSTS" + std::to_string(code) + ": ", 0), 0u);
    EXPECT_NE(desc.find("\r\nTrace ID: "), std::string::npos);
    EXPECT_NE(desc.find("\r\nCorrelation ID: "), std::string::npos);
    EXPECT_NE(desc.find("\r\nTimestamp: "), std::string::npos);
    ASSERT_TRUE(doc["error_codes"].IsArray());
    EXPECT_EQ(doc["error_codes"][0].GetInt(), code);
    std::string ts = doc["timestamp"].GetString();
    EXPECT_EQ(ts.size(), 20u);
    EXPECT_EQ(ts.back(), 'Z');
    EXPECT_EQ(std::string(doc["trace_id"].GetString()).size(), 36u);
    EXPECT_EQ(std::string(doc["correlation_id"].GetString()).size(), 36u);
    EXPECT_EQ(std::string(doc["error_uri"].GetString()),
              "https://login.microsoftonline.com/error?code=" + std::to_string(code));
  }
  static rapidjson::Document claims(const std::string& access_token) {
    auto first = access_token.find('.');
    auto second = access_token.find('.', first + 1);
    auto payload = crypto::base64UrlDecode(access_token.substr(first + 1, second - first - 1));
    return json(payload.ok() ? *payload : "");
  }
  std::string assertion(const std::string& audience, bool ps256,
                        const std::string& jti = "") const {
    AssertionSpec s;
    s.certificate_pem = cert_.certificate_pem;
    s.private_key_pem = cert_.private_key_pem;
    s.audience = audience;
    s.client_id = kCertApp;
    s.ps256 = ps256;
    s.jti = jti;
    return makeClientAssertion(s);
  }
  static std::vector<std::pair<std::string, std::string>> assertionFields(const std::string& jwt,
                                                                          bool v2) {
    std::vector<std::pair<std::string, std::string>> f = {
        {"grant_type", "client_credentials"},
        {"client_id", kCertApp},
        {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
        {"client_assertion", jwt}};
    if (v2) {
      f.emplace_back("scope", "https://manage.office.com/.default");
    } else {
      f.emplace_back("resource", "https://manage.office.com");
    }
    return f;
  }

  TempDir dir_;
  crypto::GeneratedCertificate cert_, other_;
  std::unique_ptr<SimProcess> sim_;
};

TEST_F(SimTokenTest, V2SecretGivesIntegerLifetimesAndAJwtShapedToken) {
  HttpResult r = token(true, secretV2());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json; charset=utf-8");
  EXPECT_NE(r.header("Cache-Control").value_or("").find("no-store"), std::string::npos);
  auto doc = json(r.body);
  EXPECT_STREQ(doc["token_type"].GetString(), "Bearer");
  ASSERT_TRUE(doc["expires_in"].IsInt());
  EXPECT_EQ(doc["expires_in"].GetInt(), 3599);
  EXPECT_TRUE(doc["ext_expires_in"].IsInt());
  std::string at = doc["access_token"].GetString();
  EXPECT_EQ(std::count(at.begin(), at.end(), '.'), 2);
  auto c = claims(at);
  ASSERT_TRUE(c.IsObject());
  EXPECT_STREQ(c["aud"].GetString(), "https://manage.office.com");
  EXPECT_EQ(std::string(c["iss"].GetString()),
            std::string("https://sts.windows.net/") + kTenant + "/");
  EXPECT_STREQ(c["tid"].GetString(), kTenant);
  EXPECT_STREQ(c["appid"].GetString(), kApp);
  EXPECT_STREQ(c["ver"].GetString(), "1.0");
  EXPECT_STREQ(c["idtyp"].GetString(), "app");
  EXPECT_EQ(c["exp"].GetInt64() - c["iat"].GetInt64(), 3599);
  ASSERT_TRUE(c["roles"].IsArray());
  EXPECT_STREQ(c["roles"][0].GetString(), "ActivityFeed.Read");
}

TEST_F(SimTokenTest, V1SecretWithDomainTenantGivesStringLifetimes) {
  HttpResult r = token(false,
                       {{"grant_type", "client_credentials"},
                        {"client_id", kApp},
                        {"client_secret", kSecret},
                        {"resource", "https://manage.office.com"}},
                       "Fabrikam.onmicrosoft.com");
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = json(r.body);
  ASSERT_TRUE(doc["expires_in"].IsString());
  EXPECT_STREQ(doc["expires_in"].GetString(), "3599");
  ASSERT_TRUE(doc["expires_on"].IsString());
  ASSERT_TRUE(doc["not_before"].IsString());
  EXPECT_EQ(std::stoll(doc["expires_on"].GetString()) - std::stoll(doc["not_before"].GetString()),
            3599);
  EXPECT_STREQ(doc["resource"].GetString(), "https://manage.office.com");
  // The simulator's own base URL is an accepted resource too.
  r = token(false, {{"grant_type", "client_credentials"},
                    {"client_id", kApp},
                    {"client_secret", kSecret},
                    {"resource", sim_->url()}});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(SimTokenTest, V2AcceptsHttpBasicClientAuthentication) {
  std::string basic = crypto::base64Encode(std::string(kApp) + ":" + urlEncode(kSecret));
  HttpResult r = httpRequest(
      "POST", endpoint(true),
      formEncode(
          {{"grant_type", "client_credentials"}, {"scope", "https://manage.office.com/.default"}}),
      {"Content-Type: application/x-www-form-urlencoded", "Authorization: Basic " + basic});
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(SimTokenTest, EachMisconfigurationGetsItsAadstsError) {
  HttpResult r = token(true, secretV2("wrong"));
  expectAadError(r, 7000215, 401, "invalid_client");
  EXPECT_NE(r.body.find("client secret value, not the client secret ID"), std::string::npos);

  expectAadError(token(true, {{"grant_type", "client_credentials"},
                              {"client_id", kExpiredApp},
                              {"client_secret", "old"},
                              {"scope", "https://manage.office.com/.default"}}),
                 7000222, 401, "invalid_client");
  expectAadError(token(true, {{"grant_type", "client_credentials"},
                              {"client_id", "99999999-5e6f-4a0b-8c1d-2e3f4a5b6c7d"},
                              {"client_secret", kSecret},
                              {"scope", "https://manage.office.com/.default"}}),
                 700016, 400, "unauthorized_client");
  expectAadError(token(true, secretV2(), "99999999-8f01-4a23-9b45-6c7d8e9f0a1b"), 90002, 400,
                 "invalid_tenant");
  expectAadError(token(true, secretV2(), "nosuchtenant.onmicrosoft.com"), 90002, 400,
                 "invalid_tenant");
  expectAadError(token(true, {{"grant_type", "client_credentials"},
                              {"client_id", kApp},
                              {"client_secret", kSecret},
                              {"scope", "https://manage.office.com/ActivityFeed.Read"}}),
                 1002012, 400, "invalid_scope");
  expectAadError(token(true, {{"grant_type", "client_credentials"},
                              {"client_id", kApp},
                              {"client_secret", kSecret},
                              {"scope", "https://graph.example.net/.default"}}),
                 70011, 400, "invalid_scope");
  auto with_resource = secretV2();
  with_resource.emplace_back("resource", "https://manage.office.com");
  expectAadError(token(true, with_resource), 901002, 400, "invalid_request");
  expectAadError(token(true, {{"grant_type", "client_credentials"},
                              {"client_id", kApp},
                              {"scope", "https://manage.office.com/.default"}}),
                 7000218, 401, "invalid_client");
  expectAadError(token(true, {{"client_id", kApp},
                              {"client_secret", kSecret},
                              {"scope", "https://manage.office.com/.default"}}),
                 900144, 400, "invalid_request");
  expectAadError(token(false, {{"grant_type", "client_credentials"},
                               {"client_id", kApp},
                               {"client_secret", kSecret},
                               {"resource", "https://graph.example.net"}}),
                 500011, 400, "invalid_resource");
}

TEST_F(SimTokenTest, CertificateAssertionsV1AndV2) {
  HttpResult r = token(true, assertionFields(assertion(endpoint(true), false), true));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_STREQ(claims(json(r.body)["access_token"].GetString())["appid"].GetString(), kCertApp);
  r = token(false, assertionFields(assertion(endpoint(false), true), false));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json(r.body)["expires_in"].IsString());
}

TEST_F(SimTokenTest, CertificateAssertionFailures) {
  // aud must be the endpoint that was called (here: the v1 URL sent to v2).
  expectAadError(token(true, assertionFields(assertion(endpoint(false), false), true)), 50027, 400,
                 "invalid_request");
  // A replayed jti.
  std::string jwt = assertion(endpoint(true), false, "fixed-jti-1");
  ASSERT_EQ(token(true, assertionFields(jwt, true)).status, 200);
  HttpResult replay = token(true, assertionFields(jwt, true));
  expectAadError(replay, 50027, 400, "invalid_request");
  EXPECT_NE(replay.body.find("jti"), std::string::npos);
  // A certificate that is not registered for the app.
  AssertionSpec s;
  s.certificate_pem = other_.certificate_pem;
  s.private_key_pem = other_.private_key_pem;
  s.audience = endpoint(true);
  s.client_id = kCertApp;
  expectAadError(token(true, assertionFields(makeClientAssertion(s), true)), 700027, 401,
                 "invalid_client");
  // The registered thumbprint with a signature of another key.
  s.certificate_pem = cert_.certificate_pem;
  expectAadError(token(true, assertionFields(makeClientAssertion(s), true)), 700027, 401,
                 "invalid_client");
}

TEST_F(SimTokenTest, ForcedTokenErrorKnob) {
  HttpResult set =
      sim_->admin("POST", "/_sim/config", R"({"tenant":"fabrikam","forced_token_error":53003})");
  ASSERT_EQ(set.status, 200) << set.body;
  expectAadError(token(true, secretV2()), 53003, 400, "access_denied");
  ASSERT_EQ(
      sim_->admin("POST", "/_sim/config", R"({"tenant":"fabrikam","forced_token_error":0})").status,
      200);
  EXPECT_EQ(token(true, secretV2()).status, 200);
  EXPECT_EQ(
      sim_->admin("POST", "/_sim/config", R"({"tenant":"nobody","forced_token_error":1})").status,
      400);
}

TEST_F(SimTokenTest, ExpiredTokensAreRefusedByTheApi) {
  std::string at = json(token(true, secretV2()).body)["access_token"].GetString();
  std::string list = sim_->url() + "/api/v1.0/" + kTenant + "/activity/feed/subscriptions/list";
  EXPECT_EQ(sim_->get(list, at).status, 200);
  ASSERT_EQ(sim_->admin("POST", "/_sim/config", R"({"expire_tokens_now":true})").status, 200);
  HttpResult r = sim_->get(list, at);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(
      r.body,
      R"({"error":{"code":"InvalidAuthenticationToken","message":"Access token has expired or is not yet valid."}})");
  std::string fresh = json(token(true, secretV2()).body)["access_token"].GetString();
  EXPECT_EQ(sim_->get(list, fresh).status, 200);
  EXPECT_EQ(sim_->get(list, "not-a-token").status, 401);
}

TEST_F(SimTokenTest, StatsCountTokensAndErrors) {
  token(true, secretV2());
  token(true, secretV2("bad"));
  auto stats = json(sim_->stats());
  ASSERT_TRUE(stats.IsObject());
  EXPECT_GE(stats["tokens_issued"].GetUint64(), 1u);
  EXPECT_GE(stats["token_errors"].GetUint64(), 1u);
  EXPECT_GE(stats["token_errors_by_code"]["7000215"].GetUint64(), 1u);
}

TEST(SimGeneratedCredentialsTest, GeneratedCertificatesWorkForCertificateAuth) {
  TempDir dir;
  auto sim = SimProcess::start(
      {"--tenants", "2", "--certificates", dir.file("certs"), "--port-file", dir.file("port")},
      dir);
  ASSERT_NE(sim, nullptr);
  EXPECT_EQ(readFile(dir.file("port")), std::to_string(sim->port()) + "\n");
  ASSERT_EQ(sim->tenantCount(), 2u);
  const SimTenant t = sim->tenant(1);
  EXPECT_EQ(t.name, "tenant2");
  ASSERT_FALSE(t.certificate_file.empty());
  ASSERT_FALSE(t.private_key_file.empty());
  AssertionSpec s;
  s.certificate_pem = readFile(t.certificate_file);
  s.private_key_pem = readFile(t.private_key_file);
  s.audience = sim->url() + "/" + t.domain + "/oauth2/v2.0/token";
  s.client_id = t.client_id;
  HttpResult r = httpRequest("POST", s.audience,
                             formEncode({{"grant_type", "client_credentials"},
                                         {"client_assertion_type",
                                          "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
                                         {"client_assertion", makeClientAssertion(s)},
                                         {"scope", "https://manage.office.com/.default"}}));
  EXPECT_EQ(r.status, 200) << "client_id may be omitted with an assertion: " << r.body;
  EXPECT_FALSE(sim->token(0).empty()) << "the generated secret works too";
}

TEST(SimTokenLifetimeTest, ShortLifetimeTokensExpire) {
  TempDir dir;
  auto sim = SimProcess::start({"--token-lifetime", "1"}, dir);
  ASSERT_NE(sim, nullptr);
  std::string at = sim->token();
  ASSERT_FALSE(at.empty());
  std::string list = sim->apiRoot() + "/subscriptions/list";
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(sim->get(list, at).status, 401) << "a 1 s token must be refused 2 s later";
}

}  // namespace
}  // namespace o365fwd::testing
