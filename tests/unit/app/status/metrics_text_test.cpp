#include "app/status/metrics_text.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tests/unit/app/status/fleet_report.h"
#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(MetricsText, FollowsTheExpositionFormat) {
  std::string text = renderMetrics(testing::sampleReport());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  // name{label="value",...} number — label values with \\, \" and \n escapes only. Metric names
  // follow Prometheus' [a-zA-Z_:][a-zA-Z0-9_:]* (lower case here; digits as in "utf8").
  const std::regex sample(
      R"re(^(o365fwd_[a-z0-9_]+)(\{([a-z_]+="([^"\\\n]|\\\\|\\"|\\n)*")(,[a-z_]+="([^"\\\n]|\\\\|\\"|\\n)*")*\})? -?[0-9.e+]+$)re");
  std::map<std::string, int> help, type;
  std::set<std::string> sampled, histograms;
  for (const std::string& line : lines(text)) {
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) {
      ++help[line.substr(7, line.find(' ', 7) - 7)];
    } else if (line.rfind("# TYPE ", 0) == 0) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      ++type[name];
      std::string kind = line.substr(line.rfind(' ') + 1);
      EXPECT_TRUE(kind == "counter" || kind == "gauge" || kind == "histogram") << line;
      if (kind == "histogram") histograms.insert(name);
      if (kind == "counter")
        EXPECT_TRUE(name.ends_with("_total")) << name;
      else
        EXPECT_FALSE(name.ends_with("_total")) << name;
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << line;
      sampled.insert(m[1]);
    }
  }
  for (const auto& [name, n] : help) EXPECT_EQ(n, 1) << name;
  for (const auto& [name, n] : type) EXPECT_EQ(n, 1) << name;
  for (std::string name : sampled) {
    // A histogram's samples are <family>_bucket, _sum and _count.
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (name.ends_with(suffix) &&
          histograms.count(name.substr(0, name.size() - std::string(suffix).size())))
        name.resize(name.size() - std::string(suffix).size());
    EXPECT_EQ(type.count(name), 1u) << name << " has no TYPE";
  }
}

TEST(MetricsText, HasTheFiguresTheIssueAsksFor) {
  std::string text = renderMetrics(testing::sampleReport());
  for (const char* expected : {
           "o365fwd_api_requests_total{endpoint=\"content_list\",result=\"2xx\"} 40",
           "o365fwd_api_throttled_total 2",
           "o365fwd_token_refreshes_total 3",
           "o365fwd_token_failures_total{tenant=\"contoso\"} 0",
           "o365fwd_content_blobs_done_total{content_type=\"Audit.Exchange\"} 1200",
           "o365fwd_records_forwarded_total{tenant=\"contoso\",content_type=\"Audit.Exchange\"} "
           "1234567",
           "o365fwd_duplicates_dropped_total{content_type=\"Audit.Exchange\"} 3",
           "o365fwd_dead_letters_total{content_type=\"Audit.Exchange\"} 1",
           "o365fwd_records_without_id_total{content_type=\"Audit.Exchange\"} 5",
           "o365fwd_records_invalid_utf8_total{content_type=\"Audit.Exchange\"} 6",
           "o365fwd_records_filtered_total{content_type=\"Audit.Exchange\"} 7",
           "o365fwd_checkpoint_lag_seconds{tenant=\"contoso\",content_type=\"Audit.Exchange\"} 300",
           // 2026-12-06T11:59:30Z, in whole seconds.
           "o365fwd_last_success_timestamp_seconds{tenant=\"contoso\",content_type=\"Audit."
           "Exchange\"} 1796558370\n",
           "o365fwd_sink_queue_records{sink=\"siem\"} 10",
           "o365fwd_sink_delivery_failures_total{sink=\"siem\"} 40",
           "o365fwd_sink_up{sink=\"siem\",type=\"syslog\"} 0",
           "o365fwd_syslog_truncated_total{sink=\"siem\"} 2",
           "o365fwd_stream_state{tenant=\"fabrikam \\\"eu\\\"\",content_type=\"DLP.All\",state="
           "\"error\"} 1",
           "o365fwd_streams{state=\"active\"} 1\n",
           "o365fwd_streams{state=\"error\"} 1\n",
           "o365fwd_streams{state=\"disabled\"} 0\n",
       })
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  // An active stream has no state series (o365fwd_streams counts it).
  EXPECT_EQ(text.find("o365fwd_stream_state{tenant=\"contoso\""), std::string::npos);
  // Per-type sink families only list sinks of that type.
  EXPECT_EQ(text.find("o365fwd_syslog_truncated_total{sink=\"file\"}"), std::string::npos);
  EXPECT_EQ(text.find("o365fwd_kafka_producer_restarts_total{sink="), std::string::npos);
}

TEST(MetricsText, StreamWithoutWatermarkHasNoLagSample) {
  StatusReport r = testing::sampleReport();
  r.streams[0].lag_seconds.reset();
  std::string text = renderMetrics(r);
  EXPECT_EQ(text.find("o365fwd_checkpoint_lag_seconds{tenant=\"contoso\""), std::string::npos);
}

// Series whose labels name both a tenant and a content type, i.e. series per stream.
std::size_t perStreamSeries(const std::string& text) {
  std::size_t n = 0;
  for (const std::string& line : lines(text))
    if (line[0] != '#' && line.find("tenant=\"") != std::string::npos &&
        line.find("content_type=\"") != std::string::npos)
      ++n;
  return n;
}

std::set<std::string> familyNames(const std::string& text) {
  std::set<std::string> names;
  for (const std::string& line : lines(text))
    if (line.rfind("# TYPE ", 0) == 0) names.insert(line.substr(7, line.find(' ', 7) - 7));
  return names;
}

TEST(MetricsText, StreamDetailHasAtMostFourSeriesPerStream) {
  StatusReport r = testing::fleetReport(50);
  const std::string text = renderMetrics(r, MetricsDetail::kStream);
  EXPECT_LE(perStreamSeries(text), 4 * r.streams.size());
  // All four are there for a collecting stream... (state only when it is not active)
  EXPECT_GE(perStreamSeries(text), 3 * r.streams.size());
  for (const char* family : {"o365fwd_checkpoint_lag_seconds{", "o365fwd_records_forwarded_total{",
                             "o365fwd_last_success_timestamp_seconds{"})
    EXPECT_NE(text.find(std::string(family) + "tenant=\"tenant7\",content_type=\"DLP.All\"}"),
              std::string::npos)
        << family;
  // ...and a stream in error has its state series.
  EXPECT_NE(text.find("o365fwd_stream_state{tenant=\"tenant3\",content_type=\"Audit.Exchange\","
                      "state=\"error\"} 1\n"),
            std::string::npos);
}

TEST(MetricsText, AThousandTenantsFitInOneAndAHalfMegabytes) {
  StatusReport r = testing::fleetReport(1000);
  ASSERT_EQ(r.streams.size(), 5000u);
  const std::size_t stream = renderMetrics(r, MetricsDetail::kStream).size();
  const std::size_t tenant = renderMetrics(r, MetricsDetail::kTenant).size();
  const std::size_t total = renderMetrics(r, MetricsDetail::kTotal).size();
  EXPECT_LE(stream, 1'500'000u);
  EXPECT_LT(tenant, stream);
  EXPECT_LT(total, 20'000u);
}

TEST(MetricsText, TenantDetailSumsEachTenantsStreams) {
  StatusReport r = testing::fleetReport(3);
  const std::string text = renderMetrics(r, MetricsDetail::kTenant);
  EXPECT_EQ(perStreamSeries(text), 0u);
  // Five streams of tenant1, each testing::kFleetRecords * (index + 1) records.
  EXPECT_NE(text.find("o365fwd_records_forwarded_total{tenant=\"tenant1\"} " +
                      std::to_string(15 * testing::kFleetRecords) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("o365fwd_content_blobs_done_total{tenant=\"tenant1\"} 50\n"),
            std::string::npos);
  // The largest lag, the oldest success, the states counted.
  EXPECT_NE(text.find("o365fwd_checkpoint_lag_seconds{tenant=\"tenant2\"} 360\n"),
            std::string::npos);
  EXPECT_NE(text.find("o365fwd_last_success_timestamp_seconds{tenant=\"tenant2\"} " +
                      std::to_string(testing::kFleetNow - 360) + "\n"),
            std::string::npos);
  EXPECT_NE(text.find("o365fwd_api_requests_total{tenant=\"tenant0\",endpoint=\"content_blob\","
                      "result=\"2xx\"} 10\n"),
            std::string::npos);
}

TEST(MetricsText, TotalDetailHasNoTenantLabelAnywhere) {
  StatusReport r = testing::fleetReport(12);
  const std::string text = renderMetrics(r, MetricsDetail::kTotal);
  EXPECT_EQ(text.find("tenant=\""), std::string::npos);
  EXPECT_NE(text.find("o365fwd_records_forwarded_total " +
                      std::to_string(12 * 15 * testing::kFleetRecords) + "\n"),
            std::string::npos);
  // tenant3's Audit.Exchange stream is in error (testing::fleetReport).
  EXPECT_NE(text.find("o365fwd_stream_state{state=\"error\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("o365fwd_api_requests_total{endpoint=\"content_blob\",result=\"2xx\"} 120\n"),
            std::string::npos);
  EXPECT_NE(text.find("o365fwd_content_blobs_done_total{content_type=\"DLP.All\"} 120\n"),
            std::string::npos);
}

TEST(MetricsText, EveryDetailHasTheSameFamilies) {
  // Queries, alerts and dashboards written against one detail find each family in the others;
  // only the labels differ.
  StatusReport r = testing::fleetReport(4);
  const std::set<std::string> stream = familyNames(renderMetrics(r, MetricsDetail::kStream));
  EXPECT_EQ(familyNames(renderMetrics(r, MetricsDetail::kTenant)), stream);
  EXPECT_EQ(familyNames(renderMetrics(r, MetricsDetail::kTotal)), stream);
  EXPECT_GE(stream.size(), 35u);
}

}  // namespace
}  // namespace o365fwd
