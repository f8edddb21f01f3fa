#include "connector/subscription_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/fakes/fake_api_client.h"
#include "tests/support/log_capture.h"

namespace o365fwd {
namespace {

using fakes::FakeApiClient;
using std::chrono::minutes;
using std::chrono::seconds;

const std::string kStartExchange = "subscriptions/start?contentType=Audit.Exchange";
const std::string kStopExchange = "subscriptions/stop?contentType=Audit.Exchange";
const std::string kList = "subscriptions/list";
constexpr const char* kEnabled =
    R"({"contentType":"Audit.Exchange","status":"enabled","webhook":null})";

Error af20024() {
  return FakeApiClient::apiError("AF20024",
                                 "The subscription is already enabled. No property change.");
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class SubscriptionManagerTest : public ::testing::Test {
 protected:
  FakeApiClient api_;
  FakeClock clock_;
  SubscriptionManager subs_{api_, clock_, "contoso"};
};

TEST_F(SubscriptionManagerTest, StartSendsAPostAndAcceptsEnabled) {
  api_.respond(kStartExchange, FakeApiClient::json(kEnabled));
  auto s = subs_.start("Audit.Exchange", {});
  ASSERT_TRUE(s) << s.error().describe();
  auto calls = api_.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].call, ApiCall::kSubscriptionStart);
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(calls[0].url, kStartExchange);
}

TEST_F(SubscriptionManagerTest, RepeatedStartAfterFifteenMinutesTreatsAF20024AsSuccess) {
  api_.script(kStartExchange, {FakeApiClient::json(kEnabled), af20024()});
  ASSERT_TRUE(subs_.start("Audit.Exchange", {}));
  clock_.advance(minutes(15));
  auto s = subs_.start("Audit.Exchange", {});
  EXPECT_TRUE(s) << s.error().describe();
  EXPECT_EQ(api_.callCount(kStartExchange), 2u);
}

TEST_F(SubscriptionManagerTest, SecondStartWithinFifteenMinutesIsNotSent) {
  api_.respond(kStartExchange, FakeApiClient::json(kEnabled));
  ASSERT_TRUE(subs_.start("Audit.Exchange", {}));
  clock_.advance(minutes(10));
  auto s = subs_.start("Audit.Exchange", {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "start_throttled");
  EXPECT_TRUE(s.error().retryable);
  EXPECT_EQ(s.error().kind, ErrorKind::kThrottled);
  ASSERT_TRUE(s.error().retry_after);
  EXPECT_EQ(*s.error().retry_after, minutes(5));
  // FakeClock starts at 2025-01-14T12:00:00; +10 min now, +15 min may retry.
  EXPECT_TRUE(contains(s.error().message, "2025-01-14T12:15:00 UTC")) << s.error().message;
  EXPECT_EQ(api_.callCount(kStartExchange), 1u);

  // Other content types have their own 15 minutes.
  api_.respond(
      "subscriptions/start?contentType=DLP.All",
      FakeApiClient::json(R"({"contentType":"DLP.All","status":"enabled","webhook":null})"));
  EXPECT_TRUE(subs_.start("DLP.All", {}));

  clock_.advance(minutes(5));
  EXPECT_TRUE(subs_.start("Audit.Exchange", {}));
  EXPECT_EQ(api_.callCount(kStartExchange), 2u);
}

TEST_F(SubscriptionManagerTest, AFailedStartAlsoCountsForTheFifteenMinutes) {
  api_.fail(kStartExchange,
            FakeApiClient::apiError("AF50000", "internal error", ErrorKind::kApi, true));
  EXPECT_FALSE(subs_.start("Audit.Exchange", {}));
  auto s = subs_.start("Audit.Exchange", {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "start_throttled");
  EXPECT_EQ(api_.callCount(kStartExchange), 1u);
}

TEST_F(SubscriptionManagerTest, StopIsNotThrottled) {
  api_.respond(kStopExchange, FakeApiClient::json("", 200));
  EXPECT_TRUE(subs_.stop("Audit.Exchange", {}));
  EXPECT_TRUE(subs_.stop("Audit.Exchange", {}));
  EXPECT_EQ(api_.callCount(kStopExchange), 2u);
  EXPECT_EQ(api_.calls()[0].call, ApiCall::kSubscriptionStop);
  EXPECT_EQ(api_.calls()[0].method, "POST");
}

TEST_F(SubscriptionManagerTest, StatusOtherThanEnabledIsAnErrorNamingIt) {
  api_.respond(kStartExchange,
               FakeApiClient::json(
                   R"({"contentType":"Audit.Exchange","status":"disabled","webhook":null})"));
  auto s = subs_.start("Audit.Exchange", {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "subscription_status");
  EXPECT_FALSE(s.error().retryable);
  EXPECT_TRUE(contains(s.error().message, "\"disabled\"")) << s.error().message;
}

TEST_F(SubscriptionManagerTest, DisabledByAdminTellsTheOperatorHowToReEnable) {
  api_.fail(kStartExchange,
            FakeApiClient::apiError("AF20023",
                                    "The subscription was disabled by a tenant administrator."));
  auto s = subs_.start("Audit.Exchange", {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "AF20023");
  EXPECT_EQ(s.error().kind, ErrorKind::kApi);
  EXPECT_TRUE(contains(s.error().message, "Re-enable it in the tenant")) << s.error().message;
  EXPECT_TRUE(contains(s.error().message,
                       "`o365fwd subscriptions start --tenant contoso --content-type "
                       "Audit.Exchange`"))
      << s.error().message;
}

TEST_F(SubscriptionManagerTest, AuditingDisabledTellsTheOperatorToTurnOnAuditLogging) {
  api_.fail(kStartExchange,
            FakeApiClient::apiError("AuditingDisabled",
                                    "failed. Exception: Microsoft.Office.Compliance.Audit."
                                    "DataServiceException: Tenant x does not exist.\r\n   at Foo"));
  auto s = subs_.start("Audit.Exchange", {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "AuditingDisabled");
  EXPECT_TRUE(contains(s.error().message, "unified audit logging")) << s.error().message;
  EXPECT_TRUE(contains(s.error().message, "Microsoft Purview"));
  EXPECT_TRUE(contains(s.error().message, "60 minutes"));
  EXPECT_FALSE(contains(s.error().message, "DataServiceException"));  // no stack trace
}

TEST_F(SubscriptionManagerTest, MissingPermissionKeepsItsKindAndNamesTheRole) {
  api_.fail(kList, FakeApiClient::apiError(
                       "AF10001",
                       "The permission set () sent in the request does not include the expected "
                       "permission.",
                       ErrorKind::kPermission));
  auto listed = subs_.list({});
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().kind, ErrorKind::kPermission);
  EXPECT_EQ(listed.error().code, "AF10001");
  EXPECT_TRUE(contains(listed.error().message, "ActivityFeed.Read")) << listed.error().message;
  EXPECT_TRUE(contains(listed.error().message, "admin consent"));
}

TEST_F(SubscriptionManagerTest, ListToleratesEntriesWithoutStatus) {
  api_.respond(kList, FakeApiClient::json(R"([
    {"contentType":"Audit.Exchange","status":"enabled","webhook":null},
    {"contentType":"Audit.SharePoint","webhook":{"status":"enabled","address":"https://x","authId":null}},
    {"contentType":"DLP.All","status":"disabled"},
    {"status":"enabled"}, 42])"));
  auto listed = subs_.list({});
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].content_type, "Audit.Exchange");
  EXPECT_EQ((*listed)[0].status, "enabled");
  EXPECT_FALSE((*listed)[0].webhook);
  EXPECT_EQ((*listed)[1].status, "unknown");
  EXPECT_TRUE((*listed)[1].webhook);
  EXPECT_EQ((*listed)[2].status, "disabled");
  EXPECT_EQ(api_.calls()[0].call, ApiCall::kSubscriptionList);
  EXPECT_EQ(api_.calls()[0].method, "GET");
}

TEST_F(SubscriptionManagerTest, ListEmptyAndListNotAnArray) {
  api_.script(kList, {FakeApiClient::json("[]"), FakeApiClient::json(R"({"value":[]})")});
  auto empty = subs_.list({});
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto bad = subs_.list({});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kCorrupt);
}

TEST_F(SubscriptionManagerTest, EnsureEnabledTrustsAFreshListAndDoesNotStart) {
  api_.respond(kList, FakeApiClient::json(std::string("[") + kEnabled + "]"));
  EXPECT_TRUE(subs_.ensureEnabled("Audit.Exchange", {}));
  EXPECT_TRUE(subs_.ensureEnabled("Audit.Exchange", {}));
  EXPECT_EQ(api_.callCount(kList), 1u);  // cached
  EXPECT_EQ(api_.callCount(kStartExchange), 0u);
  clock_.advance(minutes(6));
  EXPECT_TRUE(subs_.ensureEnabled("Audit.Exchange", {}));
  EXPECT_EQ(api_.callCount(kList), 2u);  // cache expired
}

TEST_F(SubscriptionManagerTest, EnsureEnabledStartsWhatTheListDoesNotShowEnabled) {
  api_.respond(kList,
               FakeApiClient::json(
                   R"([{"contentType":"Audit.Exchange","status":"disabled","webhook":null}])"));
  api_.respond(kStartExchange, FakeApiClient::json(kEnabled));
  api_.respond(
      "subscriptions/start?contentType=DLP.All",
      FakeApiClient::json(R"({"contentType":"DLP.All","status":"enabled","webhook":null})"));
  EXPECT_TRUE(subs_.ensureEnabled("Audit.Exchange", {}));
  EXPECT_TRUE(subs_.ensureEnabled("DLP.All", {}));  // absent from the list
  EXPECT_EQ(api_.callCount(kList), 1u);
  EXPECT_EQ(api_.callCount(kStartExchange), 1u);
  EXPECT_EQ(api_.callCount("subscriptions/start?contentType=DLP.All"), 1u);
  EXPECT_TRUE(subs_.ensureEnabled("Audit.Exchange", {}));  // known from the start now
  EXPECT_EQ(api_.callCount(kStartExchange), 1u);
}

TEST_F(SubscriptionManagerTest, EnsureEnabledWithStatuslessListStartsOnceNotEveryCycle) {
  api_.respond(kList, FakeApiClient::json(R"([{"contentType":"Audit.Exchange","webhook":null}])"));
  api_.respond(kStartExchange, af20024());
  ASSERT_TRUE(subs_.ensureEnabled("Audit.Exchange", {}));
  EXPECT_EQ(api_.callCount(kStartExchange), 1u);
  for (int cycle = 0; cycle < 5; ++cycle) {
    clock_.advance(minutes(6));
    auto s = subs_.ensureEnabled("Audit.Exchange", {});
    EXPECT_TRUE(s) << s.error().describe();
  }
  EXPECT_EQ(api_.callCount(kStartExchange), 1u);
  EXPECT_EQ(api_.callCount(kList), 6u);
}

TEST_F(SubscriptionManagerTest, NoteMissingMakesEnsureEnabledStartDespiteTheCache) {
  api_.respond(kList, FakeApiClient::json(std::string("[") + kEnabled + "]"));
  api_.respond(kStartExchange, FakeApiClient::json(kEnabled));
  ASSERT_TRUE(subs_.ensureEnabled("Audit.Exchange", {}));
  subs_.noteMissing("Audit.Exchange");
  ASSERT_TRUE(subs_.ensureEnabled("Audit.Exchange", {}));
  EXPECT_EQ(api_.callCount(kList), 1u);
  EXPECT_EQ(api_.callCount(kStartExchange), 1u);
}

TEST_F(SubscriptionManagerTest, EnsureEnabledReturnsTheListError) {
  api_.fail(kList,
            FakeApiClient::apiError("HTTP 503", "service unavailable", ErrorKind::kHttp, true));
  auto s = subs_.ensureEnabled("Audit.Exchange", {});
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.error().retryable);
  EXPECT_EQ(s.error().code, "HTTP 503");
  EXPECT_TRUE(contains(s.error().message, "tenant contoso")) << s.error().message;
  EXPECT_EQ(api_.callCount(kStartExchange), 0u);
}

TEST_F(SubscriptionManagerTest, ConcurrentWorkersListOnceAndStartOnce) {
  api_.respond(kList, FakeApiClient::json("[]"));
  api_.respond(kStartExchange, FakeApiClient::json(kEnabled));
  std::vector<std::jthread> workers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    workers.emplace_back([&] {
      if (subs_.ensureEnabled("Audit.Exchange", {})) ++ok;
    });
  }
  workers.clear();  // joins
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(api_.callCount(kList), 1u);
  EXPECT_EQ(api_.callCount(kStartExchange), 1u);
}

TEST_F(SubscriptionManagerTest, StopRequestIsPassedToTheApiClient) {
  api_.respond(kList, FakeApiClient::json("[]"));
  std::stop_source stop;
  stop.request_stop();
  auto s = subs_.ensureEnabled("Audit.Exchange", stop.get_token());
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kCancelled);
}

// subscriptions/list answered 404, as a proxy or API mock without that route answers it.
Error listNotFound() {
  return FakeApiClient::apiError("HTTP 404", "subscription list: HTTP 404: Not Found",
                                 ErrorKind::kHttp);
}
const std::string kStartSharePoint = "subscriptions/start?contentType=Audit.SharePoint";

TEST_F(SubscriptionManagerTest, ListNotFoundFallsBackToStartingEachAndSaysSoOnce) {
  testing::LogCapture logs("connector.subscriptions");
  api_.fail(kList, listNotFound());
  api_.respond(kStartExchange, FakeApiClient::json(kEnabled));
  api_.respond(kStartSharePoint, af20024());  // already on
  auto exchange = subs_.ensureEnabled("Audit.Exchange", {});
  ASSERT_TRUE(exchange) << exchange.error().describe();
  auto sharepoint = subs_.ensureEnabled("Audit.SharePoint", {});
  ASSERT_TRUE(sharepoint) << sharepoint.error().describe();
  EXPECT_TRUE(subs_.listUnavailable());
  EXPECT_EQ(api_.callCount(kList), 1u) << "the 404 is remembered for list_cache_ttl";
  EXPECT_EQ(api_.callCount(kStartExchange), 1u);
  EXPECT_EQ(api_.callCount(kStartSharePoint), 1u);
  EXPECT_EQ(logs.count("subscriptions/list answered HTTP 404"), 1u) << logs.text();
  EXPECT_NE(logs.text().find("already on). tenant=contoso"), std::string::npos) << logs.text();
}

TEST_F(SubscriptionManagerTest, ListNotFoundTrustsItsOwnStartLaterAndLogsOnlyOnce) {
  testing::LogCapture logs("connector.subscriptions");
  api_.fail(kList, listNotFound());
  api_.respond(kStartExchange, FakeApiClient::json(kEnabled));
  ASSERT_TRUE(subs_.ensureEnabled("Audit.Exchange", {}));
  for (int i = 0; i < 3; ++i) {
    clock_.advance(minutes(20));  // past the cache and the start throttle
    auto s = subs_.ensureEnabled("Audit.Exchange", {});
    ASSERT_TRUE(s) << s.error().describe();
  }
  EXPECT_EQ(api_.callCount(kStartExchange), 1u) << "a start it sent is trusted";
  EXPECT_EQ(api_.callCount(kList), 4u) << "the list is asked again once the cache expired";
  EXPECT_EQ(logs.count("subscriptions/list answered HTTP 404"), 1u) << logs.text();
}

TEST_F(SubscriptionManagerTest, ListNotFoundStillStartsAgainAfterAf20022) {
  api_.fail(kList, listNotFound());
  api_.script(kStartExchange, {FakeApiClient::json(kEnabled), FakeApiClient::json(kEnabled)});
  ASSERT_TRUE(subs_.ensureEnabled("Audit.Exchange", {}));
  clock_.advance(minutes(15));
  subs_.noteMissing("Audit.Exchange");  // the content listing said AF20022
  auto s = subs_.ensureEnabled("Audit.Exchange", {});
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(api_.callCount(kStartExchange), 2u);
}

TEST_F(SubscriptionManagerTest, ListNotFoundThenAFailedStartIsTheStartsError) {
  api_.fail(kList, listNotFound());
  api_.fail(kStartExchange, FakeApiClient::apiError("AF20023", "disabled by admin"));
  auto s = subs_.ensureEnabled("Audit.Exchange", {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "AF20023");
}

TEST_F(SubscriptionManagerTest, OtherListErrorsAreNotAFallback) {
  api_.fail(kList, FakeApiClient::apiError("HTTP 403", "forbidden", ErrorKind::kHttp));
  auto s = subs_.ensureEnabled("Audit.Exchange", {});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "HTTP 403");
  EXPECT_FALSE(subs_.listUnavailable());
  EXPECT_EQ(api_.callCount(kStartExchange), 0u);
}

TEST(EncodeQueryValue, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(encodeQueryValue("Audit.AzureActiveDirectory"), "Audit.AzureActiveDirectory");
  EXPECT_EQ(encodeQueryValue("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
}

}  // namespace
}  // namespace o365fwd
