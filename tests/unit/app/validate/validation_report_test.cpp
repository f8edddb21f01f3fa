#include "app/validate/validation_report.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

namespace o365fwd {
namespace {

CheckResult check(const char* name, CheckResult::Status status, std::string code = {}) {
  CheckResult c;
  c.name = name;
  c.target = "contoso Audit.Exchange";
  c.status = status;
  c.detail = std::string(name) + " detail";
  c.code = std::move(code);
  return c;
}

TEST(ValidationReportTest, WarningsAndSkipsExitZeroAFailExitsOne) {
  ValidationReport report;
  report.checks.push_back(check("subscription", CheckResult::kWarn, "not_started"));
  report.checks.push_back(check("listing", CheckResult::kSkip, "no_enabled_subscription"));
  EXPECT_EQ(report.exitCode(), 0);
  EXPECT_TRUE(report.ok());
  report.checks.push_back(check("subscription", CheckResult::kFail, "disabled"));
  EXPECT_EQ(report.exitCode(), 1);
}

TEST(ValidationReportTest, JsonCarriesEachChecksCode) {
  ValidationReport report;
  report.checks.push_back(check("subscription", CheckResult::kWarn, "not_started"));
  report.checks.push_back(check("sink", CheckResult::kPass));
  rapidjson::Document doc;
  std::string json = report.renderJson();
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  ASSERT_EQ(doc["checks"].Size(), 2u);
  EXPECT_STREQ(doc["checks"][0]["status"].GetString(), "warn");
  EXPECT_STREQ(doc["checks"][0]["code"].GetString(), "not_started");
  EXPECT_STREQ(doc["checks"][1]["code"].GetString(), "");
  EXPECT_TRUE(doc["ok"].GetBool());
}

TEST(ValidationReportTest, TextShowsWarnWithItsRemedy) {
  ValidationReport report;
  CheckResult c = check("subscription", CheckResult::kWarn, "not_started");
  c.remedy = "`o365fwd run` starts them; `validate --fix` starts them now";
  report.checks.push_back(std::move(c));
  std::string text = report.renderText();
  EXPECT_NE(text.find("WARN  subscription"), std::string::npos) << text;
  EXPECT_NE(text.find("fix: `o365fwd run` starts them"), std::string::npos) << text;
  EXPECT_NE(text.find("OK "), std::string::npos) << text;
}

// A fleet: 30 tenants, 2 of them failing, 8 warning the same way, 1 behind an unreachable host.
ValidationReport fleetReport() {
  ValidationReport report;
  CheckResult host = check("reach", CheckResult::kPass);
  host.target = "https://login.example";
  report.checks.push_back(host);
  for (int i = 0; i < 30; ++i) {
    const std::string tenant = "tenant" + std::to_string(i);
    for (const char* name : {"credential", "token", "listing"}) {
      CheckResult c = check(name, CheckResult::kPass);
      c.target = c.tenant = tenant;
      if (std::string(name) == "token" && (i == 4 || i == 17)) {
        c.status = CheckResult::kFail;
        c.detail = "AADSTS7000215 invalid client secret";
      }
      if (std::string(name) == "listing" && i >= 20 && i < 28) {
        c.status = CheckResult::kWarn;
        c.code = "not_started";
        c.detail = "Audit.Exchange not started yet";
      }
      if (std::string(name) == "listing" && i == 29) {
        c.status = CheckResult::kSkip;
        c.code = "host_unreachable";
      }
      report.checks.push_back(c);
    }
  }
  return report;
}

size_t linesStartingWith(const std::string& text, const std::string& prefix) {
  size_t n = 0;
  for (size_t at = 0; at < text.size();) {
    if (text.compare(at, prefix.size(), prefix) == 0) ++n;
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return n;
}

TEST(ValidationReportTest, BriefTextListsFailuresAndSummarisesTheRest) {
  const ValidationReport report = fleetReport();
  EXPECT_EQ(report.tenantCount(), 30u);
  const std::string brief = report.renderText(true);
  EXPECT_EQ(linesStartingWith(brief, "PASS"), 0u) << brief;
  EXPECT_EQ(linesStartingWith(brief, "SKIP"), 0u) << brief;
  EXPECT_EQ(linesStartingWith(brief, "FAIL  token"), 2u) << brief;
  // Five similar warnings are shown, the other three counted in one line.
  EXPECT_EQ(linesStartingWith(brief, "WARN  listing"), 5u) << brief;
  EXPECT_NE(brief.find("WARN  3 more listing warnings (not_started)"), std::string::npos) << brief;
  EXPECT_NE(brief.find("81 checks passed or skipped, not shown (--verbose lists every check)"),
            std::string::npos)
      << brief;
  EXPECT_NE(brief.find("tenants: 19 passed, 8 with warnings, 2 failed (tenant4, tenant17), 1 not "
                       "checked (host unreachable)\n"),
            std::string::npos)
      << brief;
  EXPECT_EQ(linesStartingWith(brief, "FAILED "), 1u);
  // The full text has every check.
  const std::string full = report.renderText();
  EXPECT_EQ(linesStartingWith(full, "PASS"), 80u) << full;
  EXPECT_EQ(full.find("tenants: "), std::string::npos);
}

}  // namespace
}  // namespace o365fwd
