#include "app/service_health/service_health_monitor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "tests/fakes/fake_transport.h"
#include "tests/fakes/memory_sink.h"
#include "tests/fakes/memory_state_store.h"

namespace o365fwd {
namespace {

using testing::fakeJwt;
using testing::FakeTransport;
using testing::MemorySink;
using testing::MemoryStateStore;

constexpr const char* kIssues = "/v1.0/admin/serviceAnnouncement/issues";
constexpr const char* kOverviews = "/v1.0/admin/serviceAnnouncement/healthOverviews";

std::string issueJson(const std::string& id, const std::string& modified, bool resolved,
                      const std::string& service = "Exchange Online") {
  return R"({"id":")" + id + R"(","lastModifiedDateTime":")" + modified +
         R"(","classification":"incident","status":"serviceDegradation","service":")" + service +
         R"(","isResolved":)" + (resolved ? "true" : "false") + "}";
}

class ServiceHealthMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.setAutoAdvance(true);
    transport_.setHandler([](const HttpRequest& r) -> std::optional<FakeTransport::Reply> {
      if (r.url.find("/oauth2/") == std::string::npos) return std::nullopt;
      return FakeTransport::Reply(FakeTransport::tokenResponse(fakeJwt(R"({"n":1})"), 3599));
    });
    transport_.setDefault(kOverviews, FakeTransport::response(200, R"({"value":[]})"));
    TokenProviderOptions t;
    t.login_url = "https://login.microsoftonline.com";
    t.tenant = "7f3c1d2e-0a4b-4c5d-9e8f-1a2b3c4d5e6f";
    t.client_id = "a3e5c7d9-1b2f-4a6c-8e0d-2f4b6a8c0e12";
    t.api_url = "https://graph.microsoft.com";
    t.client_secret = [] { return Result<Secret>(Secret("Zx8Q~fakeSecret.Value")); };
    tokens_ = std::make_unique<TokenProvider>(t, transport_, clock_, random_);
    limiter_ = std::make_unique<RateLimiter>(6000, clock_);
    graph_ = std::make_unique<GraphClient>(GraphClientOptions{}, transport_, *tokens_, *limiter_,
                                           clock_, random_);
    ASSERT_TRUE(sink_a_.start().ok());
    ASSERT_TRUE(sink_b_.start().ok());
  }

  // A monitor as the daemon has it after a (re)start: same store and sinks.
  std::unique_ptr<ServiceHealthMonitor> monitor() {
    delivery_ = std::make_unique<IssueDelivery>(std::vector<Sink*>{&sink_a_, &sink_b_}, store_,
                                                nullptr, clock_);
    ServiceHealthOptions o;
    o.delivery_timeout = std::chrono::seconds(1);
    auto m = std::make_unique<ServiceHealthMonitor>(o, *delivery_, store_, clock_, random_);
    m->addTenant("contoso", graph_.get());
    return m;
  }

  void answer(const std::string& items) {
    transport_.setDefault(kIssues, FakeTransport::response(200, R"({"value":[)" + items + "]}"));
  }

  ServiceHealthReport status(const ServiceHealthMonitor& m) { return m.report().at(0); }

  FakeClock clock_;
  Random random_{3};
  FakeTransport transport_;
  std::unique_ptr<TokenProvider> tokens_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<GraphClient> graph_;
  MemorySink sink_a_{"a"}, sink_b_{"b"};
  MemoryStateStore store_;
  std::unique_ptr<IssueDelivery> delivery_;
};

TEST_F(ServiceHealthMonitorTest, ForwardsNewIssuesOnceAndChangesAgainAcrossARestart) {
  answer(issueJson("EX1", "t1", false) + "," + issueJson("SP1", "t1", true, "SharePoint Online"));
  auto m = monitor();
  m->pollTenant("contoso", {});
  EXPECT_EQ(sink_a_.records().size(), 2u);
  EXPECT_EQ(sink_b_.records().size(), 2u);
  EXPECT_EQ(status(*m).state, "ok");
  EXPECT_EQ(status(*m).issues_forwarded, 2u);
  ASSERT_EQ(status(*m).open_issues.size(), 1u);  // SP1 is resolved
  EXPECT_EQ(status(*m).open_issues[0].content_types, std::vector<std::string>{"Audit.Exchange"});

  m->pollTenant("contoso", {});  // nothing changed
  EXPECT_EQ(sink_a_.records().size(), 2u);

  m = monitor();  // a restart: the store knows them
  m->pollTenant("contoso", {});
  EXPECT_EQ(sink_a_.records().size(), 2u);
  EXPECT_EQ(status(*m).issues_forwarded, 0u);

  answer(issueJson("EX1", "t2", true) + "," + issueJson("SP1", "t1", true, "SharePoint Online"));
  m->pollTenant("contoso", {});
  ASSERT_EQ(sink_a_.records().size(), 3u);
  EXPECT_NE(sink_a_.records()[2].find(R"("lastModifiedDateTime":"t2")"), std::string::npos);
  EXPECT_TRUE(status(*m).open_issues.empty());
}

TEST_F(ServiceHealthMonitorTest, ASinkThatFailsGetsTheBatchAgainAndKeysWaitForIt) {
  answer(issueJson("EX1", "t1", false));
  sink_b_.setPolicy([](const RecordBatch&) {
    DeliveryReport r;
    r.status = DeliveryStatus::kRetryable;
    r.error = Error::retryableError(ErrorKind::kSink, "broker down");
    return r;
  });
  auto m = monitor();
  m->pollTenant("contoso", {});
  EXPECT_EQ(sink_a_.records().size(), 1u);
  EXPECT_EQ(sink_b_.records().size(), 0u);
  EXPECT_EQ(status(*m).state, "error");
  EXPECT_NE(status(*m).last_error->message.find("broker down"), std::string::npos);
  // Not committed: a restart now would send it again (at least once).
  auto seen = store_.keysSeen({RecordKey::of("contoso", "EX1", "t1")});
  ASSERT_TRUE(seen.ok());
  EXPECT_FALSE((*seen)[0]);

  sink_b_.setPolicy(nullptr);
  m->pollTenant("contoso", {});
  EXPECT_EQ(sink_a_.records().size(), 1u);  // not sent to a again
  EXPECT_EQ(sink_b_.records().size(), 1u);
  EXPECT_EQ(status(*m).state, "ok");
  seen = store_.keysSeen({RecordKey::of("contoso", "EX1", "t1")});
  EXPECT_TRUE((*seen)[0]);
}

TEST_F(ServiceHealthMonitorTest, MissingPermissionIsReportedWithTheRemedy) {
  transport_.setDefault(kIssues, FakeTransport::response(403, R"({"error":{"code":"Forbidden"}})"));
  auto m = monitor();
  m->pollTenant("contoso", {});
  ServiceHealthReport s = status(*m);
  EXPECT_EQ(s.state, "error");
  ASSERT_TRUE(s.last_error.has_value());
  EXPECT_EQ(s.last_error->code, "ServiceHealth.Read.All");
  EXPECT_NE(s.last_error->message.find("Grant admin consent"), std::string::npos);
  EXPECT_TRUE(sink_a_.records().empty());

  answer(issueJson("EX1", "t1", false));  // consent granted
  m->pollTenant("contoso", {});
  EXPECT_EQ(status(*m).state, "ok");
  EXPECT_FALSE(status(*m).last_error.has_value());
}

// The file sink's recovered tail is held until every tenant of the start sent again what was in
// flight: the callback comes once, after each start tenant's first poll (a removed one counts).
TEST_F(ServiceHealthMonitorTest, EveryTenantPolledComesOnceAfterTheStartTenantsFirstPolls) {
  answer(issueJson("EX1", "t1", false));
  delivery_ =
      std::make_unique<IssueDelivery>(std::vector<Sink*>{&sink_a_}, store_, nullptr, clock_);
  std::atomic<int> calls{0};
  ServiceHealthOptions o;
  o.every_tenant_polled = [&calls] { ++calls; };
  ServiceHealthMonitor m(o, *delivery_, store_, clock_, random_);
  m.addTenant("contoso", graph_.get());
  m.addTenant("fabrikam", graph_.get());
  m.addTenant("gone", graph_.get());
  m.removeTenant("gone");
  m.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (calls.load() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  m.stop();
  EXPECT_EQ(calls.load(), 1);
  for (const ServiceHealthReport& r : m.report()) EXPECT_TRUE(r.last_poll) << r.tenant;

  ServiceHealthMonitor empty(o, *delivery_, store_, clock_, random_);
  empty.start();  // no tenant: at once
  empty.stop();
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(ServiceHealthMonitorTest, RemovedTenantIsNoLongerReported) {
  answer("");
  auto m = monitor();
  EXPECT_EQ(m->report().size(), 1u);
  m->removeTenant("contoso");
  EXPECT_TRUE(m->report().empty());
}

}  // namespace
}  // namespace o365fwd
