#include "sinks/syslog/rfc3164_formatter.h"

#include <gtest/gtest.h>

#include <string>

#include "core/time_format.h"
#include "pipeline/parse/blob_parser.h"

namespace o365fwd {
namespace {

RecordBatch parsed(const std::string& body) {
  RecordBatch batch;
  batch.content.stream = StreamKey{"contoso", "Audit.SharePoint"};
  batch.content.content_id = "c1";
  batch.body = body;
  EXPECT_TRUE(parseBlobInto(batch).ok());
  return batch;
}

SyslogIdentity identity() {
  SyslogIdentity id;
  id.pri = 20 * 8 + 6;
  id.hostname = "fwd01";
  id.app_name = "o365fwd";
  return id;
}

TEST(Rfc3164FormatterTest, FormatsBsdHeaderWithSpacePaddedDay) {
  const std::string rec =
      "{\"CreationTime\":\"2025-02-03T00:00:01\",\"Id\":\"1\",\"UserId\":\"j\xC3\xBCrgen\"}";
  RecordBatch batch = parsed("[" + rec + "]");
  std::string out;
  appendRfc3164(identity(), batch, 0, WallTime{}, out);
  EXPECT_EQ(out, "<166>Feb  3 00:00:01 fwd01 o365fwd: " + rec);
}

TEST(Rfc3164FormatterTest, TwoDigitDayAndFallbackTime) {
  RecordBatch batch = parsed(R"([{"CreationTime":"2025-12-24T23:59:59.9","Id":"1"},{"Id":"2"}])");
  std::string out;
  appendRfc3164(identity(), batch, 0, WallTime{}, out);
  EXPECT_EQ(out, "<166>Dec 24 23:59:59 fwd01 o365fwd: " + std::string(batch.raw(0)));
  out.clear();
  appendRfc3164(identity(), batch, 1, *parseUtc("2025-07-04T12:00:00"), out);
  EXPECT_EQ(out, "<166>Jul  4 12:00:00 fwd01 o365fwd: {\"Id\":\"2\"}");
}

TEST(Rfc3164FormatterTest, TagIsCutAndCleaned) {
  SyslogIdentity id = identity();
  id.app_name = "app:name[1]-with-a-very-long-suffix-beyond-32";
  RecordBatch batch = parsed(R"([{"CreationTime":"2025-01-14T09:45:12","Id":"1"}])");
  std::string out;
  appendRfc3164(id, batch, 0, WallTime{}, out);
  EXPECT_EQ(out,
            "<166>Jan 14 09:45:12 fwd01 app_name_1_-with-a-very-long-suf: {\"CreationTime\":"
            "\"2025-01-14T09:45:12\",\"Id\":\"1\"}");
}

}  // namespace
}  // namespace o365fwd
