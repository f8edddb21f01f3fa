#include "app/status/metrics_text.h"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

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
           "o365fwd_api_requests_total{tenant=\"contoso\",endpoint=\"content_list\",result=\"2xx\"}"
           " 40",
           "o365fwd_api_throttled_total{tenant=\"contoso\"} 2",
           "o365fwd_token_refreshes_total{tenant=\"contoso\"} 3",
           "o365fwd_content_blobs_done_total{tenant=\"contoso\",content_type=\"Audit.Exchange\"} "
           "1200",
           "o365fwd_records_forwarded_total{tenant=\"contoso\",content_type=\"Audit.Exchange\"} "
           "1234567",
           "o365fwd_duplicates_dropped_total{tenant=\"contoso\",content_type=\"Audit.Exchange\"} 3",
           "o365fwd_dead_letters_total{tenant=\"contoso\",content_type=\"Audit.Exchange\"} 1",
           "o365fwd_records_without_id_total{tenant=\"contoso\",content_type=\"Audit.Exchange\"} "
           "5",
           "o365fwd_records_invalid_utf8_total{tenant=\"contoso\",content_type=\"Audit."
           "Exchange\"} 6",
           "o365fwd_checkpoint_lag_seconds{tenant=\"contoso\",content_type=\"Audit.Exchange\"} 300",
           "o365fwd_sink_queue_records{sink=\"siem\"} 10",
           "o365fwd_sink_delivery_failures_total{sink=\"siem\"} 40",
           "o365fwd_sink_up{sink=\"siem\",type=\"syslog\"} 0",
           "o365fwd_syslog_truncated_total{sink=\"siem\"} 2",
           "o365fwd_stream_state{tenant=\"contoso\",content_type=\"Audit.Exchange\",state="
           "\"active\"} 1",
       })
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
  // A quote in a tenant name is escaped, not ending the label.
  EXPECT_NE(text.find("tenant=\"fabrikam \\\"eu\\\"\""), std::string::npos);
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

}  // namespace
}  // namespace o365fwd
