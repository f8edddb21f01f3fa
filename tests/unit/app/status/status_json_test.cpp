#include "app/status/status_json.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "app/status/fleet_health.h"
#include "tests/unit/app/status/status_fixtures.h"

namespace o365fwd {
namespace {

TEST(StatusJson, CarriesTheDocumentedFields) {
  std::string json = statusToJson(testing::sampleReport());
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["version"].GetString(), "9.8.7");
  EXPECT_STREQ(doc["generated_at"].GetString(), "2026-12-06T12:00:00.000Z");
  ASSERT_EQ(doc["streams"].Size(), 2u);
  const auto& s = doc["streams"][0];
  for (const char* key :
       {"tenant", "content_type", "state", "last_poll", "last_success", "watermark", "lag_seconds",
        "blobs_done", "blobs_pending", "events_forwarded", "duplicates_dropped", "last_error",
        "records_without_id", "records_invalid_utf8", "records_filtered", "records_filtered_run"})
    EXPECT_TRUE(s.HasMember(key)) << key;
  EXPECT_EQ(s["events_forwarded"].GetUint64(), 1234567u);
  EXPECT_TRUE(s["last_error"].IsNull());
  const auto& e = doc["streams"][1]["last_error"];
  EXPECT_STREQ(e["code"].GetString(), "AF10001");
  EXPECT_STREQ(e["at"].GetString(), "2026-12-06T11:58:00.000Z");
  EXPECT_STREQ(doc["streams"][1]["lag_level"].GetString(), "critical");
  EXPECT_TRUE(doc["streams"][1]["last_poll"].IsNull());
  const auto& sink = doc["sinks"][1];
  for (const char* key : {"name", "type", "state", "delivered", "failed", "queued", "last_error"})
    EXPECT_TRUE(sink.HasMember(key)) << key;
  EXPECT_STREQ(sink["state"].GetString(), "down");
  EXPECT_EQ(doc["collector"]["queued_blobs"].GetUint64(), 5u);
}

TEST(StatusJson, RoundTripsThroughTheReader) {
  StatusReport original = testing::sampleReport();
  for (bool pretty : {false, true}) {
    auto back = statusFromJson(statusToJson(original, pretty));
    ASSERT_TRUE(back.ok()) << back.error().message;
    ASSERT_EQ(back->streams.size(), 2u);
    EXPECT_EQ(back->streams[1].tenant, "fabrikam \"eu\"");
    EXPECT_EQ(back->streams[1].lag_level, LagLevel::kCritical);
    EXPECT_EQ(back->streams[1].lag_seconds, 280800);
    ASSERT_TRUE(back->streams[1].last_error);
    EXPECT_EQ(back->streams[1].last_error->message, original.streams[1].last_error->message);
    EXPECT_EQ(back->streams[0].watermark, original.streams[0].watermark);
    EXPECT_FALSE(back->streams[1].last_poll);
    EXPECT_EQ(back->sinks[1].queued_bytes, 20480u);
    EXPECT_EQ(back->sinks[1].truncated, 2u);
    EXPECT_EQ(back->started_at, original.started_at);
    EXPECT_EQ(back->inflight_bytes, 4096u);
    EXPECT_EQ(back->streams[0].records_without_id, 5u);
    EXPECT_EQ(back->streams[0].records_invalid_utf8, 6u);
    EXPECT_EQ(back->streams[0].records_filtered, 7u);
    EXPECT_EQ(back->streams[0].records_filtered_run, original.streams[0].records_filtered_run);
  }
}

// Issue 11: the health headline and the time series are the document's last members and read
// back; a document without them (older versions) gets the health judged from its streams.
TEST(StatusJson, CarriesTheHealthSummaryAndHistoryLast) {
  StatusReport r = testing::sampleReport();
  r.health = summarizeHealth(r);
  r.health.records_per_minute = 1500;
  HistoryPoint p;
  p.at = r.generated_at;
  p.records = 3000;
  p.seconds = 60;
  p.oldest_lag_seconds = 280800;
  p.problem_streams = 1;
  r.history = {p};
  const std::string json = statusToJson(r);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError());
  auto last = doc.MemberEnd();
  --last;
  EXPECT_STREQ(last->name.GetString(), "cluster");  // cluster mode's, added after
  --last;
  EXPECT_STREQ(last->name.GetString(), "request_rates");  // adaptive rate's, added after
  --last;
  EXPECT_STREQ(last->name.GetString(), "credentials");  // credential expiry's, added after
  --last;
  EXPECT_STREQ(last->name.GetString(), "service_health");  // service health's, added after
  --last;
  EXPECT_STREQ(last->name.GetString(), "config_problems");  // fleet-config's, added after
  --last;
  EXPECT_STREQ(last->name.GetString(), "history");
  --last;
  EXPECT_STREQ(last->name.GetString(), "health");
  const auto& h = doc["health"];
  EXPECT_STREQ(h["state"].GetString(), "degraded");
  EXPECT_STREQ(h["headline"].GetString(), "Degraded: 1 stream in error; 1 sink not up");
  EXPECT_EQ(h["tenants_error"].GetUint64(), 1u);
  EXPECT_EQ(h["tenants_healthy"].GetUint64(), 1u);
  EXPECT_EQ(h["records_per_minute"].GetUint64(), 1500u);
  EXPECT_EQ(h["oldest_lag_seconds"].GetInt64(), 280800);
  EXPECT_STREQ(h["oldest_lag_stream"].GetString(), "fabrikam \"eu\"/DLP.All");
  ASSERT_EQ(doc["history"].Size(), 1u);
  EXPECT_EQ(doc["history"][0]["records"].GetUint64(), 3000u);

  auto back = statusFromJson(json);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->health.state, "degraded");
  EXPECT_EQ(back->health.streams_error, 1u);
  EXPECT_EQ(back->health.records_per_minute, 1500u);
  ASSERT_EQ(back->history.size(), 1u);
  EXPECT_EQ(back->history[0].at, p.at);
  EXPECT_EQ(back->history[0].oldest_lag_seconds, 280800);

  // Without the block: judged from the streams and sinks.
  rapidjson::Document old;
  old.Parse(json.c_str());
  old.RemoveMember("health");
  old.RemoveMember("history");
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  old.Accept(w);
  auto judged = statusFromJson(buffer.GetString());
  ASSERT_TRUE(judged.ok()) << judged.error().message;
  EXPECT_EQ(judged->health.state, "degraded");
  EXPECT_EQ(judged->health.tenants_error, 1u);
  EXPECT_FALSE(judged->health.records_per_minute.has_value());
  EXPECT_TRUE(judged->history.empty());
}

TEST(StatusJson, ReaderNamesTheBrokenField) {
  EXPECT_FALSE(statusFromJson("not json").ok());
  EXPECT_FALSE(statusFromJson("{\"version\":\"1\",\"source\":\"live\"}").ok());
  auto bad = statusFromJson(
      "{\"version\":\"1\",\"source\":\"live\",\"streams\":[{\"tenant\":\"t\",\"tenant_id\":\"\","
      "\"content_type\":\"DLP.All\",\"state\":\"active\",\"events_forwarded\":\"many\"}],\"sinks\":"
      "[]}");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("streams[0].events_forwarded"), std::string::npos)
      << bad.error().message;
}

TEST(StatusJson, DeeplyNestedInputIsAnErrorNotACrash) {
  EXPECT_FALSE(statusFromJson(std::string(200000, '[')).ok());
  EXPECT_FALSE(statusFromJson("{\"streams\":" + std::string(200000, '[')).ok());
}

}  // namespace
}  // namespace o365fwd
