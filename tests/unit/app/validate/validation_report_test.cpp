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

}  // namespace
}  // namespace o365fwd
