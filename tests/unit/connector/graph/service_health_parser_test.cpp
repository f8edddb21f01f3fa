#include "connector/graph/service_health_parser.h"

#include <gtest/gtest.h>

#include "connector/graph/service_workloads.h"

namespace o365fwd {
namespace {

const char* kPage = R"({
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#admin/serviceAnnouncement/issues",
  "value": [
    {
      "startDateTime": "2026-12-01T10:00:00Z",
      "endDateTime": null,
      "lastModifiedDateTime": "2026-12-01T11:30:00.123Z",
      "title": "Users can't access mailboxes",
      "id": "EX123456",
      "impactDescription": "Users may be unable to access mailboxes \"via\" OWA",
      "classification": "incident",
      "origin": "microsoft",
      "status": "serviceDegradation",
      "service": "Exchange Online",
      "feature": "E-Mail and calendar access",
      "isResolved": false,
      "details": [],
      "posts": [{"createdDateTime": "2026-12-01T10:05:00Z", "postType": "regular",
                 "description": {"contentType": "html", "content": "<p>a\nb</p>"}},
                {"createdDateTime": "2026-12-01T11:30:00Z", "postType": "regular",
                 "description": {"contentType": "html", "content": "<p>c</p>"}}]
    },
    {"id": "SP1", "lastModifiedDateTime": "2026-11-30T00:00:00Z", "classification": "advisory",
     "service": "SharePoint Online", "isResolved": true, "endDateTime": "2026-11-30T00:00:00Z"}
  ],
  "@odata.nextLink": "https://graph.microsoft.com/v1.0/admin/serviceAnnouncement/issues?$skiptoken=2"
})";

TEST(ServiceHealthParser, ReadsIssuesPagingAndKeepsEachObjectCompacted) {
  auto page = parseServiceIssuePage(kPage);
  ASSERT_TRUE(page.ok()) << page.error().describe();
  ASSERT_EQ(page->issues.size(), 2u);
  EXPECT_EQ(page->next_link,
            "https://graph.microsoft.com/v1.0/admin/serviceAnnouncement/issues?$skiptoken=2");
  const ServiceIssue& ex = page->issues[0];
  EXPECT_EQ(ex.id, "EX123456");
  EXPECT_EQ(ex.service, "Exchange Online");
  EXPECT_EQ(ex.classification, "incident");
  EXPECT_EQ(ex.status, "serviceDegradation");
  EXPECT_FALSE(ex.is_resolved);
  EXPECT_EQ(ex.last_modified, "2026-12-01T11:30:00.123Z");
  ASSERT_TRUE(ex.last_modified_at.has_value());
  ASSERT_TRUE(ex.start.has_value());
  EXPECT_FALSE(ex.end.has_value());
  EXPECT_EQ(ex.posts, 2u);
  // One line, string contents untouched (the escaped newline and quotes stay as sent).
  EXPECT_EQ(ex.raw.find('\n'), std::string::npos);
  EXPECT_EQ(ex.raw.front(), '{');
  EXPECT_EQ(ex.raw.back(), '}');
  EXPECT_NE(ex.raw.find(R"("content":"<p>a\nb</p>")"), std::string::npos) << ex.raw;
  EXPECT_NE(ex.raw.find(R"(\"via\" OWA)"), std::string::npos) << ex.raw;
  EXPECT_NE(ex.raw.find(R"("id":"EX123456")"), std::string::npos);
  EXPECT_TRUE(page->issues[1].is_resolved);
  EXPECT_EQ(page->issues[1].raw.rfind(R"({"id":"SP1",)", 0), 0u) << page->issues[1].raw;
}

TEST(ServiceHealthParser, UnusableItemsAreCountedNotDropped) {
  auto page = parseServiceIssuePage(
      R"({"value":[1, {"title":"no id","lastModifiedDateTime":"2026-01-01T00:00:00Z"},
                   {"id":"X1"}, {"id":7,"lastModifiedDateTime":"x"},
                   {"id":"OK1","lastModifiedDateTime":"2026-01-01T00:00:00Z","title":{"a":1}}]})");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->issues.size(), 1u);
  EXPECT_EQ(page->issues[0].id, "OK1");
  EXPECT_EQ(page->issues[0].title, "");  // not a string: shown empty, kept in the record
  EXPECT_EQ(page->bad_items, 4u);
  ASSERT_EQ(page->problems.size(), 4u);
  EXPECT_NE(page->problems[0].find("item 0: not an object"), std::string::npos);
  EXPECT_NE(page->problems[2].find("lastModifiedDateTime"), std::string::npos);
}

TEST(ServiceHealthParser, HostileBodiesFailThePageWithKCorrupt) {
  for (const char* body : {"", "[]", "null", "{\"value\":{}}", "{\"value\":[", "<html>",
                           "{\"valu\":[]}", "{\"value\":[{\"id\":\"a\"}]"}) {
    auto page = parseServiceIssuePage(body);
    ASSERT_FALSE(page.ok()) << body;
    EXPECT_EQ(page.error().kind, ErrorKind::kCorrupt) << body;
  }
}

TEST(ServiceHealthParser, LongTextIsBoundedForDisplayButRecordKeepsAll) {
  std::string title(5000, 'x');
  std::string body =
      R"({"value":[{"id":"L1","lastModifiedDateTime":"2026-01-01T00:00:00Z","title":")" + title +
      R"("}]})";
  auto page = parseServiceIssuePage(body);
  ASSERT_TRUE(page.ok());
  EXPECT_LE(page->issues[0].title.size(), ServiceIssue::kMaxText + 3);
  EXPECT_NE(page->issues[0].raw.find(title), std::string::npos);
  // An id longer than 128 characters is refused (it becomes a Kafka key and a label).
  auto long_id = parseServiceIssuePage(R"({"value":[{"id":")" + std::string(200, 'i') +
                                       R"(","lastModifiedDateTime":"2026-01-01T00:00:00Z"}]})");
  ASSERT_TRUE(long_id.ok());
  EXPECT_EQ(long_id->issues.size(), 0u);
  EXPECT_EQ(long_id->bad_items, 1u);
}

TEST(ServiceHealthParser, NestedValueMembersDoNotConfuseTheDelimiting) {
  auto page = parseServiceIssuePage(
      R"({"meta":{"value":[9,9,9]},"value":[{"id":"A","lastModifiedDateTime":"t","details":[{"name":"value","value":"]}"}]}]})");
  ASSERT_TRUE(page.ok()) << page.error().describe();
  ASSERT_EQ(page->issues.size(), 1u);
  EXPECT_EQ(page->issues[0].raw,
            R"({"id":"A","lastModifiedDateTime":"t","details":[{"name":"value","value":"]}"}]})");
}

TEST(ServiceHealthParser, HealthOverviews) {
  auto page = parseServiceOverviewPage(
      R"({"value":[{"service":"Exchange Online","status":"serviceDegradation","id":"Exchange"},
                   {"status":"x"}, 3]})");
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->services.size(), 1u);
  EXPECT_EQ(page->services[0].status, "serviceDegradation");
  EXPECT_EQ(page->bad_items, 2u);
}

TEST(ServiceWorkloads, MapsGraphServicesToAuditStreams) {
  using V = std::vector<std::string>;
  EXPECT_EQ(contentTypesAffectedBy("Exchange Online"), V{"Audit.Exchange"});
  EXPECT_EQ(contentTypesAffectedBy("exchange online"), V{"Audit.Exchange"});
  EXPECT_EQ(contentTypesAffectedBy("SharePoint Online"), V{"Audit.SharePoint"});
  EXPECT_EQ(contentTypesAffectedBy("OneDrive for Business"), V{"Audit.SharePoint"});
  EXPECT_EQ(contentTypesAffectedBy("Microsoft Entra"), V{"Audit.AzureActiveDirectory"});
  EXPECT_EQ(contentTypesAffectedBy("Azure Active Directory"), V{"Audit.AzureActiveDirectory"});
  EXPECT_EQ(contentTypesAffectedBy("Microsoft Teams"), V{"Audit.General"});
  EXPECT_EQ(contentTypesAffectedBy("Microsoft Purview"), (V{"Audit.General", "DLP.All"}));
  EXPECT_EQ(contentTypesAffectedBy("Microsoft 365 suite").size(), 5u);
  EXPECT_TRUE(contentTypesAffectedBy("Windows Autopatch").empty());
  EXPECT_TRUE(contentTypesAffectedBy("").empty());
}

TEST(ServiceWorkloads, MetricLabelsAreBounded) {
  EXPECT_EQ(serviceMetricLabel("exchange online"), "Exchange Online");
  EXPECT_EQ(serviceMetricLabel("Some New Service"), "other");
  EXPECT_EQ(serviceMetricLabel(std::string(10000, 'a')), "other");
  EXPECT_EQ(classificationLabel("Incident"), "incident");
  EXPECT_EQ(classificationLabel("advisory"), "advisory");
  EXPECT_EQ(classificationLabel("unknownFutureValue"), "other");
}

}  // namespace
}  // namespace o365fwd
