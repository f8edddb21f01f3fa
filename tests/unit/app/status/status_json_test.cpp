#include "app/status/status_json.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

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
        "records_without_id", "records_invalid_utf8"})
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
  }
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
