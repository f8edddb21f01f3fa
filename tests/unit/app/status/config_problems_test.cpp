// `config_problems` (a broken tenants_dir file, an invalid main file on reload) in every view of
// the status report: JSON (written and read back), /metrics, the page and the CLI table.
#include <gtest/gtest.h>

#include "app/status/metrics_text.h"
#include "app/status/status_json.h"
#include "app/status/status_page.h"
#include "app/status/status_table.h"
#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd {
namespace {

const char* kProblem =
    "/etc/o365fwd/tenants.d/contoso.yaml:3: tenants[0].tenant_id: \"nope\" is not a GUID <x>";

TEST(ConfigProblems, JsonRoundTripAndOlderDocuments) {
  StatusReport r = testing::sampleReport();
  r.config_problems = {kProblem, "second"};
  auto back = statusFromJson(statusToJson(r));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->config_problems, r.config_problems);
  r.config_problems.clear();
  auto none = statusFromJson(statusToJson(r));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->config_problems.empty());
  auto bad = statusFromJson(R"({"version":"x","streams":[],"sinks":[],"config_problems":3})");
  EXPECT_FALSE(bad.ok());
}

TEST(ConfigProblems, MetricsCountThem) {
  StatusReport r = testing::sampleReport();
  EXPECT_NE(renderMetrics(r).find("\no365fwd_config_problems 0\n"), std::string::npos);
  r.config_problems = {kProblem, "second"};
  EXPECT_NE(renderMetrics(r).find("\no365fwd_config_problems 2\n"), std::string::npos);
}

TEST(ConfigProblems, PageAndTableShowThemEscapedAndOnlyWhenAny) {
  StatusReport r = testing::sampleReport();
  EXPECT_EQ(renderStatusPage(r).find("config-problems"), std::string::npos);
  EXPECT_EQ(renderStatusTable(r).find("Configuration problems"), std::string::npos);
  r.config_problems = {kProblem};
  const std::string page = renderStatusPage(r);
  EXPECT_NE(page.find("<ul id=\"config-problems\">"), std::string::npos);
  EXPECT_NE(page.find("is not a GUID &lt;x&gt;"), std::string::npos);
  const std::string table = renderStatusTable(r);
  EXPECT_NE(table.find("Configuration problems"), std::string::npos);
  EXPECT_NE(table.find("contoso.yaml:3: tenants[0].tenant_id"), std::string::npos);
}

}  // namespace
}  // namespace o365fwd
