#include "connector/api_client_impl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "core/time_format.h"
#include "tests/fakes/fake_transport.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;
using testing::fakeJwt;
using testing::FakeTransport;

const std::string kTenant = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14";
const std::string kApi = "https://manage.office.com";
const std::string kFeed = kApi + "/api/v1.0/" + kTenant + "/activity/feed/";
const std::string kTokenPath = "/oauth2/v2.0/token";
const std::string kSecret = "Zx8Q~fakeSecret.Value+with/chars=";

std::string afBody(const std::string& code) {
  return R"({"error":{"code":")" + code + R"(","message":"scripted )" + code + R"("}})";
}

class ApiClientImplTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.setAutoAdvance(true);
    // Every token request mints a new token, so tests can tell them apart.
    transport_.setHandler([this](const HttpRequest& r) -> std::optional<FakeTransport::Reply> {
      if (r.url.find(kTokenPath) == std::string::npos) return std::nullopt;
      int n = ++tokens_minted_;
      return FakeTransport::Reply(FakeTransport::tokenResponse(
          fakeJwt(R"({"tid":")" + token_tid_ + R"(","roles":["ActivityFeed.Read"],"n":)" +
                  std::to_string(n) + "}"),
          3599));
    });
  }

  void build(const std::string& tenant = kTenant, const std::string& publisher = {},
             int per_minute = 60000) {
    TokenProviderOptions t;
    t.login_url = "https://login.microsoftonline.com";
    t.tenant = tenant;
    t.client_id = "a3e5c7d9-1b2f-4a6c-8e0d-2f4b6a8c0e12";
    t.api_url = kApi;
    t.client_secret = [] { return Result<Secret>(Secret(kSecret)); };
    tokens_ = std::make_unique<TokenProvider>(t, transport_, clock_, random_, &stats_);
    limiter_ = std::make_unique<RateLimiter>(per_minute, clock_);
    ApiClientOptions o;
    o.api_url = kApi;
    o.publisher_id = publisher;
    o.max_blob_bytes = 64ull * 1024 * 1024;
    client_ = std::make_unique<ApiClientImpl>(o, transport_, *tokens_, *limiter_, clock_, random_,
                                              stats_);
  }

  std::vector<FakeTransport::Recorded> apiRequests() const {
    std::vector<FakeTransport::Recorded> out;
    for (auto& r : transport_.requests())
      if (r.url.find(kTokenPath) == std::string::npos) out.push_back(r);
    return out;
  }

  FakeClock clock_;
  Random random_{1234};
  FakeTransport transport_;
  ApiStats stats_;
  std::atomic<int> tokens_minted_{0};
  std::string token_tid_ = kTenant;
  std::unique_ptr<TokenProvider> tokens_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<ApiClientImpl> client_;
};

TEST_F(ApiClientImplTest, RelativePathsGoBelowTheFeedRootWithTokenAndPublisher) {
  build();
  transport_.enqueue("subscriptions/list", FakeTransport::response(200, "[]"));
  auto r = client_->call(ApiCall::kSubscriptionList, "GET", "subscriptions/list", {});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  auto reqs = apiRequests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].url, kFeed + "subscriptions/list?PublisherIdentifier=" + kTenant);
  EXPECT_TRUE(reqs[0].had_bearer);
  EXPECT_EQ(reqs[0].max_response_bytes, 16u * 1024 * 1024);
  auto snap = stats_.snapshot();
  ASSERT_EQ(snap.requests.size(), 1u);
  EXPECT_EQ(snap.requests[0].outcome, ApiOutcome::k2xx);
}

TEST_F(ApiClientImplTest, PublisherIdentifierIsAppendedOnce) {
  build(kTenant, "11111111-2222-3333-4444-555555555555");
  transport_.setDefault(kFeed, FakeTransport::response(200, "[]"));
  ASSERT_TRUE(
      client_
          ->call(ApiCall::kContentList, "GET",
                 "subscriptions/content?contentType=Audit.Exchange&startTime=2025-01-14T00:00:00",
                 {})
          .ok());
  ASSERT_TRUE(
      client_
          ->call(ApiCall::kContentList, "GET",
                 kFeed + "subscriptions/content?contentType=Audit.Exchange&publisherIdentifier=" +
                     kTenant,
                 {})
          .ok());
  auto reqs = apiRequests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].url,
            kFeed +
                "subscriptions/content?contentType=Audit.Exchange&startTime=2025-01-14T00:00:00"
                "&PublisherIdentifier=11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(
      reqs[1].url,
      kFeed + "subscriptions/content?contentType=Audit.Exchange&publisherIdentifier=" + kTenant);
}

TEST_F(ApiClientImplTest, BlobsUseTheBlobSizeLimitAndPostsHaveNoBody) {
  build();
  transport_.setDefault(kFeed, FakeTransport::response(200, "[]"));
  ASSERT_TRUE(client_->call(ApiCall::kBlob, "GET", kFeed + "audit/abc", {}).ok());
  ASSERT_TRUE(
      client_
          ->call(ApiCall::kSubscriptionStart, "POST", "subscriptions/start?contentType=DLP.All", {})
          .ok());
  auto reqs = apiRequests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].max_response_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(reqs[1].method, "POST");
  EXPECT_TRUE(reqs[1].body.empty());
}

TEST_F(ApiClientImplTest, RetriesA503ThenSucceeds) {
  build();
  transport_.enqueue(kFeed, FakeTransport::response(503, "<html>Service Unavailable</html>"));
  transport_.enqueue(kFeed, FakeTransport::response(200, "[1]"));
  const SteadyTime start = clock_.steadyNow();
  auto r = client_->call(ApiCall::kContentList, "GET",
                         "subscriptions/content?contentType=Audit.General", {});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->body, "[1]");
  EXPECT_EQ(apiRequests().size(), 2u);
  EXPECT_GE(clock_.steadyNow() - start, 100ms) << "a retry must back off";
  EXPECT_EQ(stats_.snapshot().retries, 1u);
}

TEST_F(ApiClientImplTest, Af429InA403PausesTheTenant) {
  build();
  transport_.enqueue(kFeed, FakeTransport::response(403, afBody("AF429")));
  transport_.enqueue(kFeed, FakeTransport::response(200, "[]"));
  const SteadyTime start = clock_.steadyNow();
  auto r = client_->call(ApiCall::kBlob, "GET", kFeed + "audit/abc", {});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_GT(limiter_->pausedUntil(), start) << "the whole tenant must back off";
  EXPECT_EQ(stats_.snapshot().throttled, 1u);
  EXPECT_EQ(apiRequests().size(), 2u);
}

TEST_F(ApiClientImplTest, Af429InA429HonoursRetryAfterWithACap) {
  build();
  transport_.enqueue(kFeed,
                     FakeTransport::response(429, afBody("AF429"), {{"Retry-After", "120"}}));
  transport_.enqueue(kFeed,
                     FakeTransport::response(429, afBody("AF429"), {{"Retry-After", "86400"}}));
  transport_.enqueue(kFeed, FakeTransport::response(200, "[]"));
  const SteadyTime start = clock_.steadyNow();
  auto r = client_->call(ApiCall::kBlob, "GET", kFeed + "audit/abc", {});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  auto waited = clock_.steadyNow() - start;
  EXPECT_GE(waited, 120s + 300s);
  EXPECT_LT(waited, 120s + 300s + 60s) << "Retry-After must be capped at 5 minutes";
  EXPECT_EQ(stats_.snapshot().throttled, 2u);
}

TEST_F(ApiClientImplTest, GivesUpAfterMaxAttemptsWithARetryableError) {
  build();
  transport_.setDefault(kFeed, FakeTransport::response(503, ""));
  auto r = client_->call(ApiCall::kContentList, "GET",
                         "subscriptions/content?contentType=Audit.General", {});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(r.error().code, "HTTP 503");
  EXPECT_EQ(apiRequests().size(), 8u);
}

TEST_F(ApiClientImplTest, TransportErrorsAreRetried) {
  build();
  transport_.enqueue(
      kFeed, FakeTransport::transportError("GET https://manage.office.com/x: Connection reset"));
  transport_.enqueue(kFeed, FakeTransport::response(200, "[]"));
  ASSERT_TRUE(client_->call(ApiCall::kBlob, "GET", kFeed + "audit/abc", {}).ok());
  EXPECT_EQ(stats_.snapshot().transport_errors, 1u);
}

TEST_F(ApiClientImplTest, A401FetchesANewTokenAndRetriesOnce) {
  build();
  transport_.enqueue(kFeed, FakeTransport::response(401, ""));
  transport_.enqueue(kFeed, FakeTransport::response(200, "[]"));
  ASSERT_TRUE(client_->call(ApiCall::kBlob, "GET", kFeed + "audit/abc", {}).ok());
  auto reqs = apiRequests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(tokens_minted_.load(), 2);
  EXPECT_NE(reqs[0].bearer_token, reqs[1].bearer_token) << "the retry must carry the new token";
  EXPECT_EQ(stats_.snapshot().throttled, 0u);
}

TEST_F(ApiClientImplTest, ASecond401IsReturned) {
  build();
  transport_.setDefault(kFeed, FakeTransport::response(401, ""));
  auto r = client_->call(ApiCall::kBlob, "GET", kFeed + "audit/abc", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kAuth);
  EXPECT_EQ(apiRequests().size(), 2u);
}

TEST_F(ApiClientImplTest, Af10001IsPermanentAfterAFreshToken) {
  build();
  transport_.setDefault(kFeed, FakeTransport::response(401, afBody("AF10001")));
  auto r = client_->call(ApiCall::kSubscriptionList, "GET", "subscriptions/list", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kPermission);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_NE(r.error().message.find("ActivityFeed.Read"), std::string::npos);
  EXPECT_EQ(apiRequests().size(), 2u);
  EXPECT_EQ(tokens_minted_.load(), 2);
}

TEST_F(ApiClientImplTest, PermanentErrorsAreNotRetried) {
  build();
  transport_.setDefault(kFeed, FakeTransport::response(400, afBody("AF20022")));
  auto r = client_->call(ApiCall::kContentList, "GET",
                         "subscriptions/content?contentType=Audit.General", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "AF20022");
  EXPECT_EQ(apiRequests().size(), 1u);
  auto snap = stats_.snapshot();
  ASSERT_EQ(snap.errors.size(), 1u);
  EXPECT_EQ(snap.errors[0].code, "AF20022");
}

TEST_F(ApiClientImplTest, ForeignContentUriIsRefusedAndNoTokenLeaves) {
  build();
  transport_.setDefault("evil", FakeTransport::response(200, "[]"));
  for (const std::string& url :
       {"https://evil.example.com/api/v1.0/" + kTenant + "/activity/feed/audit/abc",
        "https://manage.office.com.evil.example/api/v1.0/" + kTenant +
            "/activity/feed/audit/abc"}) {
    auto r = client_->call(ApiCall::kBlob, "GET", url, {});
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().code, "untrusted_uri");
    EXPECT_FALSE(r.error().retryable);
  }
  for (const auto& req : transport_.requests()) {
    EXPECT_EQ(req.url.find("evil"), std::string::npos) << "request made to " << req.url;
    if (req.had_bearer) {
      EXPECT_EQ(req.host, "manage.office.com");
    }
  }
  EXPECT_TRUE(apiRequests().empty());
}

TEST_F(ApiClientImplTest, NextPageUriOnAnotherPortIsRefused) {
  build();
  transport_.setDefault(kFeed, FakeTransport::response(200, "[]"));
  auto r = client_->call(ApiCall::kContentList, "GET",
                         "https://manage.office.com:8443/api/v1.0/" + kTenant +
                             "/activity/feed/subscriptions/content?nextPage=abc",
                         {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "untrusted_uri");
  EXPECT_TRUE(apiRequests().empty());
}

TEST_F(ApiClientImplTest, ClockSkewFollowsTheDateHeader) {
  build();
  EXPECT_EQ(client_->clockSkew(), 0s);
  transport_.enqueue(kFeed, FakeTransport::response(
                                200, "[]", {{"Date", formatHttpDate(clock_.wallNow() + 90s)}}));
  ASSERT_TRUE(client_->call(ApiCall::kSubscriptionList, "GET", "subscriptions/list", {}).ok());
  EXPECT_NEAR(client_->clockSkew().count(), 90, 1);
  transport_.enqueue(
      kFeed, FakeTransport::response(503, "", {{"Date", formatHttpDate(clock_.wallNow() - 30s)}}));
  transport_.enqueue(kFeed, FakeTransport::response(200, "[]"));
  ASSERT_TRUE(client_->call(ApiCall::kSubscriptionList, "GET", "subscriptions/list", {}).ok());
  EXPECT_NEAR(client_->clockSkew().count(), -30, 1) << "every response updates the skew";
}

TEST_F(ApiClientImplTest, DomainTenantIsResolvedFromTheToken) {
  token_tid_ = kTenant;
  build("contoso.onmicrosoft.com");
  EXPECT_EQ(client_->tenantGuid(), "");
  transport_.setDefault(kFeed, FakeTransport::response(200, "[]"));
  ASSERT_TRUE(client_->call(ApiCall::kSubscriptionList, "GET", "subscriptions/list", {}).ok());
  EXPECT_EQ(client_->tenantGuid(), kTenant);
  ASSERT_EQ(apiRequests().size(), 1u);
  EXPECT_EQ(apiRequests()[0].url, kFeed + "subscriptions/list?PublisherIdentifier=" + kTenant);
}

TEST_F(ApiClientImplTest, WrongSecretIsReturnedAtOnceWithoutTheSecret) {
  build();
  transport_.setHandler(nullptr);
  transport_.setDefault(
      kTokenPath,
      FakeTransport::response(401, R"({"error":"invalid_client","error_codes":[7000215]})"));
  auto r = client_->call(ApiCall::kSubscriptionList, "GET", "subscriptions/list", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "AADSTS7000215");
  EXPECT_NE(r.error().message.find("secret ID"), std::string::npos);
  EXPECT_EQ(r.error().message.find(kSecret), std::string::npos);
  EXPECT_TRUE(apiRequests().empty());
}

TEST_F(ApiClientImplTest, StopCancelsWithoutARequest) {
  build();
  std::stop_source stop;
  stop.request_stop();
  auto r = client_->call(ApiCall::kBlob, "GET", kFeed + "audit/abc", stop.get_token());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kCancelled);
  EXPECT_TRUE(apiRequests().empty());
}

TEST_F(ApiClientImplTest, TheTenantBudgetHoldsAcrossThreads) {
  constexpr int kPerMinute = 120;
  constexpr int kThreads = 4;
  constexpr int kCallsEach = 60;
  build(kTenant, {}, kPerMinute);
  std::mutex mu;
  std::vector<SteadyTime> seen;
  transport_.setHandler([&](const HttpRequest& r) -> std::optional<FakeTransport::Reply> {
    if (r.url.find(kTokenPath) != std::string::npos)
      return FakeTransport::Reply(
          FakeTransport::tokenResponse(fakeJwt(R"({"tid":")" + kTenant + "\"}")));
    std::lock_guard lock(mu);
    seen.push_back(clock_.steadyNow());
    return FakeTransport::Reply(FakeTransport::response(200, "[]"));
  });
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < kCallsEach; ++i)
        if (!client_->call(ApiCall::kBlob, "GET", kFeed + "audit/abc", {}).ok()) ++failures;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kThreads * kCallsEach));
  std::sort(seen.begin(), seen.end());
  size_t busiest = 0;
  for (size_t i = 0, j = 0; i < seen.size(); ++i) {
    while (j < seen.size() && seen[j] < seen[i] + 60s) ++j;
    busiest = std::max(busiest, j - i);
  }
  // Arrival times are read after the limiter granted the slot; another thread's sleep can move
  // fake time in between, shifting at most one request per thread into a later window.
  EXPECT_LE(busiest, static_cast<size_t>(kPerMinute + kThreads));
  EXPECT_EQ(limiter_->granted(), static_cast<uint64_t>(kThreads * kCallsEach));
}

}  // namespace
}  // namespace o365fwd
