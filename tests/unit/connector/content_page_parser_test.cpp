#include "connector/content_page_parser.h"

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace o365fwd {
namespace {

const StreamKey kStream{"contoso", "Audit.SharePoint"};

// First page of management-api.md §8.3.
constexpr const char* kPage1 = R"([
 {"contentType":"Audit.SharePoint",
  "contentId":"20250114094512345678901$20250114094512345678901$audit_sharepoint$Audit_SharePoint$emea0012",
  "contentUri":"https://manage.office.com/api/v1.0/6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14/activity/feed/audit/20250114094512345678901$20250114094512345678901$audit_sharepoint$Audit_SharePoint$emea0012",
  "contentCreated":"2025-01-14T09:45:12.345Z","contentExpiration":"2025-01-21T09:45:12.345Z"},
 {"contentType":"Audit.SharePoint",
  "contentId":"20250114101003210987654$20250114101003210987654$audit_sharepoint$Audit_SharePoint$emea0012",
  "contentUri":"https://manage.office.com/api/v1.0/6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14/activity/feed/audit/20250114101003210987654$20250114101003210987654$audit_sharepoint$Audit_SharePoint$emea0012",
  "contentCreated":"2025-01-14T10:10:03.210Z","contentExpiration":"2025-01-21T10:10:03.210Z"}
])";

TEST(ContentPageParser, ParsesTheDocumentedPage) {
  auto page = parseContentPage(kPage1, kStream);
  ASSERT_TRUE(page) << page.error().describe();
  ASSERT_EQ(page->refs.size(), 2u);
  EXPECT_EQ(page->bad_items, 0u);
  EXPECT_TRUE(page->problems.empty());
  const ContentRef& first = page->refs[0];
  EXPECT_EQ(first.stream, kStream);
  EXPECT_EQ(first.content_id,
            "20250114094512345678901$20250114094512345678901$audit_sharepoint$Audit_SharePoint$"
            "emea0012");
  EXPECT_EQ(first.content_uri,
            "https://manage.office.com/api/v1.0/6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14/activity/feed/"
            "audit/20250114094512345678901$20250114094512345678901$audit_sharepoint$Audit_"
            "SharePoint$emea0012");
  EXPECT_EQ(formatIsoMillis(first.created), "2025-01-14T09:45:12.345Z");
  EXPECT_EQ(formatIsoMillis(first.expiration), "2025-01-21T09:45:12.345Z");
  EXPECT_EQ(formatIsoMillis(page->refs[1].created), "2025-01-14T10:10:03.210Z");
}

TEST(ContentPageParser, EmptyArrayMeansNothingYet) {
  auto page = parseContentPage("[]", kStream);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->refs.empty());
  EXPECT_EQ(page->bad_items, 0u);
}

TEST(ContentPageParser, IgnoresExtraFieldsAndContentTypeCase) {
  auto page = parseContentPage(
      R"([{"contentType":"audit.sharepoint","contentId":"a","contentUri":"https://h/a",
           "contentCreated":"2025-01-14T09:45:12Z","contentExpiration":"2025-01-21T09:45:12Z",
           "notificationStatus":"Succeeded","tenantId":"x","nested":{"k":[1,2]}},
          {"contentId":"b","contentUri":"https://h/b","contentCreated":"2025-01-14T09:45:13.000Z",
           "contentExpiration":"2025-01-21T09:45:13.000Z"}])",
      kStream);
  ASSERT_TRUE(page) << page.error().describe();
  ASSERT_EQ(page->refs.size(), 2u);
  EXPECT_EQ(page->refs[0].content_id, "a");
  EXPECT_EQ(page->refs[1].content_id, "b");  // no contentType: the stream's own
}

TEST(ContentPageParser, NotAnArrayIsCorrupt) {
  for (const char* body : {R"({"error":{"code":"AF20022"}})", "<html>proxy</html>", "", "[1,"}) {
    SCOPED_TRACE(body);
    auto page = parseContentPage(body, kStream);
    ASSERT_FALSE(page);
    EXPECT_EQ(page.error().kind, ErrorKind::kCorrupt);
    EXPECT_FALSE(page.error().retryable);
    EXPECT_NE(page.error().message.find("contoso/Audit.SharePoint"), std::string::npos);
  }
}

TEST(ContentPageParser, ItemOfAnotherContentTypeFailsThePageNamingIt) {
  auto page = parseContentPage(
      R"([{"contentType":"Audit.Exchange","contentId":"a","contentUri":"https://h/a",
           "contentCreated":"2025-01-14T09:45:12Z","contentExpiration":"2025-01-21T09:45:12Z"}])",
      kStream);
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().kind, ErrorKind::kCorrupt);
  EXPECT_NE(page.error().message.find("\"Audit.Exchange\""), std::string::npos);
}

TEST(ContentPageParser, ReportsEveryUnusableItemAndKeepsTheGoodOnes) {
  auto page = parseContentPage(
      R"([{"contentUri":"https://h/1","contentCreated":"2025-01-14T09:00:00Z","contentExpiration":"2025-01-21T09:00:00Z"},
          {"contentId":"two","contentUri":"https://h/2","contentCreated":"yesterday","contentExpiration":"2025-01-21T09:00:00Z"},
          {"contentId":"three","contentUri":"https://h/3","contentCreated":"2025-01-14T09:00:00Z","contentExpiration":1737450000},
          "four",
          {"contentId":"five","contentUri":"","contentCreated":"2025-01-14T09:00:00Z","contentExpiration":"2025-01-21T09:00:00Z"},
          {"contentId":"good","contentUri":"https://h/6","contentCreated":"2025-01-14T09:00:00Z","contentExpiration":"2025-01-21T09:00:00Z"}])",
      kStream);
  ASSERT_TRUE(page) << page.error().describe();
  ASSERT_EQ(page->refs.size(), 1u);
  EXPECT_EQ(page->refs[0].content_id, "good");
  EXPECT_EQ(page->bad_items, 5u);
  ASSERT_EQ(page->problems.size(), 5u);
  EXPECT_EQ(page->problems[0], "item 1: contentId is missing");
  EXPECT_EQ(page->problems[1],
            "item 2: contentCreated \"yesterday\" is not a UTC time (contentId \"two\")");
  EXPECT_EQ(page->problems[2], "item 3: contentExpiration is not a string (contentId \"three\")");
  EXPECT_EQ(page->problems[3], "item 4: not a JSON object");
  EXPECT_EQ(page->problems[4], "item 5: contentUri is empty (contentId \"five\")");
}

TEST(ContentPageParser, ProblemListIsBoundedButTheCountIsNot) {
  std::string body = "[";
  for (int i = 0; i < 50; ++i) body += std::string(i ? "," : "") + R"({"contentId":"x"})";
  body += "]";
  auto page = parseContentPage(body, kStream);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->bad_items, 50u);
  EXPECT_EQ(page->problems.size(), ContentPage::kMaxProblems);
}

// Found while writing fuzz/content_page_fuzzer.cpp: a recursive parse of deeply nested JSON
// overflowed the stack; the parse is iterative now.
TEST(ContentPageParser, DeeplyNestedBodyIsAnErrorNotACrash) {
  std::string deep(200000, '[');
  auto page = parseContentPage(deep, kStream);
  EXPECT_FALSE(page);
  // Well-formed but absurd: one item that is not a content object, reported, no crash.
  std::string closed = std::string(100000, '[') + std::string(100000, ']');
  auto odd = parseContentPage(closed, kStream);
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->refs.empty());
  EXPECT_EQ(odd->bad_items, 1u);
}

}  // namespace
}  // namespace o365fwd
