#include "connector/graph/graph_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "tests/fakes/fake_transport.h"

namespace o365fwd {
namespace {

using testing::fakeJwt;
using testing::FakeTransport;

constexpr const char* kGraph = "https://graph.microsoft.com";
constexpr const char* kIssues = "/v1.0/admin/serviceAnnouncement/issues";

std::string page(const std::string& ids, const std::string& next = "") {
  std::string items;
  std::size_t start = 0;
  while (start < ids.size()) {
    std::size_t end = ids.find(',', start);
    if (end == std::string::npos) end = ids.size();
    if (!items.empty()) items += ",";
    items += R"({"id":")" + ids.substr(start, end - start) +
             R"(","lastModifiedDateTime":"2026-12-01T00:00:00Z","service":"Exchange Online"})";
    start = end + 1;
  }
  std::string body = R"({"value":[)" + items + "]";
  if (!next.empty()) body += R"(,"@odata.nextLink":")" + next + "\"";
  return body + "}";
}

class GraphClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.setAutoAdvance(true);
    transport_.setHandler([this](const HttpRequest& r) -> std::optional<FakeTransport::Reply> {
      if (r.url.find("/oauth2/") == std::string::npos) return std::nullopt;
      scopes_.push_back(r.body);
      return FakeTransport::Reply(FakeTransport::tokenResponse(
          fakeJwt(R"({"tid":"7f3c1d2e-0a4b-4c5d-9e8f-1a2b3c4d5e6f","n":)" +
                  std::to_string(++tokens_) + "}"),
          3599));
    });
    TokenProviderOptions t;
    t.login_url = "https://login.microsoftonline.com";
    t.tenant = "7f3c1d2e-0a4b-4c5d-9e8f-1a2b3c4d5e6f";
    t.client_id = "a3e5c7d9-1b2f-4a6c-8e0d-2f4b6a8c0e12";
    t.api_url = kGraph;
    t.client_secret = [] { return Result<Secret>(Secret("Zx8Q~fakeSecret.Value")); };
    tokens_provider_ = std::make_unique<TokenProvider>(t, transport_, clock_, random_);
    limiter_ = std::make_unique<RateLimiter>(600, clock_);
    GraphClientOptions o;
    o.graph_url = kGraph;
    o.max_pages = 5;
    client_ =
        std::make_unique<GraphClient>(o, transport_, *tokens_provider_, *limiter_, clock_, random_);
  }

  FakeClock clock_;
  Random random_{7};
  FakeTransport transport_;
  std::vector<std::string> scopes_;
  std::atomic<int> tokens_{0};
  std::unique_ptr<TokenProvider> tokens_provider_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<GraphClient> client_;
};

TEST_F(GraphClientTest, FollowsNextLinkWithAGraphScopedTokenWithinTheBudget) {
  const std::string next = std::string(kGraph) + kIssues + "?$skiptoken=2";
  transport_.enqueue("skiptoken=2", FakeTransport::response(200, page("C")));
  transport_.enqueue(kIssues, FakeTransport::response(200, page("A,B", next)));
  auto listing = client_->listIssues({});
  ASSERT_TRUE(listing.ok()) << listing.error().describe();
  ASSERT_EQ(listing->issues.size(), 3u);
  EXPECT_EQ(listing->issues[2].id, "C");
  EXPECT_EQ(listing->pages, 2u);
  ASSERT_FALSE(scopes_.empty());
  EXPECT_NE(scopes_[0].find("scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"),
            std::string::npos)
      << scopes_[0];
  EXPECT_EQ(limiter_->granted(), 2u);  // each Graph request took a slot of the tenant's budget
}

TEST_F(GraphClientTest, ForbiddenIsAPermanentPermissionErrorWithTheRemedy) {
  transport_.enqueue(
      kIssues,
      FakeTransport::response(
          403,
          R"({"error":{"code":"UnknownError","message":"Missing role permissions on the request."}})"));
  auto listing = client_->listIssues({});
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.error().kind, ErrorKind::kPermission);
  EXPECT_FALSE(listing.error().retryable);
  EXPECT_EQ(listing.error().code, kGraphPermissionCode);
  EXPECT_NE(listing.error().message.find("ServiceHealth.Read.All"), std::string::npos);
  EXPECT_NE(listing.error().message.find("Grant admin consent"), std::string::npos);
  EXPECT_NE(listing.error().message.find("Missing role permissions"), std::string::npos);
}

TEST_F(GraphClientTest, NextLinkToAnotherHostIsRefusedAndTheTokenNotSent) {
  transport_.enqueue(kIssues,
                     FakeTransport::response(200, page("A",
                                                       "https://evil.example.com/v1.0/admin/"
                                                       "serviceAnnouncement/issues?$skiptoken=1")));
  auto listing = client_->listIssues({});
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.error().code, "untrusted_uri");
  for (const auto& r : transport_.requests()) EXPECT_NE(r.host, "evil.example.com");
  EXPECT_FALSE(client_->checkGraphUrl(std::string(kGraph) + "/v1.0/users").ok());
  EXPECT_FALSE(
      client_->checkGraphUrl(std::string(kGraph) + "/v1.0/admin/serviceAnnouncement/../../users")
          .ok());
  EXPECT_TRUE(client_->checkGraphUrl(std::string(kGraph) + kIssues + "?$top=1").ok());
}

TEST_F(GraphClientTest, PagingLoopAndTooManyPagesEndTheListing) {
  const std::string self = std::string(kGraph) + kIssues;
  transport_.setDefault(kIssues, FakeTransport::response(200, page("A", self)));
  auto loop = client_->listIssues({});
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(loop.error().code, "graph_paging_loop");

  int n = 0;
  transport_.setHandler([&](const HttpRequest& r) -> std::optional<FakeTransport::Reply> {
    if (r.url.find("/oauth2/") != std::string::npos)
      return FakeTransport::Reply(FakeTransport::tokenResponse(fakeJwt(R"({"n":1})"), 3599));
    return FakeTransport::Reply(
        FakeTransport::response(200, page("A", self + "?$skiptoken=" + std::to_string(++n))));
  });
  auto endless = client_->listIssues({});
  ASSERT_FALSE(endless.ok());
  EXPECT_EQ(endless.error().code, "graph_too_many_pages");
}

TEST_F(GraphClientTest, ThrottlingAndServerErrorsAreRetried) {
  transport_.enqueue(kIssues, FakeTransport::response(429, "{}", {{"Retry-After", "2"}}));
  transport_.enqueue(kIssues, FakeTransport::response(503, "busy"));
  transport_.enqueue(kIssues, FakeTransport::response(200, page("A")));
  auto listing = client_->listIssues({});
  ASSERT_TRUE(listing.ok()) << listing.error().describe();
  EXPECT_EQ(listing->issues.size(), 1u);
  EXPECT_EQ(client_->requests(), 3u);
}

TEST_F(GraphClientTest, CorruptAnswerIsAnError) {
  transport_.enqueue(kIssues, FakeTransport::response(200, "<html>proxy login</html>"));
  auto listing = client_->listIssues({});
  ASSERT_FALSE(listing.ok());
  EXPECT_EQ(listing.error().kind, ErrorKind::kCorrupt);
}

}  // namespace
}  // namespace o365fwd
