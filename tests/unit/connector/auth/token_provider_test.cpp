#include "connector/auth/token_provider.h"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>
#include <vector>

#include "connector/http/url_guard.h"
#include "core/logging.h"
#include "tests/fakes/fake_transport.h"
#include "tests/support/log_capture.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;
using testing::fakeJwt;
using testing::FakeTransport;

const std::string kTenant = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14";
const std::string kClientId = "a3e5c7d9-1b2f-4a6c-8e0d-2f4b6a8c0e12";
const std::string kSecret = "Zx8Q~fakeSecret.Value+with/chars=";
const std::string kV2Path = "/oauth2/v2.0/token";

class TokenProviderTest : public ::testing::Test {
 protected:
  TokenProviderOptions options(const std::string& tenant = kTenant) {
    TokenProviderOptions o;
    o.login_url = "https://login.microsoftonline.com/";
    o.tenant = tenant;
    o.client_id = kClientId;
    o.api_url = "https://manage.office.com";
    o.client_secret = [this]() -> Result<Secret> {
      ++secret_loads_;
      return Secret(kSecret);
    };
    return o;
  }
  std::string jwt(const std::string& tid = kTenant) {
    return fakeJwt(R"({"aud":"https://manage.office.com","tid":")" + tid + R"(","appid":")" +
                   kClientId + R"(","roles":["ActivityFeed.Read","ServiceHealth.Read"]})");
  }

  FakeClock clock_;
  Random random_{42};
  FakeTransport transport_;
  ApiStats stats_;
  int secret_loads_ = 0;
};

TEST_F(TokenProviderTest, V2RequestIsFormEncodedAndTheTokenIsCached) {
  transport_.enqueue(kV2Path, FakeTransport::tokenResponse(jwt(), 3599));
  TokenProvider tokens(options(), transport_, clock_, random_, &stats_);
  auto token = tokens.token({});
  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(*token, jwt());
  auto again = tokens.token({});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(transport_.requests().size(), 1u) << "the token must be cached";

  auto r = transport_.requests().front();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://login.microsoftonline.com/" + kTenant + "/oauth2/v2.0/token");
  EXPECT_FALSE(r.had_bearer);
  EXPECT_NE(r.body.find("grant_type=client_credentials"), std::string::npos);
  EXPECT_NE(r.body.find("client_id=" + kClientId), std::string::npos);
  EXPECT_NE(r.body.find("client_secret=" + urlEncode(kSecret)), std::string::npos)
      << "secret not URL-encoded";
  EXPECT_NE(r.body.find("scope=https%3A%2F%2Fmanage.office.com%2F.default"), std::string::npos);
  EXPECT_EQ(r.body.find("resource="), std::string::npos);
  EXPECT_LE(r.max_response_bytes, 64u * 1024);
  EXPECT_EQ(stats_.snapshot().token_refreshes, 1u);

  auto info = tokens.info();
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->tenant_id, kTenant);
  EXPECT_EQ(info->app_id, kClientId);
  EXPECT_EQ(info->roles, (std::vector<std::string>{"ActivityFeed.Read", "ServiceHealth.Read"}));
  EXPECT_EQ(info->expires_at - info->obtained_at, 3599s);
  EXPECT_EQ(info->obtained_at, clock_.wallNow());
}

TEST_F(TokenProviderTest, V1AcceptsAStringExpiresInAndSendsResource) {
  auto o = options();
  o.endpoint = TokenEndpoint::kV1;
  transport_.setDefault(
      "/oauth2/token",
      FakeTransport::response(
          200, R"({"token_type":"Bearer","expires_in":"3599","ext_expires_in":"3599",)"
               R"("expires_on":"1736859600","resource":"https://manage.office.com",)"
               R"("access_token":"v1-opaque-token"})"));
  TokenProvider tokens(o, transport_, clock_, random_);
  auto token = tokens.token({});
  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(*token, "v1-opaque-token");
  auto r = transport_.requests().front();
  EXPECT_EQ(r.url, "https://login.microsoftonline.com/" + kTenant + "/oauth2/token");
  EXPECT_NE(r.body.find("resource=https%3A%2F%2Fmanage.office.com"), std::string::npos);
  EXPECT_EQ(r.body.find("scope="), std::string::npos);
  // A non-JWT token: info without claims, expiry from expires_in.
  auto info = tokens.info();
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->tenant_id.empty());
  EXPECT_TRUE(info->roles.empty());
  EXPECT_EQ(info->expires_at - info->obtained_at, 3599s);
}

TEST_F(TokenProviderTest, RefreshesBeforeExpiry) {
  transport_.enqueue(kV2Path, FakeTransport::tokenResponse("first", 3600));
  transport_.enqueue(kV2Path, FakeTransport::tokenResponse("second", 3600));
  TokenProvider tokens(options(), transport_, clock_, random_);
  EXPECT_EQ(*tokens.token({}), "first");
  // Margin = max(5 min, 20 % of 3600 s) = 720 s: refresh from 2880 s on.
  clock_.advance(2879s);
  EXPECT_EQ(*tokens.token({}), "first");
  clock_.advance(2s);
  EXPECT_EQ(*tokens.token({}), "second");
  EXPECT_EQ(transport_.requests().size(), 2u);
}

TEST_F(TokenProviderTest, ShortLivedTokensAreNotRefreshedOnEveryCall) {
  transport_.setDefault(kV2Path, FakeTransport::tokenResponse("short", 60));
  TokenProvider tokens(options(), transport_, clock_, random_);
  ASSERT_TRUE(tokens.token({}).ok());
  clock_.advance(29s);  // margin capped at half the lifetime
  ASSERT_TRUE(tokens.token({}).ok());
  EXPECT_EQ(transport_.requests().size(), 1u);
  clock_.advance(2s);
  ASSERT_TRUE(tokens.token({}).ok());
  EXPECT_EQ(transport_.requests().size(), 2u);
}

TEST_F(TokenProviderTest, InvalidateDropsOnlyTheCurrentToken) {
  transport_.enqueue(kV2Path, FakeTransport::tokenResponse("first"));
  transport_.enqueue(kV2Path, FakeTransport::tokenResponse("second"));
  TokenProvider tokens(options(), transport_, clock_, random_);
  EXPECT_EQ(*tokens.token({}), "first");
  tokens.invalidate("some-older-token");
  EXPECT_EQ(*tokens.token({}), "first");
  tokens.invalidate("first");
  EXPECT_EQ(*tokens.token({}), "second");
  EXPECT_EQ(transport_.requests().size(), 2u);
}

TEST_F(TokenProviderTest, WrongSecretExplainsSecretIdVersusValueAndNeverShowsTheSecret) {
  testing::LogCapture logs("connector.token");
  transport_.setDefault(
      kV2Path,
      FakeTransport::response(
          401,
          R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app ')" +
              kClientId +
              R"('.\r\nTrace ID: 4d2e8b1a-0c3f-4e5d-9a7b-6c1d2e3f4a5b\r\nCorrelation ID: 9b8a7c6d\r\nTimestamp: 2025-01-14 12:00:01Z","error_codes":[7000215],"timestamp":"2025-01-14 12:00:01Z","trace_id":"4d2e8b1a-0c3f-4e5d-9a7b-6c1d2e3f4a5b","correlation_id":"9b8a7c6d","error_uri":"https://login.microsoftonline.com/error?code=7000215"})"));
  TokenProvider tokens(options(), transport_, clock_, random_, &stats_);
  auto token = tokens.token({});
  ASSERT_FALSE(token.ok());
  const Error& e = token.error();
  EXPECT_EQ(e.kind, ErrorKind::kAuth);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.code, "AADSTS7000215");
  EXPECT_NE(e.message.find("secret ID"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("secret Value"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("trace_id=4d2e8b1a"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find(kSecret), std::string::npos);
  EXPECT_EQ(e.message.find(urlEncode(kSecret)), std::string::npos);
  EXPECT_EQ(transport_.requests().size(), 1u) << "a permanent error is not retried";

  // Remembered for 30 s: no second request to login meanwhile.
  clock_.advance(29s);
  EXPECT_EQ(tokens.token({}).error().code, "AADSTS7000215");
  EXPECT_EQ(transport_.requests().size(), 1u);
  clock_.advance(2s);
  EXPECT_FALSE(tokens.token({}).ok());
  EXPECT_EQ(transport_.requests().size(), 2u);
  EXPECT_EQ(stats_.snapshot().token_failures, 2u);

  const std::string logged = logs.text();
  EXPECT_NE(logged.find("AADSTS7000215"), std::string::npos) << logged;
  EXPECT_EQ(logged.find(kSecret), std::string::npos) << "secret in the log";
  EXPECT_EQ(logged.find(urlEncode(kSecret)), std::string::npos) << "secret in the log";
}

TEST_F(TokenProviderTest, OperatorRemediesNameTheTenantAndApp) {
  struct Case {
    long long code;
    const char* expected;
  } cases[] = {{700016, "is not found in tenant"},
               {90002, "gcc-high"},
               {7000222, "expired"},
               {500011, "api_url"},
               {650052, "another cloud"},
               {50027, "NTP"},
               {53003, "Conditional Access"},
               {700027, "private_key_file"}};
  for (const auto& c : cases) {
    FakeTransport transport;
    transport.setDefault(
        kV2Path,
        FakeTransport::response(400, R"({"error":"invalid_request","error_description":"AADSTS)" +
                                         std::to_string(c.code) + R"(: text","error_codes":[)" +
                                         std::to_string(c.code) + "]}"));
    TokenProvider tokens(options(), transport, clock_, random_);
    auto token = tokens.token({});
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.error().code, "AADSTS" + std::to_string(c.code));
    EXPECT_FALSE(token.error().retryable) << c.code;
    EXPECT_NE(token.error().message.find(c.expected), std::string::npos) << token.error().message;
  }
  FakeTransport transport;
  transport.setDefault(
      kV2Path,
      FakeTransport::response(400, R"({"error":"unauthorized_client","error_codes":[700016]})"));
  TokenProvider tokens(options(), transport, clock_, random_);
  const std::string message = tokens.token({}).error().message;
  EXPECT_NE(message.find(kClientId), std::string::npos) << message;
  EXPECT_NE(message.find(kTenant), std::string::npos) << message;
}

TEST_F(TokenProviderTest, TransientFailuresAreRetriedWithBackoff) {
  clock_.setAutoAdvance(true);
  transport_.enqueue(kV2Path, FakeTransport::transportError());
  transport_.enqueue(
      kV2Path,
      FakeTransport::response(400, R"({"error":"temporarily_unavailable","error_codes":[90055]})"));
  transport_.enqueue(kV2Path, FakeTransport::tokenResponse("ok"));
  TokenProvider tokens(options(), transport_, clock_, random_);
  const SteadyTime start = clock_.steadyNow();
  auto token = tokens.token({});
  ASSERT_TRUE(token.ok()) << token.error().describe();
  EXPECT_EQ(*token, "ok");
  EXPECT_EQ(transport_.requests().size(), 3u);
  EXPECT_GE(clock_.steadyNow() - start, 500ms) << "retries must back off";
}

TEST_F(TokenProviderTest, GivesUpOnPersistentOutageAndHoldsBriefly) {
  clock_.setAutoAdvance(true);
  transport_.setDefault(kV2Path, FakeTransport::response(503, "<html>down</html>"));
  TokenProvider tokens(options(), transport_, clock_, random_);
  auto token = tokens.token({});
  ASSERT_FALSE(token.ok());
  EXPECT_TRUE(token.error().retryable);
  EXPECT_EQ(token.error().code, "HTTP 503");
  EXPECT_EQ(token.error().message.find("<html>"), std::string::npos);
  EXPECT_EQ(transport_.requests().size(), 3u);
  EXPECT_FALSE(tokens.token({}).ok());
  EXPECT_EQ(transport_.requests().size(), 3u) << "held for a few seconds";
}

TEST_F(TokenProviderTest, DomainTenantIsResolvedFromTheTidClaim) {
  const std::string domain = "contoso.onmicrosoft.com";
  transport_.setDefault(kV2Path,
                        FakeTransport::tokenResponse(jwt("6F1C9A52-3D7E-4B8A-9C21-5E0F7A3B9D14")));
  TokenProvider tokens(options(domain), transport_, clock_, random_);
  EXPECT_EQ(tokens.tenantGuid(), "");
  ASSERT_TRUE(tokens.token({}).ok());
  EXPECT_EQ(tokens.tenantGuid(), kTenant);
  EXPECT_EQ(transport_.requests().front().url,
            "https://login.microsoftonline.com/" + domain + kV2Path);
}

TEST_F(TokenProviderTest, ConfiguredGuidIsKnownBeforeAnyToken) {
  TokenProvider tokens(options("6F1C9A52-3D7E-4B8A-9C21-5E0F7A3B9D14"), transport_, clock_,
                       random_);
  EXPECT_EQ(tokens.tenantGuid(), kTenant);
}

TEST_F(TokenProviderTest, PlaceholderTenantIsRefusedWithoutARequest) {
  TokenProvider tokens(options("<your-tenant-id>"), transport_, clock_, random_);
  auto token = tokens.token({});
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, ErrorKind::kConfig);
  EXPECT_TRUE(transport_.requests().empty());
}

TEST_F(TokenProviderTest, ReloadRereadsTheSecret) {
  transport_.setDefault(kV2Path, FakeTransport::tokenResponse(jwt()));
  TokenProvider tokens(options(), transport_, clock_, random_);
  ASSERT_TRUE(tokens.token({}).ok());
  ASSERT_TRUE(tokens.token({}).ok());
  EXPECT_EQ(secret_loads_, 1);
  tokens.reload();
  EXPECT_FALSE(tokens.info().has_value());
  ASSERT_TRUE(tokens.token({}).ok());
  EXPECT_EQ(secret_loads_, 2);
  EXPECT_EQ(transport_.requests().size(), 2u);
}

TEST_F(TokenProviderTest, ConcurrentCallersShareOneRefresh) {
  std::atomic<int> token_requests{0};
  transport_.setHandler([&](const HttpRequest&) -> std::optional<FakeTransport::Reply> {
    ++token_requests;
    std::this_thread::sleep_for(20ms);  // keep the refresh in progress while others arrive
    return FakeTransport::Reply(FakeTransport::tokenResponse("shared"));
  });
  TokenProvider tokens(options(), transport_, clock_, random_);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      auto t = tokens.token({});
      if (t.ok() && *t == "shared") ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(token_requests.load(), 1);
}

TEST_F(TokenProviderTest, CertificateCredentialSendsAnAssertionNotASecret) {
  auto generated = crypto::generateSelfSigned("o365fwd-test", 2048, 2);
  ASSERT_TRUE(generated.ok());
  auto o = options();
  o.client_secret = nullptr;
  o.certificate = [&]() -> Result<CertificateCredential> {
    auto cert = crypto::Certificate::fromPem(generated->certificate_pem);
    auto key = crypto::PrivateKey::fromPem(Secret(generated->private_key_pem));
    if (!cert) return cert.error();
    if (!key) return key.error();
    return CertificateCredential{*cert, *key};
  };
  transport_.setDefault(kV2Path, FakeTransport::tokenResponse(jwt()));
  TokenProvider tokens(o, transport_, clock_, random_);
  ASSERT_TRUE(tokens.token({}).ok());
  const std::string body = transport_.requests().front().body;
  EXPECT_EQ(body.find("client_secret"), std::string::npos);
  EXPECT_NE(
      body.find(
          "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"),
      std::string::npos);
  EXPECT_NE(body.find("&client_assertion=eyJ"), std::string::npos);
}

TEST_F(TokenProviderTest, StopIsHonoured) {
  std::stop_source stop;
  stop.request_stop();
  TokenProvider tokens(options(), transport_, clock_, random_);
  auto token = tokens.token(stop.get_token());
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().kind, ErrorKind::kCancelled);
}

}  // namespace
}  // namespace o365fwd
