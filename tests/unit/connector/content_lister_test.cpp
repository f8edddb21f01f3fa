#include "connector/content_lister.h"

#include <gtest/gtest.h>

#include "core/time_format.h"
#include "tests/fakes/fake_api_client.h"

namespace o365fwd {
namespace {

using fakes::FakeApiClient;

const StreamKey kStream{"contoso", "Audit.SharePoint"};
const ListingWindow kWindow{*parseUtc("2025-01-14T00:00:00"), *parseUtc("2025-01-14T12:00:00")};
const std::string kFirst =
    "subscriptions/content?contentType=Audit.SharePoint&startTime=2025-01-14T00:00:00&endTime="
    "2025-01-14T12:00:00";
const std::string kRoot =
    "https://manage.office.com/api/v1.0/6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14/activity/feed/";

std::string pageUri(const std::string& token) {
  return kRoot +
         "subscriptions/content?contentType=Audit.SharePoint&startTime=2025-01-14T00:00:00"
         "&endTime=2025-01-14T12:00:00&nextPage=" +
         token;
}

// One content list item; `created` is "HH:MM:SS" on 2025-01-14.
std::string item(const std::string& id, const std::string& created) {
  return R"({"contentType":"Audit.SharePoint","contentId":")" + id + R"(","contentUri":")" + kRoot +
         "audit/" + id + R"(","contentCreated":"2025-01-14T)" + created +
         R"(.000Z","contentExpiration":"2025-01-21T)" + created + R"(.000Z"})";
}

HttpResponse page(std::vector<std::string> items, const std::string& next = "",
                  const std::string& header = "NextPageUri") {
  std::string body = "[";
  for (std::size_t i = 0; i < items.size(); ++i) body += (i ? "," : "") + items[i];
  body += "]";
  Headers headers;
  if (!next.empty()) headers.emplace_back(header, next);
  return FakeApiClient::json(body, 200, headers);
}

class ContentListerTest : public ::testing::Test {
 protected:
  Result<WindowListing> list(ContentLister& lister, std::stop_token stop = {}) {
    return lister.listWindow(
        kStream, kWindow,
        [this](std::vector<ContentRef> refs) {
          std::vector<std::string> ids;
          for (const auto& r : refs) ids.push_back(r.content_id);
          pages_.push_back(ids);
          return on_page_result_;
        },
        stop);
  }
  Result<WindowListing> list() { return list(lister_); }
  std::vector<std::string> allIds() const {
    std::vector<std::string> all;
    for (const auto& p : pages_) all.insert(all.end(), p.begin(), p.end());
    return all;
  }

  FakeApiClient api_;
  FakeClock clock_;
  SubscriptionManager subs_{api_, clock_, "contoso"};
  ContentLister lister_{api_, subs_, clock_};
  std::vector<std::vector<std::string>> pages_;
  Status on_page_result_ = okStatus();
};

TEST_F(ContentListerTest, FollowsAbsoluteNextPageUrisInAnyCaseAndSpelling) {
  api_.respond(kFirst, page({item("b", "09:00:00"), item("a", "09:00:00"), item("c", "08:00:00")},
                            pageUri("p2")));
  api_.respond(pageUri("p2"), page({item("d", "10:00:00")}, pageUri("p3"), "nextpageuri"));
  api_.respond(pageUri("p3"), page({item("e", "11:00:00")}, pageUri("p4"), "NextPageUrl"));
  api_.respond(pageUri("p4"), page({}));
  auto listed = list();
  ASSERT_TRUE(listed) << listed.error().describe();
  EXPECT_EQ(listed->pages, 4u);
  EXPECT_EQ(listed->blobs_listed, 5u);
  EXPECT_EQ(listed->repeats_skipped, 0u);
  EXPECT_EQ(listed->restarts, 0u);
  // Sorted by (created, content_id) within the page; the empty last page is not passed on.
  ASSERT_EQ(pages_.size(), 3u);
  EXPECT_EQ(pages_[0], (std::vector<std::string>{"c", "a", "b"}));
  EXPECT_EQ(pages_[1], (std::vector<std::string>{"d"}));
  auto calls = api_.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0].url, kFirst);  // relative; ApiClient adds root and PublisherIdentifier
  EXPECT_EQ(calls[0].call, ApiCall::kContentList);
  EXPECT_EQ(calls[0].method, "GET");
  EXPECT_EQ(calls[1].url, pageUri("p2"));  // verbatim
}

TEST_F(ContentListerTest, PassesRefsWithTheirFields) {
  std::vector<ContentRef> got;
  api_.respond(kFirst, page({item("a", "09:45:12")}));
  auto listed = lister_.listWindow(kStream, kWindow,
                                   [&](std::vector<ContentRef> refs) {
                                     got = std::move(refs);
                                     return okStatus();
                                   },
                                   {});
  ASSERT_TRUE(listed);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].stream, kStream);
  EXPECT_EQ(got[0].content_uri, kRoot + "audit/a");
  EXPECT_EQ(formatIsoMillis(got[0].created), "2025-01-14T09:45:12.000Z");
  EXPECT_EQ(formatIsoMillis(got[0].expiration), "2025-01-21T09:45:12.000Z");
}

TEST_F(ContentListerTest, SkipsContentIdsRepeatedAcrossPages) {
  api_.respond(kFirst, page({item("a", "09:00:00"), item("b", "09:00:01")}, pageUri("p2")));
  api_.respond(pageUri("p2"),
               page({item("b", "09:00:01"), item("c", "09:00:02"), item("c", "09:00:02")}));
  auto listed = list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->repeats_skipped, 2u);
  EXPECT_EQ(listed->blobs_listed, 3u);
  EXPECT_EQ(allIds(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(ContentListerTest, RepeatedNextPageUriRestartsTheWindowOnce) {
  // First pass: p2 points to itself. Second pass: p2 ends the listing.
  api_.respond(kFirst, page({item("a", "09:00:00")}, pageUri("p2")));
  api_.script(pageUri("p2"), {page({item("b", "10:00:00")}, pageUri("p2")),
                              page({item("b", "10:00:00"), item("c", "10:00:01")})});
  auto listed = list();
  ASSERT_TRUE(listed) << listed.error().describe();
  EXPECT_EQ(listed->restarts, 1u);
  EXPECT_EQ(listed->pages, 4u);
  EXPECT_EQ(listed->repeats_skipped, 2u);  // a and b again on the second pass
  EXPECT_EQ(allIds(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(api_.callCount(kFirst), 2u);
}

TEST_F(ContentListerTest, PaginationLoopTwiceIsAnError) {
  api_.respond(kFirst, page({item("a", "09:00:00")}, pageUri("p2")));
  api_.respond(pageUri("p2"), page({item("b", "10:00:00")}, pageUri("p2")));
  auto listed = list();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, "pagination_loop");
  EXPECT_TRUE(listed.error().retryable);
  EXPECT_EQ(api_.callCount(kFirst), 2u);
  EXPECT_EQ(api_.callCount(pageUri("p2")), 2u);  // once per pass: its own NextPageUri repeats
  EXPECT_EQ(allIds(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(ContentListerTest, PageCapActsAsLoopGuard) {
  ContentLister lister(api_, subs_, clock_, ContentLister::Options{3, 3});
  api_.respond(kFirst, page({item("a", "09:00:00")}, pageUri("1")));
  for (int i = 1; i < 10; ++i) {
    api_.respond(pageUri(std::to_string(i)),
                 page({item("x" + std::to_string(i), "10:00:00")}, pageUri(std::to_string(i + 1))));
  }
  auto listed = list(lister);
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, "pagination_loop");
  EXPECT_NE(listed.error().message.find("more than 3 pages"), std::string::npos)
      << listed.error().message;
  EXPECT_EQ(api_.callCount(kFirst), 2u);
  // Three pages per pass (first, 1, 2); a fourth would exceed the cap.
  EXPECT_EQ(api_.callCount(pageUri("2")), 2u);
  EXPECT_EQ(api_.callCount(pageUri("3")), 0u);
}

TEST_F(ContentListerTest, NoSubscriptionStartsItAndRetriesTheWindow) {
  api_.script(kFirst, {FakeApiClient::apiError("AF20022", "No subscription found."),
                       page({item("a", "09:00:00")})});
  api_.respond("subscriptions/list", FakeApiClient::json("[]"));
  api_.respond("subscriptions/start?contentType=Audit.SharePoint",
               FakeApiClient::json(
                   R"({"contentType":"Audit.SharePoint","status":"enabled","webhook":null})"));
  auto listed = list();
  ASSERT_TRUE(listed) << listed.error().describe();
  EXPECT_EQ(listed->restarts, 1u);
  EXPECT_EQ(allIds(), (std::vector<std::string>{"a"}));
  auto calls = api_.calls();
  ASSERT_EQ(calls.size(), 3u);  // no list: noteMissing says the cache cannot be trusted
  EXPECT_EQ(calls[1].call, ApiCall::kSubscriptionStart);
  EXPECT_EQ(calls[2].url, kFirst);
}

TEST_F(ContentListerTest, NoSubscriptionAgainAfterStartingIsARetryableError) {
  api_.fail(kFirst, FakeApiClient::apiError("AF20022", "No subscription found."));
  api_.respond("subscriptions/start?contentType=Audit.SharePoint",
               FakeApiClient::apiError("AF20024",
                                       "The subscription is already enabled. No property change."));
  auto listed = list();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, "AF20022");
  EXPECT_TRUE(listed.error().retryable);
  EXPECT_EQ(api_.callCount(kFirst), 2u);
}

TEST_F(ContentListerTest, NoSubscriptionAndStartFailsReturnsTheStartError) {
  api_.fail(kFirst, FakeApiClient::apiError("AF20022", "No subscription found."));
  api_.respond("subscriptions/start?contentType=Audit.SharePoint",
               FakeApiClient::apiError("AuditingDisabled", "Tenant x does not exist."));
  auto listed = list();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, "AuditingDisabled");
  EXPECT_NE(listed.error().message.find("unified audit logging"), std::string::npos);
  EXPECT_EQ(api_.callCount(kFirst), 1u);
}

TEST_F(ContentListerTest, InvalidNextPageRestartsTheWindow) {
  api_.respond(kFirst, page({item("a", "09:00:00")}, pageUri("p2")));
  api_.script(pageUri("p2"), {FakeApiClient::apiError("AF20031", "Invalid nextPage Input"),
                              page({item("b", "10:00:00")})});
  auto listed = list();
  ASSERT_TRUE(listed) << listed.error().describe();
  EXPECT_EQ(listed->restarts, 1u);
  EXPECT_EQ(listed->repeats_skipped, 1u);
  EXPECT_EQ(allIds(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(ContentListerTest, InvalidNextPageGivesUpAfterMaxRestarts) {
  api_.respond(kFirst, page({item("a", "09:00:00")}, pageUri("p2")));
  api_.fail(pageUri("p2"), FakeApiClient::apiError("AF20031", "Invalid nextPage Input"));
  auto listed = list();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, "AF20031");
  EXPECT_TRUE(listed.error().retryable);
  EXPECT_EQ(api_.callCount(kFirst), 4u);  // first pass + 3 restarts
}

TEST_F(ContentListerTest, RejectedWindowIsPermanentAndMentionsBoundsAndSkew) {
  api_.setClockSkew(std::chrono::seconds(420));
  api_.fail(kFirst, FakeApiClient::apiError("AF20055",
                                            "Start time and end time must both be "
                                            "specified..."));
  auto listed = list();
  ASSERT_FALSE(listed);
  const Error& e = listed.error();
  EXPECT_EQ(e.code, "AF20055");
  EXPECT_FALSE(e.retryable);
  EXPECT_NE(e.message.find("[2025-01-14T00:00:00, 2025-01-14T12:00:00)"), std::string::npos)
      << e.message;
  EXPECT_NE(e.message.find("420 s behind"), std::string::npos) << e.message;
  EXPECT_EQ(api_.callCount(kFirst), 1u);
}

TEST_F(ContentListerTest, OlderWindowRejectionCodeIsHandledAlike) {
  api_.setClockSkew(std::chrono::seconds(-60));
  api_.fail(kFirst, FakeApiClient::apiError("AF20030", "bad window"));
  auto listed = list();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, "AF20030");
  EXPECT_FALSE(listed.error().retryable);
  EXPECT_NE(listed.error().message.find("60 s ahead of"), std::string::npos)
      << listed.error().message;
}

TEST_F(ContentListerTest, SubscriptionDisabledByAdminCarriesTheRemedy) {
  api_.fail(kFirst, FakeApiClient::apiError("AF20023", "The subscription was disabled."));
  auto listed = list();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, "AF20023");
  EXPECT_EQ(listed.error().kind, ErrorKind::kApi);
  EXPECT_NE(listed.error().message.find("Re-enable it in the tenant"), std::string::npos);
  EXPECT_NE(listed.error().message.find("--content-type Audit.SharePoint"), std::string::npos);
  EXPECT_EQ(api_.calls().size(), 1u);  // not re-started behind the administrator's back
}

TEST_F(ContentListerTest, OtherErrorsAreReturnedAsTheyAre) {
  api_.respond(kFirst, page({item("a", "09:00:00")}, pageUri("p2")));
  api_.fail(pageUri("p2"),
            FakeApiClient::apiError("AF429", "Too many requests.", ErrorKind::kThrottled, true));
  auto listed = list();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().code, "AF429");
  EXPECT_EQ(listed.error().kind, ErrorKind::kThrottled);
  EXPECT_TRUE(listed.error().retryable);
  EXPECT_EQ(listed.error().message, "Too many requests.");
}

TEST_F(ContentListerTest, OnPageErrorStopsTheListing) {
  on_page_result_ = Error::retryableError(ErrorKind::kSink, "queue closed");
  api_.respond(kFirst, page({item("a", "09:00:00")}, pageUri("p2")));
  api_.respond(pageUri("p2"), page({item("b", "10:00:00")}));
  auto listed = list();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().kind, ErrorKind::kSink);
  EXPECT_EQ(listed.error().message, "queue closed");
  EXPECT_EQ(api_.callCount(pageUri("p2")), 0u);
}

TEST_F(ContentListerTest, StopRequestEndsTheListingBetweenPages) {
  std::stop_source stop;
  api_.respond(kFirst, page({item("a", "09:00:00")}, pageUri("p2")));
  api_.respond(pageUri("p2"), page({item("b", "10:00:00")}));
  auto listed = lister_.listWindow(
      kStream, kWindow,
      [&](std::vector<ContentRef>) {
        stop.request_stop();
        return okStatus();
      },
      stop.get_token());
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().kind, ErrorKind::kCancelled);
  EXPECT_EQ(api_.callCount(pageUri("p2")), 0u);
}

TEST_F(ContentListerTest, CorruptPageFailsAndBadItemsAreCounted) {
  api_.respond(kFirst,
               FakeApiClient::json("[" + item("a", "09:00:00") + R"(,{"contentId":"broken"}])", 200,
                                   {{"NextPageUri", pageUri("p2")}}));
  api_.respond(pageUri("p2"), FakeApiClient::json("<html>gateway</html>"));
  auto listed = list();
  ASSERT_FALSE(listed);
  EXPECT_EQ(listed.error().kind, ErrorKind::kCorrupt);
  EXPECT_EQ(allIds(), (std::vector<std::string>{"a"}));

  api_.respond(
      "subscriptions/content?contentType=Audit.SharePoint&startTime=2025-01-14T12:00:00"
      "&endTime=2025-01-14T13:00:00",
      FakeApiClient::json("[" + item("z", "12:30:00") + R"(,{"contentId":"broken"}])"));
  auto second = lister_.listWindow(
      kStream, {*parseUtc("2025-01-14T12:00:00"), *parseUtc("2025-01-14T13:00:00")},
      [](std::vector<ContentRef>) { return okStatus(); }, {});
  ASSERT_TRUE(second) << second.error().describe();
  EXPECT_EQ(second->bad_items, 1u);
  EXPECT_EQ(second->blobs_listed, 1u);
}

TEST_F(ContentListerTest, RefusesWindowsLongerThanADayOrEmpty) {
  auto too_long =
      lister_.listWindow(kStream, {kWindow.start, kWindow.start + std::chrono::hours(25)},
                         [](std::vector<ContentRef>) { return okStatus(); }, {});
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().kind, ErrorKind::kInternal);
  auto empty = lister_.listWindow(kStream, {kWindow.start, kWindow.start},
                                  [](std::vector<ContentRef>) { return okStatus(); }, {});
  ASSERT_FALSE(empty);
  EXPECT_TRUE(api_.calls().empty());
}

}  // namespace
}  // namespace o365fwd
