#include "sinks/syslog/rfc5424_formatter.h"

#include <gtest/gtest.h>

#include <string>

#include "core/time_format.h"
#include "pipeline/parse/blob_parser.h"
#include "sinks/syslog/syslog_message.h"

namespace o365fwd {
namespace {

RecordBatch parsed(const std::string& body, const std::string& tenant = "contoso",
                   const std::string& content_type = "Audit.Exchange") {
  RecordBatch batch;
  batch.content.stream = StreamKey{tenant, content_type};
  batch.content.content_id = "20250114094512345$abc$audit_exchange$Audit_Exchange$emea0001";
  batch.body = body;
  Status st = parseBlobInto(batch);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  return batch;
}

SyslogIdentity identity() {
  SyslogIdentity id;
  id.pri = 13 * 8 + 6;
  id.hostname = "fwd01.example.com";
  id.app_name = "o365fwd";
  id.procid = "4242";
  id.sd_id = "o365@32473";
  return id;
}

std::string format(const RecordBatch& batch, std::size_t i, const SyslogIdentity& id = identity()) {
  std::string out;
  appendRfc5424(id, batch, i, out);
  return out;
}

TEST(Rfc5424FormatterTest, FormatsHeaderStructuredDataAndRawJson) {
  const std::string rec =
      R"({"CreationTime":"2025-01-14T09:45:12","Id":"4a7c-1","Operation":"MailItemsAccessed",)"
      R"("RecordType":50,"Workload":"Exchange","ClientIP":"[2001:db8::1]:443"})";
  RecordBatch batch = parsed("[" + rec + "]");
  EXPECT_EQ(format(batch, 0),
            "<110>1 2025-01-14T09:45:12Z fwd01.example.com o365fwd 4242 Audit.Exchange "
            "[o365@32473 tenant=\"contoso\" contentType=\"Audit.Exchange\" recordType=\"50\" "
            "operation=\"MailItemsAccessed\" id=\"4a7c-1\" "
            "contentId=\"20250114094512345$abc$audit_exchange$Audit_Exchange$emea0001\"] " +
                rec);
}

TEST(Rfc5424FormatterTest, EscapesQuoteBackslashAndBracketInParamValues) {
  // JSON Id "a\"b]c\\d" decodes to a"b]c\d, which PARAM-VALUE must carry as a\"b\]c\\d.
  const std::string rec = R"({"Id":"a\"b]c\\d","Operation":"Set]\"x","RecordType":"1"})";
  RecordBatch batch = parsed("[" + rec + "]", "ten\"ant]");
  EXPECT_EQ(format(batch, 0),
            "<110>1 - fwd01.example.com o365fwd 4242 Audit.Exchange [o365@32473 "
            "tenant=\"ten\\\"ant\\]\" contentType=\"Audit.Exchange\" recordType=\"1\" "
            "operation=\"Set\\]\\\"x\" id=\"a\\\"b\\]c\\\\d\" "
            "contentId=\"20250114094512345$abc$audit_exchange$Audit_Exchange$emea0001\"] " +
                rec);
}

TEST(Rfc5424FormatterTest, KeepsUtf8ValuesAndMessageBytes) {
  const std::string rec =
      "{\"CreationTime\":\"2025-01-14T09:45:12.5\",\"Id\":\"x\",\"Operation\":\"L\xC3\xB6schen\","
      "\"UserId\":\"\xE5\xB1\xB1\xE7\x94\xB0@contoso.com\",\"Esc\":\"\\u00e9\\/\"}";
  RecordBatch batch = parsed("[" + rec + "]", "m\xC3\xBCller");
  std::string out = format(batch, 0);
  EXPECT_NE(out.find("tenant=\"m\xC3\xBCller\""), std::string::npos) << out;
  EXPECT_NE(out.find("operation=\"L\xC3\xB6schen\""), std::string::npos) << out;
  EXPECT_EQ(out.substr(0, 34), "<110>1 2025-01-14T09:45:12.500000Z");
  ASSERT_GE(out.size(), rec.size());
  EXPECT_EQ(out.substr(out.size() - rec.size()), rec);  // MSG byte for byte, no BOM
  EXPECT_EQ(out.find("\xEF\xBB\xBF"), std::string::npos);
}

TEST(Rfc5424FormatterTest, LeavesOutEmptyParamsAndUsesNilTimestamp) {
  RecordBatch batch = parsed(R"([{"Foo":1}])");
  batch.content.content_id.clear();
  EXPECT_EQ(format(batch, 0),
            "<110>1 - fwd01.example.com o365fwd 4242 Audit.Exchange [o365@32473 "
            "tenant=\"contoso\" contentType=\"Audit.Exchange\"] {\"Foo\":1}");
}

TEST(Rfc5424FormatterTest, HeaderFieldsArePrintableAsciiWithinTheirLimits) {
  EXPECT_EQ(headerField("my host\tname", kMaxHostname), "my_host_name");
  EXPECT_EQ(headerField("", kMaxAppName), "-");
  EXPECT_EQ(headerField("h\xC3\xA9", 10), "h__");
  EXPECT_EQ(headerField(std::string(300, 'a'), kMaxHostname).size(), 255u);
  EXPECT_EQ(sdName("bad name=\"x\"]@1"), "bad_name__x__@1");
  // MSGID is the content type cut to 32 bytes.
  RecordBatch batch = parsed(R"([{"Id":"1"}])", "t", "Audit.AzureActiveDirectory.Extra.Long.Name");
  std::string out = format(batch, 0);
  EXPECT_NE(out.find(" 4242 Audit.AzureActiveDirectory.Extra [o365@32473"), std::string::npos)
      << out;
}

TEST(Rfc5424FormatterTest, IdentityFromConfig) {
  SyslogSinkConfig config;
  config.facility = 20;
  config.severity = 5;
  config.hostname = "fwd 1";
  config.app_name = "o365fwd";
  config.sd_id = "o365@12345";
  SyslogIdentity id = makeSyslogIdentity(config, "77");
  EXPECT_EQ(id.pri, 165);
  EXPECT_EQ(id.hostname, "fwd_1");
  EXPECT_EQ(id.procid, "77");
  EXPECT_EQ(id.sd_id, "o365@12345");
  config.hostname.clear();
  EXPECT_NE(makeSyslogIdentity(config, "").hostname, "");
  EXPECT_EQ(makeSyslogIdentity(config, "").procid, "-");
}

TEST(Rfc5424FormatterTest, TimestampPrecision) {
  EXPECT_EQ(rfc5424Timestamp(*parseUtc("2025-01-14T09:45:12")), "2025-01-14T09:45:12Z");
  EXPECT_EQ(rfc5424Timestamp(*parseUtc("2025-01-14T09:45:12.000123")),
            "2025-01-14T09:45:12.000123Z");
}

}  // namespace
}  // namespace o365fwd
