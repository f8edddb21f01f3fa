// Microsoft 365 service health in every view of the status report: the open issues attached to
// the streams they affect, JSON (written and read back), /metrics (bounded labels), the page (a
// row under the affected stream, escaped) and the CLI table (next to the stream; the permission
// error with its remedy).
#include <gtest/gtest.h>

#include "app/status/metrics_text.h"
#include "app/status/service_health_status.h"
#include "app/status/status_json.h"
#include "app/status/status_page.h"
#include "app/status/status_table.h"
#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd {
namespace {

ServiceIssueReport openIssue(const std::string& id, const std::string& service,
                             const std::string& classification,
                             std::vector<std::string> content_types) {
  ServiceIssueReport i;
  i.id = id;
  i.title = "Users <can't> access mail";
  i.service = service;
  i.classification = classification;
  i.status = "serviceDegradation";
  i.start = WallTime(std::chrono::seconds(1'764'590'000));
  i.last_modified = WallTime(std::chrono::seconds(1'764'600'000));
  i.content_types = std::move(content_types);
  return i;
}

StatusReport withServiceHealth() {
  StatusReport r = testing::sampleReport();
  ServiceHealthReport contoso;
  contoso.tenant = "contoso";
  contoso.state = "ok";
  contoso.issues_forwarded = 3;
  contoso.open_issues = {openIssue("EX1", "Exchange Online", "incident", {"Audit.Exchange"}),
                         openIssue("TM1", "Microsoft Teams", "advisory", {"Audit.General"}),
                         openIssue("ZZ1", "A Service Nobody Knows", "unknownFutureValue", {})};
  contoso.open_issues_total = 3;
  contoso.degraded_services = {"Exchange Online: serviceDegradation"};
  ServiceHealthReport fabrikam;
  fabrikam.tenant = "fabrikam \"eu\"";
  fabrikam.state = "error";
  fabrikam.last_error =
      ErrorInfo{WallTime(std::chrono::seconds(1'764'600'000)), "ServiceHealth.Read.All",
                "Microsoft Graph refused (HTTP 403). Grant admin consent"};
  attachServiceHealth(r, {fabrikam, contoso});
  return r;
}

TEST(ServiceHealthViews, IssuesAttachToTheStreamsTheyAffect) {
  StatusReport r = withServiceHealth();
  ASSERT_EQ(r.service_health.size(), 2u);
  EXPECT_EQ(r.service_health[0].tenant, "contoso");  // sorted
  for (const StreamReport& s : r.streams) {
    if (s.tenant == "contoso" && s.content_type == "Audit.Exchange")
      EXPECT_EQ(s.service_issues, std::vector<std::string>{"EX1"});
    else
      EXPECT_TRUE(s.service_issues.empty()) << s.tenant << " " << s.content_type;
  }
}

TEST(ServiceHealthViews, JsonRoundTripAndOlderDocuments) {
  StatusReport r = withServiceHealth();
  auto back = statusFromJson(statusToJson(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->service_health.size(), 2u);
  const ServiceHealthReport& c = back->service_health[0];
  EXPECT_EQ(c.state, "ok");
  EXPECT_EQ(c.issues_forwarded, 3u);
  ASSERT_EQ(c.open_issues.size(), 3u);
  EXPECT_EQ(c.open_issues[0].id, "EX1");
  EXPECT_EQ(c.open_issues[0].title, "Users <can't> access mail");
  EXPECT_EQ(c.open_issues[0].content_types, std::vector<std::string>{"Audit.Exchange"});
  EXPECT_EQ(c.open_issues[0].last_modified, r.service_health[0].open_issues[0].last_modified);
  EXPECT_EQ(c.degraded_services, r.service_health[0].degraded_services);
  ASSERT_TRUE(back->service_health[1].last_error.has_value());
  EXPECT_EQ(back->service_health[1].last_error->code, "ServiceHealth.Read.All");
  for (std::size_t i = 0; i < r.streams.size(); ++i)
    EXPECT_EQ(back->streams[i].service_issues, r.streams[i].service_issues);
  auto old = statusFromJson(statusToJson(testing::sampleReport()));
  ASSERT_TRUE(old.ok());
  EXPECT_TRUE(old->service_health.empty());
  EXPECT_FALSE(
      statusFromJson(R"({"version":"x","streams":[],"sinks":[],"service_health":3})").ok());
}

TEST(ServiceHealthViews, MetricsCountOpenIssuesWithBoundedLabels) {
  EXPECT_EQ(renderMetrics(testing::sampleReport()).find("o365fwd_service_health"),
            std::string::npos);
  const std::string m = renderMetrics(withServiceHealth());
  EXPECT_NE(m.find("o365fwd_service_health_open_issues{service=\"Exchange Online\","
                   "classification=\"incident\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(
      m.find("o365fwd_service_health_open_issues{service=\"other\",classification=\"other\"} 1\n"),
      std::string::npos);
  EXPECT_EQ(m.find("A Service Nobody Knows"), std::string::npos);
  EXPECT_NE(m.find("o365fwd_service_health_tenants{state=\"error\"} 1\n"), std::string::npos);
  EXPECT_NE(m.find("o365fwd_service_health_issues_forwarded_total 3\n"), std::string::npos);
}

TEST(ServiceHealthViews, PageShowsTheIncidentUnderItsStreamAndTheRemedy) {
  EXPECT_EQ(renderStatusPage(testing::sampleReport()).find("id=\"service-health\""),
            std::string::npos);
  const std::string page = renderStatusPage(withServiceHealth());
  const std::string stream_row =
      "<tr class=\"stream\" data-tenant=\"contoso\" data-content-type=\"Audit.Exchange\"";
  const std::string issue_row =
      "<tr class=\"service-issues\" data-tenant=\"contoso\" data-content-type=\"Audit.Exchange\">";
  auto s = page.find(stream_row), i = page.find(issue_row);
  ASSERT_NE(s, std::string::npos);
  ASSERT_NE(i, std::string::npos);
  EXPECT_LT(s, i);
  EXPECT_EQ(page.find("</tr>", s) + 6, i);  // directly under the stream's row
  EXPECT_NE(page.find("Users &lt;can&#39;t&gt; access mail", i), std::string::npos);
  EXPECT_NE(page.find("data-issue=\"EX1\""), std::string::npos);
  EXPECT_NE(page.find("id=\"service-incidents\">1<"), std::string::npos);
  EXPECT_NE(page.find("Grant admin consent"), std::string::npos);
  // The tenant's summary line (seen without opening it) names the open issue too.
  const auto block = page.find("<details class=\"tenant\" data-tenant=\"contoso\"");
  ASSERT_NE(block, std::string::npos);
  const std::string summary = page.substr(block, page.find("</summary>", block) - block);
  EXPECT_NE(summary.find("Microsoft service issue open: "), std::string::npos) << summary;
}

TEST(ServiceHealthViews, TableListsIssuesNextToStreamsAndTheUnreadableTenants) {
  StatusTableOptions all;
  all.all = true;
  const std::string table = renderStatusTable(withServiceHealth(), all);
  EXPECT_NE(table.find("contoso/Audit.Exchange: Microsoft incident EX1 (Exchange Online, "
                       "serviceDegradation): Users <can't> access mail"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("Service health cannot be read"), std::string::npos);
  EXPECT_NE(table.find("fabrikam \"eu\": ServiceHealth.Read.All"), std::string::npos);
  EXPECT_EQ(renderStatusTable(testing::sampleReport(), all).find("service health"),
            std::string::npos);
}

// A fleet: Microsoft reports the same issue to every tenant it affects. The page counts and names
// distinct issues with their tenants; `o365fwd status` without the streams (hidden as healthy)
// still names them.
TEST(ServiceHealthViews, AFleetSeesEachIssueOnceWithItsTenantCount) {
  StatusReport r = testing::sampleReport();
  std::vector<ServiceHealthReport> health;
  for (int t = 0; t < 3; ++t) {
    ServiceHealthReport h;
    h.tenant = "tenant" + std::to_string(t);
    h.state = "ok";
    h.open_issues = {openIssue("EX1", "Exchange Online", "incident", {"Audit.Exchange"})};
    if (t == 0)
      h.open_issues.push_back(
          openIssue("SP1", "SharePoint Online", "advisory", {"Audit.SharePoint"}));
    health.push_back(h);
  }
  attachServiceHealth(r, health);
  const std::vector<FleetIssue> issues = fleetIssues(r);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_EQ(issues[0].issue->id, "EX1");
  EXPECT_EQ(issues[0].tenants, 3u);
  EXPECT_EQ(issues[1].tenants, 1u);
  const std::string page = renderStatusPage(r);
  EXPECT_NE(page.find("id=\"service-incidents\">1<"), std::string::npos);
  EXPECT_NE(page.find("id=\"service-advisories\">1<"), std::string::npos);
  EXPECT_NE(page.find("EX1 (Exchange Online) in 3 tenants"), std::string::npos);
  StatusTableOptions problems;
  problems.problems = true;  // no stream shown: the fleet's issues are named all the same
  const std::string table = renderStatusTable(r, problems);
  EXPECT_NE(table.find("Microsoft 365 service health: 2 open issue(s)"), std::string::npos)
      << table;
  EXPECT_NE(table.find("Microsoft incident EX1 (Exchange Online, serviceDegradation): Users "
                       "<can't> access mail — 3 tenants"),
            std::string::npos)
      << table;
}

}  // namespace
}  // namespace o365fwd
