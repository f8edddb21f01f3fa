// o365fwd-sim content listing: window rules, NextPageUri paging across many pages, nextPage
// tokens, visibility (late and future blobs) and the paging fault knobs.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <set>

#include "core/time_format.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

rapidjson::Document json(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  return doc;
}

std::string errorCode(const HttpResult& r) {
  auto doc = json(r.body);
  if (!doc.IsObject() || !doc.HasMember("error")) return "(none: " + r.body + ")";
  return doc["error"]["code"].GetString();
}

std::string apiTime(std::chrono::system_clock::time_point t) {
  return formatApiTime(t);
}

struct Listing {
  std::vector<std::string> content_ids;
  std::vector<std::string> next_uris;
  size_t pages = 0;
  std::string error;
};

// Follows NextPageUri from `url` until a page has none (at most max_pages).
Listing listAll(const SimProcess& sim, const std::string& url, const std::string& token,
                size_t max_pages = 10000) {
  Listing out;
  std::string next = url;
  while (!next.empty() && out.pages < max_pages) {
    HttpResult r = sim.get(next, token);
    if (r.status != 200) {
      out.error = std::to_string(r.status) + " " + r.body;
      return out;
    }
    ++out.pages;
    auto doc = json(r.body);
    for (const auto& item : doc.GetArray())
      out.content_ids.push_back(item["contentId"].GetString());
    next = r.header("NextPageUri").value_or("");
    if (!next.empty()) out.next_uris.push_back(next);
  }
  return out;
}

class SimContentTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args) {
    args.insert(args.end(),
                {"--subscriptions-enabled", "--content-types", "Audit.SharePoint,DLP.All"});
    sim_ = SimProcess::start(args, dir_);
    ASSERT_NE(sim_, nullptr);
    token_ = sim_->token();
    ASSERT_FALSE(token_.empty());
  }
  std::string content(const std::string& ct, const std::string& extra = "") const {
    return sim_->apiRoot() + "/subscriptions/content?contentType=" + ct + extra;
  }
  std::string window(
      std::chrono::hours from_ago, std::chrono::hours to_ago,
      std::chrono::system_clock::time_point now = std::chrono::system_clock::now()) const {
    return "&startTime=" + apiTime(now - from_ago) + "&endTime=" + apiTime(now - to_ago);
  }
  TempDir dir_;
  std::unique_ptr<SimProcess> sim_;
  std::string token_;
};

TEST_F(SimContentTest, WindowRules) {
  start({});
  auto now = std::chrono::system_clock::now();
  auto code = [&](const std::string& extra) {
    return errorCode(sim_->get(content("Audit.SharePoint", extra), token_));
  };
  EXPECT_EQ(
      code("&startTime=" + apiTime(now - std::chrono::hours(25)) + "&endTime=" + apiTime(now)),
      "AF20055");
  EXPECT_EQ(code("&startTime=" + apiTime(now - std::chrono::hours(24 * 8)) +
                 "&endTime=" + apiTime(now - std::chrono::hours(24 * 8 - 1))),
            "AF20055");
  EXPECT_EQ(code("&startTime=" + apiTime(now - std::chrono::hours(2)) +
                 "&endTime=" + apiTime(now - std::chrono::hours(2))),
            "AF20055");
  EXPECT_EQ(code("&startTime=" + apiTime(now - std::chrono::hours(1)) +
                 "&endTime=" + apiTime(now - std::chrono::hours(2))),
            "AF20055");
  EXPECT_EQ(code("&startTime=" + apiTime(now - std::chrono::hours(1))), "AF20055")
      << "both or neither";
  HttpResult r = sim_->get(
      content("Audit.SharePoint", "&startTime=" + apiTime(now - std::chrono::hours(1))), token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      r.body,
      R"({"error":{"code":"AF20055","message":"Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time prior to end time and start time no more than 7 days in the past."}})");
  // Omitted = the last 24 h: the default 6 h span of 20 blobs is all listed.
  Listing all = listAll(*sim_, content("Audit.SharePoint"), token_);
  EXPECT_TRUE(all.error.empty()) << all.error;
  EXPECT_EQ(all.content_ids.size(), 20u);
  // A future end time is tolerated; a trailing Z is accepted.
  r = sim_->get(
      content("Audit.SharePoint", "&startTime=" + apiTime(now - std::chrono::hours(7)) +
                                      "Z&endTime=" + apiTime(now + std::chrono::hours(3)) + "Z"),
      token_);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json(r.body).Size(), 20u);
  // The legacy code knob.
  ASSERT_EQ(sim_->admin("POST", "/_sim/config", R"({"window_error_code":"AF20030"})").status, 200);
  EXPECT_EQ(
      code("&startTime=" + apiTime(now - std::chrono::hours(25)) + "&endTime=" + apiTime(now)),
      "AF20030");
}

TEST_F(SimContentTest, PagingListsEveryBlobExactlyOnce) {
  start({"--blobs", "1000", "--records-per-blob", "1", "--page-size", "7", "--span", "20h",
         "--throttle-per-minute", "100000"});
  const std::string pub = "&PublisherIdentifier=" + sim_->tenant(0).tenant_id;
  Listing l = listAll(
      *sim_,
      content("Audit.SharePoint", window(std::chrono::hours(23), std::chrono::hours(0)) + pub),
      token_);
  ASSERT_TRUE(l.error.empty()) << l.error;
  EXPECT_EQ(l.pages, 143u);  // ceil(1000 / 7)
  EXPECT_EQ(l.content_ids.size(), 1000u);
  std::set<std::string> unique(l.content_ids.begin(), l.content_ids.end());
  EXPECT_EQ(unique.size(), 1000u) << "every blob exactly once";
  EXPECT_TRUE(std::is_sorted(l.content_ids.begin(), l.content_ids.end()))
      << "listed in contentCreated order";
  ASSERT_EQ(l.next_uris.size(), 142u) << "the last page has no NextPageUri";
  const std::string& first = l.next_uris.front();
  EXPECT_EQ(
      first.rfind(
          sim_->apiRoot() + "/subscriptions/content?contentType=Audit.SharePoint&startTime=", 0),
      0u)
      << first;
  EXPECT_NE(first.find("&nextPage="), std::string::npos);
  EXPECT_NE(first.find(pub), std::string::npos);
  // Same window on every page.
  auto start_of = [](const std::string& u) {
    return u.substr(u.find("startTime="), u.find("&nextPage") - u.find("startTime="));
  };
  for (const auto& u : l.next_uris) EXPECT_EQ(start_of(u), start_of(first));
  // Two windows that split the range list the same blobs, none twice.
  const auto now = std::chrono::system_clock::now();
  Listing a = listAll(*sim_,
                      content("Audit.SharePoint",
                              window(std::chrono::hours(23), std::chrono::hours(10), now) + pub),
                      token_);
  Listing b = listAll(
      *sim_,
      content("Audit.SharePoint", window(std::chrono::hours(10), std::chrono::hours(0), now) + pub),
      token_);
  EXPECT_EQ(a.content_ids.size() + b.content_ids.size(), 1000u);
  auto stats = json(sim_->stats());
  EXPECT_GE(stats["pages_served"].GetUint64(), 143u);
  EXPECT_GE(stats["content_listings"].GetUint64(), 3u);
}

TEST_F(SimContentTest, ForgedOrForeignNextPageTokensAreRefused) {
  start({"--blobs", "30", "--page-size", "5"});
  HttpResult first = sim_->get(content("Audit.SharePoint"), token_);
  std::string next = first.header("NextPageUri").value_or("");
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(next.find("PublisherIdentifier"), std::string::npos)
      << "not added when the request had none";
  EXPECT_EQ(sim_->get(next, token_).status, 200);
  std::string forged = next;
  auto pos = forged.find("nextPage=") + 9 + 15;
  forged[pos] = forged[pos] == '1' ? '2' : '1';
  HttpResult r = sim_->get(forged, token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorCode(r), "AF20031");
  // The token of another content type's query.
  std::string other = next;
  other.replace(other.find("Audit.SharePoint"), 16, "DLP.All");
  EXPECT_EQ(errorCode(sim_->get(other, token_)), "AF20031");
  EXPECT_EQ(errorCode(sim_->get(content("Audit.SharePoint", "&nextPage=garbage"), token_)),
            "AF20031");
}

TEST_F(SimContentTest, PagingFaultKnobs) {
  start({"--blobs", "30", "--page-size", "5"});
  const std::string pub = "&PublisherIdentifier=" + sim_->tenant(0).tenant_id;
  ASSERT_EQ(sim_->admin("POST", "/_sim/config", R"({"next_page_omit_publisher":true})").status,
            200);
  std::string next =
      sim_->get(content("Audit.SharePoint", pub), token_).header("NextPageUri").value_or("");
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(next.find("PublisherIdentifier"), std::string::npos);

  ASSERT_EQ(sim_->admin("POST", "/_sim/config", R"({"next_page_loop":true})").status, 200);
  Listing l = listAll(*sim_, content("Audit.SharePoint", pub), token_, 20);
  EXPECT_EQ(l.pages, 20u) << "the loop never ends by itself";
  ASSERT_GE(l.next_uris.size(), 3u);
  EXPECT_EQ(l.next_uris[1], l.next_uris[2]) << "the same next page forever";
}

TEST_F(SimContentTest, LateAndFutureBlobsAreListedOnlyOnceVisible) {
  start({"--blobs", "40", "--span", "4h", "--future-span", "4h", "--late-visible-fraction", "0.5",
         "--late-visible-delay", "30d"});
  Listing l = listAll(
      *sim_, content("DLP.All", window(std::chrono::hours(5), std::chrono::hours(0))), token_);
  ASSERT_TRUE(l.error.empty()) << l.error;
  EXPECT_GT(l.content_ids.size(), 3u);
  EXPECT_LT(l.content_ids.size(), 17u) << "about half of the 20 past blobs are listed 30 days late";
  // Moving the simulator clock forward by 5 h makes the future blobs visible (but not the late
  // ones).
  ASSERT_EQ(sim_->admin("POST", "/_sim/config", R"({"clock_skew":18000})").status, 200);
  token_ = sim_->token();  // the old token expired in simulator time
  Listing later = listAll(
      *sim_, content("DLP.All", window(std::chrono::hours(4), std::chrono::hours(-5))), token_);
  ASSERT_TRUE(later.error.empty()) << later.error;
  EXPECT_GT(later.content_ids.size(), l.content_ids.size());
}

}  // namespace
}  // namespace o365fwd::testing
