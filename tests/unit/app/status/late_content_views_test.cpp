// The late-content and deep-sweep figures of a stream in every status view: /status JSON (writer
// and reader), /metrics, the status page and the status table.
#include <gtest/gtest.h>

#include <regex>

#include "app/status/metrics_text.h"
#include "app/status/status_json.h"
#include "app/status/status_page.h"
#include "app/status/status_table.h"
#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

StatusReport reportWithLateContent() {
  StatusReport r = testing::sampleReport();
  StreamReport& a = r.streams[0];  // contoso / Audit.Exchange
  a.late_blobs = 2;
  a.max_lateness_seconds = 438000;
  a.lateness.observe(2min);
  a.lateness.observe(20h + 30min);
  a.lateness.observe(std::chrono::hours(121) + 40min);
  a.last_sweep = *parseUtc("2026-12-06T11:30:00Z");
  a.sweeps_completed = 3;
  StreamReport& b = r.streams[1];  // fabrikam / DLP.All: same histogram family, other series
  b.lateness.observe(1min);
  return r;
}

TEST(LateContentViews, JsonCarriesAndRoundTripsTheFigures) {
  const StatusReport original = reportWithLateContent();
  const std::string json = statusToJson(original);
  EXPECT_NE(json.find("\"late_blobs\":2"), std::string::npos) << json;
  EXPECT_NE(json.find("\"bounds_seconds\":[300,900,3600,21600,43200,86400,172800,259200,432000,"
                      "604800]"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"last_sweep\":\"2026-12-06T11:30:00.000Z\""), std::string::npos);
  auto back = statusFromJson(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  const StreamReport& a = back->streams[0];
  EXPECT_EQ(a.late_blobs, 2u);
  EXPECT_EQ(a.max_lateness_seconds, 438000);
  EXPECT_EQ(a.lateness, original.streams[0].lateness);
  EXPECT_EQ(a.last_sweep, original.streams[0].last_sweep);
  EXPECT_EQ(a.sweeps_completed, 3u);
  EXPECT_FALSE(back->streams[1].last_sweep);
}

TEST(LateContentViews, ReaderAcceptsADocumentWithoutTheFieldsAndRejectsABrokenHistogram) {
  std::string json = statusToJson(testing::sampleReport());
  auto plain = statusFromJson(
      std::regex_replace(json, std::regex(R"(,"late_blobs".*?"sweeps_completed":0)"), ""));
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->streams[0].late_blobs, 0u);
  auto broken = statusFromJson(std::regex_replace(
      json, std::regex(R"("counts":\[0,0,0,0,0,0,0,0,0,0,0\])"), R"("counts":[1,2])"));
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("lateness.counts"), std::string::npos)
      << broken.error().message;
}

TEST(LateContentViews, MetricsHaveTheCounterAPerContentTypeHistogramAndTheLastSweep) {
  const std::string m = renderMetrics(reportWithLateContent());
  EXPECT_NE(m.find("# TYPE o365fwd_late_blobs_total counter\n"), std::string::npos);
  EXPECT_NE(m.find("o365fwd_late_blobs_total{content_type=\"Audit.Exchange\"} 2\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("# TYPE o365fwd_blob_lateness_seconds histogram\n"), std::string::npos);
  const std::string ex = "content_type=\"Audit.Exchange\"";
  EXPECT_NE(m.find("o365fwd_blob_lateness_seconds_bucket{" + ex + ",le=\"300\"} 1\n"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("o365fwd_blob_lateness_seconds_bucket{" + ex + ",le=\"86400\"} 2\n"),
            std::string::npos);
  EXPECT_NE(m.find("o365fwd_blob_lateness_seconds_bucket{" + ex + ",le=\"432000\"} 2\n"),
            std::string::npos);
  EXPECT_NE(m.find("o365fwd_blob_lateness_seconds_bucket{" + ex + ",le=\"604800\"} 3\n"),
            std::string::npos);
  EXPECT_NE(m.find("o365fwd_blob_lateness_seconds_bucket{" + ex + ",le=\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(m.find("o365fwd_blob_lateness_seconds_count{" + ex + "} 3\n"), std::string::npos);
  EXPECT_NE(m.find("o365fwd_blob_lateness_seconds_count{content_type=\"DLP.All\"} 1\n"),
            std::string::npos);
  std::smatch sum;
  ASSERT_TRUE(std::regex_search(
      m, sum, std::regex("o365fwd_blob_lateness_seconds_sum\\{" + ex + "\\} (\\S+)\n")));
  EXPECT_DOUBLE_EQ(std::stod(sum[1].str()), 120 + 73800 + 438000);
  EXPECT_NE(m.find("o365fwd_last_sweep_timestamp_seconds{content_type=\"Audit.Exchange\"} "),
            std::string::npos);
  EXPECT_EQ(m.find("o365fwd_last_sweep_timestamp_seconds{content_type=\"DLP.All"),
            std::string::npos)
      << "no sample before a stream's first sweep";
  // Per tenant at `tenant` detail.
  EXPECT_NE(renderMetrics(reportWithLateContent(), MetricsDetail::kTenant)
                .find("o365fwd_late_blobs_total{tenant=\"contoso\"} 2\n"),
            std::string::npos);
}

TEST(LateContentViews, PageShowsLateBlobsPerStream) {
  const std::string page = renderStatusPage(reportWithLateContent());
  EXPECT_NE(page.find("<th>Late blobs</th>"), std::string::npos);
  EXPECT_NE(page.find("<td class=\"num late\">2</td>"), std::string::npos) << page;
  EXPECT_NE(page.find("<td class=\"num late\">0</td>"), std::string::npos);
}

TEST(LateContentViews, TableAddsALateContentSectionOnlyWhenThereIsSomething) {
  StatusReport r = reportWithLateContent();
  const std::string text = renderStatusTable(r);
  EXPECT_NE(text.find("Late content (this run"), std::string::npos) << text;
  EXPECT_NE(text.find("MAX LATENESS"), std::string::npos);
  EXPECT_NE(text.find(humanDuration(std::chrono::seconds(438000))), std::string::npos) << text;
  EXPECT_EQ(renderStatusTable(testing::sampleReport()).find("Late content"), std::string::npos);
}

}  // namespace
}  // namespace o365fwd
