#include "app/service_health/issue_records.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "core/config/config.h"
#include "sinks/file/tail_recovery.h"

namespace o365fwd {
namespace {

ServiceIssue issue(const std::string& id, const std::string& modified) {
  ServiceIssue i;
  i.id = id;
  i.last_modified = modified;
  i.classification = "incident";
  i.service = "Exchange Online";
  i.raw = R"({"id":")" + id + R"(","lastModifiedDateTime":")" + modified + R"("})";
  return i;
}

TEST(IssueRecords, ChangedIssuesAreTheNewAndTheModifiedOnes) {
  std::vector<ServiceIssue> issues = {issue("A", "t1"), issue("B", "t2"), issue("C", "t1"),
                                      issue("C", "t1")};
  std::map<std::string, std::string> known = {{"A", "t1"}, {"B", "t1"}};
  EXPECT_EQ(changedIssues(issues, known), (std::vector<std::size_t>{1, 2}));  // C once
  EXPECT_EQ(changedIssues(issues, {}), (std::vector<std::size_t>{0, 1, 2}));
  known = {{"A", "t1"}, {"B", "t2"}, {"C", "t1"}};
  EXPECT_TRUE(changedIssues(issues, known).empty());
}

TEST(IssueRecords, KeyDependsOnTenantIdAndLastModified) {
  EXPECT_EQ(issueKey("contoso", issue("A", "t1")), issueKey("contoso", issue("A", "t1")));
  EXPECT_FALSE(issueKey("contoso", issue("A", "t1")) == issueKey("contoso", issue("A", "t2")));
  EXPECT_FALSE(issueKey("contoso", issue("A", "t1")) == issueKey("fabrikam", issue("A", "t1")));
}

TEST(IssueRecords, BatchRecordsAreTheIssueWithTheTenantFirst) {
  ContentRef content;
  content.stream = {"contoso", kServiceHealthContentType};
  content.content_id = "servicehealth-1";
  std::vector<ServiceIssue> issues = {issue("A", "2026-12-01T00:00:00Z"),
                                      issue("B", "2026-12-02T00:00:00Z")};
  issues[1].last_modified_at = WallTime(std::chrono::seconds(1'764'633'600));
  BatchPtr batch = buildIssueBatch(content, issues, {1});
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ(std::string(batch->raw(0)),
            R"({"o365fwd":{"tenant":"contoso","contentType":"ServiceHealth.Issue"},"id":"B",)"
            R"("lastModifiedDateTime":"2026-12-02T00:00:00Z"})");
  rapidjson::Document d;
  d.Parse(batch->raw(0).data(), batch->raw(0).size());
  ASSERT_FALSE(d.HasParseError());
  EXPECT_EQ(batch->id(0), "B");  // the Kafka key
  EXPECT_EQ(batch->operation(0), "2026-12-02T00:00:00Z");
  EXPECT_EQ(batch->recordType(0), "incident");
  EXPECT_EQ(batch->workload(0), "Exchange Online");
  EXPECT_EQ(batch->records[0].creation_time, issues[1].last_modified_at);
  EXPECT_EQ(batch->content.stream.content_type, "ServiceHealth.Issue");
}

// The file sink's crash recovery reads the key back from the written line: it must be the key the
// sink computes for the batch's record, and differ between tenants (Microsoft gives every tenant
// the same issue ids).
TEST(IssueRecords, TheWrittenLineYieldsTheFileSinksKeyOfItsTenant) {
  std::vector<ServiceIssue> issues = {issue("EX1", "2026-12-01T00:00:00Z")};
  issues[0].raw = R"({"id":"EX1","title":"x","lastModifiedDateTime":"2026-12-01T00:00:00Z",)"
                  R"("posts":[{"id":"p"}]})";
  ContentRef a, b;
  a.stream = {"contoso", kServiceHealthContentType};
  b.stream = {"fabrikam", kServiceHealthContentType};
  BatchPtr batch_a = buildIssueBatch(a, issues, {0});
  BatchPtr batch_b = buildIssueBatch(b, issues, {0});
  EXPECT_EQ(lineRecordKey(batch_a->raw(0)), batchRecordFileKey(*batch_a, 0));
  EXPECT_EQ(lineRecordKey(batch_b->raw(0)), batchRecordFileKey(*batch_b, 0));
  EXPECT_NE(batchRecordFileKey(*batch_a, 0), batchRecordFileKey(*batch_b, 0));
  EXPECT_NE(batchRecordFileKey(*batch_a, 0), fileRecordKey("EX1", "2026-12-01T00:00:00Z"));
}

}  // namespace
}  // namespace o365fwd
