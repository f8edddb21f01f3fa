// The monitoring files the project ships (packaging/prometheus/o365fwd-alerts.yml,
// packaging/grafana/o365fwd-dashboard.json) query only metrics the daemon exports: a renamed or
// dropped family fails here, not silently in an operator's Prometheus. Their PromQL syntax is
// checked by promtool (scripts/check-monitoring.sh, ctest promtool_monitoring).
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "app/status/metrics_text.h"
#include "tests/support/test_paths.h"
#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd {
namespace {

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> metricNamesIn(const std::string& text) {
  std::set<std::string> names;
  const std::regex name(R"(o365fwd_[a-z0-9_]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator();
       ++it)
    names.insert(it->str());
  return names;
}

// What the daemon exports at `detail`: each family, and a histogram's _bucket, _sum and _count.
std::set<std::string> exported(MetricsDetail detail) {
  StatusReport r = testing::sampleReport();
  SinkReport kafka;
  kafka.name = "bus";
  kafka.type = "kafka";
  r.sinks.push_back(kafka);
  std::set<std::string> names;
  std::istringstream in(renderMetrics(r, detail));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) != 0) continue;
    const std::string family = line.substr(7, line.find(' ', 7) - 7);
    names.insert(family);
    if (line.ends_with(" histogram"))
      for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(family + suffix);
  }
  return names;
}

void expectAllExported(const std::string& file, const std::set<std::string>& used) {
  for (MetricsDetail detail :
       {MetricsDetail::kStream, MetricsDetail::kTenant, MetricsDetail::kTotal}) {
    const std::set<std::string> names = exported(detail);
    for (const std::string& name : used)
      EXPECT_TRUE(names.count(name))
          << file << " queries " << name << ", which /metrics does not export at detail "
          << toString(detail);
  }
}

TEST(PackagedMonitoring, AlertsQueryOnlyExportedMetrics) {
  const std::string file = "packaging/prometheus/o365fwd-alerts.yml";
  const std::string text = readFile(testing::sourceDir() / file);
  ASSERT_FALSE(text.empty()) << file;
  const std::set<std::string> used = metricNamesIn(text);
  // The alerts the issue asks for are there.
  for (const char* needed :
       {"o365fwd_checkpoint_lag_seconds", "o365fwd_stream_state", "o365fwd_sink_up",
        "o365fwd_token_failures_total", "o365fwd_late_blobs_total"})
    EXPECT_TRUE(used.count(needed)) << needed;
  expectAllExported(file, used);
}

TEST(PackagedMonitoring, DashboardIsGrafanaJsonQueryingOnlyExportedMetrics) {
  const std::string file = "packaging/grafana/o365fwd-dashboard.json";
  const std::string text = readFile(testing::sourceDir() / file);
  rapidjson::Document doc;
  doc.Parse(text.c_str(), text.size());
  ASSERT_FALSE(doc.HasParseError()) << file << " is not valid JSON";
  ASSERT_TRUE(doc.IsObject() && doc.HasMember("panels") && doc["panels"].IsArray());
  EXPECT_TRUE(doc.HasMember("title") && doc["title"].IsString());
  EXPECT_TRUE(doc.HasMember("uid") && doc["uid"].IsString());
  std::set<std::string> used;
  std::size_t queries = 0;
  for (const auto& panel : doc["panels"].GetArray()) {
    ASSERT_TRUE(panel.HasMember("type") && panel.HasMember("gridPos"));
    if (!panel.HasMember("targets")) continue;
    for (const auto& target : panel["targets"].GetArray()) {
      ASSERT_TRUE(target.HasMember("expr") && target["expr"].IsString());
      const std::set<std::string> names = metricNamesIn(target["expr"].GetString());
      EXPECT_FALSE(names.empty()) << target["expr"].GetString();
      used.insert(names.begin(), names.end());
      ++queries;
    }
  }
  EXPECT_GE(queries, 20u);
  EXPECT_GE(used.size(), 20u);
  expectAllExported(file, used);
}

}  // namespace
}  // namespace o365fwd
