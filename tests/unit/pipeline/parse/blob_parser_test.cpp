#include "pipeline/parse/blob_parser.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/time_format.h"
#include "tests/support/test_paths.h"

namespace o365fwd {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    if (nl > pos) lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

std::vector<fs::path> filesIn(const fs::path& dir, const std::string& ext) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ext) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Wraps records into a blob: compact, pretty-printed, or with CR LF and tabs between records.
std::string wrap(const std::vector<std::string>& records, int style) {
  static const char* kOpen[] = {"[", "[\n  ", "\xEF\xBB\xBF [\r\n\t"};
  static const char* kSep[] = {",", ",\n  ", " ,\r\n\t"};
  static const char* kClose[] = {"]", "\n]\n", "\r\n]\r\n"};
  std::string out = kOpen[style];
  for (std::size_t i = 0; i < records.size(); ++i) out += (i ? kSep[style] : "") + records[i];
  return out + kClose[style];
}

// The expected value of a top-level field, as the parser defines it: first occurrence, a string
// or a number (as text); anything else absent. The Id must be a string: the caller passes a DOM
// parsed without kParseNumbersAsStringsFlag for it.
std::string expectedField(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

// Checks every extracted field of `batch` against a DOM parse (numbers kept as strings) of the raw.
void expectFieldsMatchDom(const RecordBatch& batch, const std::string& where) {
  for (std::size_t i = 0; i < batch.size(); ++i) {
    rapidjson::Document doc;
    std::string raw(batch.raw(i));
    doc.Parse<rapidjson::kParseNumbersAsStringsFlag>(raw.c_str());
    ASSERT_FALSE(doc.HasParseError()) << where << " record " << i;
    ASSERT_TRUE(doc.IsObject());
    rapidjson::Document plain;  // numbers stay numbers: an Id must be a string
    plain.Parse(raw.c_str());
    EXPECT_EQ(batch.id(i), expectedField(plain, "Id")) << where << " record " << i;
    // The public samples are well-formed UTF-8.
    EXPECT_FALSE(batch.records[i].invalid_utf8) << where << " record " << i;
    EXPECT_EQ(batch.operation(i), expectedField(doc, "Operation")) << where << " record " << i;
    EXPECT_EQ(batch.workload(i), expectedField(doc, "Workload")) << where << " record " << i;
    EXPECT_EQ(batch.recordType(i), expectedField(doc, "RecordType")) << where << " record " << i;
    EXPECT_EQ(batch.userType(i), expectedField(doc, "UserType")) << where << " record " << i;
    EXPECT_EQ(batch.userId(i), expectedField(plain, "UserId")) << where << " record " << i;
    std::string created = expectedField(doc, "CreationTime");
    EXPECT_EQ(batch.records[i].creation_time, created.empty() ? std::nullopt : parseUtc(created))
        << where << " record " << i;
  }
}

template <std::size_t N>
std::string withNul(const char (&text)[N]) {
  return std::string(text, N - 1);
}

RecordBatch parseOk(std::string body) {
  auto r = parseBlob(std::move(body), ContentRef{});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : RecordBatch{};
}

Error parseFails(std::string body) {
  RecordBatch batch;
  batch.body = body;
  Status s = parseBlobInto(batch);
  EXPECT_FALSE(s.ok()) << "parsed: " << body.substr(0, 80);
  if (s.ok()) return Error{};
  EXPECT_EQ(batch.body, body) << "the body must be unchanged after an error";
  EXPECT_TRUE(batch.records.empty());
  EXPECT_EQ(s.error().kind, ErrorKind::kCorrupt);
  EXPECT_NE(s.error().message.find("at byte "), std::string::npos) << s.error().message;
  return s.error();
}

class SamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = o365fwd::testing::samplesDir();
    if (dir_.empty()) GTEST_SKIP() << "public O365 samples not found (set O365FWD_SAMPLES_DIR)";
  }
  fs::path dir_;
};

TEST_F(SamplesTest, BeatsFilesParseByteExactInEveryWhitespaceStyle) {
  auto files = filesIn(dir_ / "beats", ".log");
  ASSERT_FALSE(files.empty());
  for (const fs::path& file : files) {
    std::vector<std::string> lines = splitLines(readFile(file));
    for (int style = 0; style < 3; ++style) {
      std::string where = file.filename().string() + " style " + std::to_string(style);
      RecordBatch batch = parseOk(wrap(lines, style));
      ASSERT_EQ(batch.size(), lines.size()) << where;
      for (std::size_t i = 0; i < lines.size(); ++i)
        EXPECT_EQ(batch.raw(i), lines[i]) << where << " line " << i;
      expectFieldsMatchDom(batch, where);
    }
  }
}

TEST_F(SamplesTest, KnownFieldValuesOfSamples) {
  RecordBatch batch =
      parseOk(wrap(splitLines(readFile(dir_ / "beats" / "13-dlp-exchange.log")), 0));
  ASSERT_GT(batch.size(), 0u);
  EXPECT_EQ(batch.recordType(0), "13");
  EXPECT_EQ(batch.workload(0), "Exchange");
  std::vector<std::string> ops;
  for (std::size_t i = 0; i < batch.size(); ++i) ops.emplace_back(batch.operation(i));
  EXPECT_NE(std::find(ops.begin(), ops.end(), "DlpRuleMatch"), ops.end());
  EXPECT_NE(std::find(ops.begin(), ops.end(), "DlpRuleUndo"), ops.end());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(batch.id(i).size(), 36u) << i;  // GUIDs
    EXPECT_TRUE(batch.records[i].creation_time.has_value()) << i;
  }
}

TEST_F(SamplesTest, LargestRecordAndEscapedSlashesSurvive) {
  std::vector<std::string> lines = splitLines(readFile(dir_ / "beats" / "08-azuread-users.log"));
  RecordBatch batch = parseOk(wrap(lines, 1));
  ASSERT_EQ(batch.size(), lines.size());
  std::size_t largest = 0;
  bool escaped_slash = false;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    largest = std::max(largest, batch.raw(i).size());
    escaped_slash |= batch.raw(i).find("\\/") != std::string_view::npos;
  }
  EXPECT_EQ(largest + 1, 22824u);  // the 22,824-byte line, newline included
  EXPECT_TRUE(escaped_slash);
}

// integrations/*.json hold records as strings in event.original.
TEST_F(SamplesTest, IntegrationOriginalsParse) {
  auto files = filesIn(dir_ / "integrations", ".json");
  ASSERT_FALSE(files.empty());
  int checked = 0;
  for (const fs::path& file : files) {
    std::string text = readFile(file);
    rapidjson::Document env;
    env.Parse(text.c_str());
    ASSERT_FALSE(env.HasParseError()) << file;
    std::vector<std::string> good;
    std::vector<std::string> bad;
    for (const auto& ev : env["events"].GetArray()) {
      if (!ev.HasMember("event") || !ev["event"].HasMember("original")) continue;
      std::string original = ev["event"]["original"].GetString();
      rapidjson::Document rec;
      rec.Parse(original.c_str());
      (rec.HasParseError() ? bad : good).push_back(original);
    }
    std::string where = file.filename().string();
    if (!good.empty()) {
      RecordBatch batch = parseOk(wrap(good, 1));
      ASSERT_EQ(batch.size(), good.size()) << where;
      for (std::size_t i = 0; i < good.size(); ++i) EXPECT_EQ(batch.raw(i), good[i]) << where;
      expectFieldsMatchDom(batch, where);
      if (where == "test-numbery-json-events.json") {
        for (std::size_t i = 0; i < batch.size(); ++i) EXPECT_EQ(batch.recordType(i), "20");
      }
      if (where == "test-platform-attribute-events.json") {
        for (std::size_t i = 0; i < batch.size(); ++i) EXPECT_TRUE(batch.id(i).empty());
      }
      if (where == "test-ai-interaction-events.json") {
        EXPECT_EQ(batch.recordType(0), "25");
        EXPECT_EQ(batch.id(0), "a1b2c3d4-e5f6-7890-abcd-ef1234567890");  // not Message.Id
      }
      checked += static_cast<int>(batch.size());
    }
    for (const std::string& b : bad) parseFails("[" + b + "]");
    if (where == "test-data-duplicated-querytime-events.json") {
      EXPECT_EQ(bad.size(), 1u);
    }
  }
  EXPECT_GT(checked, 20);
}

// The one real content-blob body: pretty-printed with CR LF inside the records.
TEST_F(SamplesTest, MultiLineRecordsBecomeSingleLines) {
  auto files = filesIn(dir_ / "microsoft-docs", ".json");
  ASSERT_EQ(files.size(), 1u);
  std::string original = readFile(files[0]);
  RecordBatch batch = parseOk(original);
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch.operation(2), "Add User.");
  EXPECT_EQ(batch.recordType(0), "9");
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::string_view raw = batch.raw(i);
    EXPECT_EQ(raw.find_first_of("\r\n"), std::string_view::npos);
    std::string expected = original.substr(batch.records[i].raw.offset, raw.size());
    ASSERT_NE(expected.find('\n'), std::string::npos);
    std::replace(expected.begin(), expected.end(), '\n', ' ');
    std::replace(expected.begin(), expected.end(), '\r', ' ');
    EXPECT_EQ(raw, expected);
  }
  // Bytes between records are left alone.
  EXPECT_EQ(batch.body.substr(0, 1), "[");
  EXPECT_EQ(batch.body.size(), original.size());
  expectFieldsMatchDom(batch, "docs excerpt");
}

TEST(BlobParser, EscapesNumberTextAndKeyOrderSurvive) {
  std::string rec =
      R"({"Z":1,"Id":"a\/b\u00e9","SizeInBytes":1156492.00,"A":-0.0e+0,"RecordType":15})";
  RecordBatch batch = parseOk("[" + rec + "]");
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.raw(0), rec);
  EXPECT_EQ(batch.id(0), "a/b\xC3\xA9");  // decoded
  EXPECT_EQ(batch.recordType(0), "15");
}

TEST(BlobParser, NewlinesInsideRecordsBecomeSpacesOnly) {
  RecordBatch batch = parseOk("[\n{\n\"Id\":\"1\",\r\n\"Op\":\"a\\nb\"\n}\n,\n{}\r\n]\n");
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch.raw(0), "{ \"Id\":\"1\",  \"Op\":\"a\\nb\" }");  // the escape \n is untouched
  EXPECT_EQ(batch.raw(1), "{}");
  EXPECT_EQ(batch.body, "[\n{ \"Id\":\"1\",  \"Op\":\"a\\nb\" }\n,\n{}\r\n]\n");
  EXPECT_TRUE(batch.lines_flat);  // the file sink relies on it and skips its own search
  batch.body = "[{} x]";
  EXPECT_FALSE(parseBlobInto(batch).ok());
  EXPECT_FALSE(batch.lines_flat);
}

TEST(BlobParser, EmptyArrays) {
  EXPECT_EQ(parseOk("[]").size(), 0u);
  EXPECT_EQ(parseOk(" \r\n[ \n ]\n").size(), 0u);
}

TEST(BlobParser, RecordWithoutIdIsKept) {
  RecordBatch batch = parseOk(R"([{"Platform":1},{"Id":null},{"Id":""},{"Id":"x"}])");
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_TRUE(batch.id(0).empty());
  EXPECT_TRUE(batch.id(1).empty());
  EXPECT_TRUE(batch.id(2).empty());
  EXPECT_EQ(batch.id(3), "x");
}

TEST(BlobParser, FieldRules) {
  RecordBatch batch = parseOk(R"([
    {"Nested":{"Id":"inner","Operation":"no"},"Id":"outer","Id":"second","Operation":"Op"},
    {"Id":123456789012,"RecordType":"20","UserType":"0","Version":1,"CreationTime":"2015-06-29T20:03:19"},
    {"Id":true,"Operation":{"x":1},"Workload":["a"],"CreationTime":"yesterday"},
    {"CreationTime":"2024-01-30T14:23:40.1234567Z","Parameters":"str","ModifiedProperties":["a"]},
    {"CreationTime":20240130,"ExtendedProperties":[{"Name":"a","Value":"b"}],"ExceptionInfo":"{}"}
  ])");
  ASSERT_EQ(batch.size(), 5u);
  EXPECT_EQ(batch.id(0), "outer");
  EXPECT_EQ(batch.operation(0), "Op");
  EXPECT_TRUE(batch.id(1).empty());  // an Id must be a string
  EXPECT_EQ(batch.recordType(1), "20");
  EXPECT_EQ(batch.records[1].creation_time, WallTime(std::chrono::seconds(1435608199)));
  EXPECT_TRUE(batch.id(2).empty());
  EXPECT_TRUE(batch.operation(2).empty());
  EXPECT_TRUE(batch.workload(2).empty());
  EXPECT_FALSE(batch.records[2].creation_time.has_value());
  ASSERT_TRUE(batch.records[3].creation_time.has_value());
  EXPECT_EQ(*batch.records[3].creation_time,
            WallTime(std::chrono::seconds(1706624620)) + std::chrono::microseconds(123456));
  EXPECT_FALSE(batch.records[4].creation_time.has_value());
}

TEST(BlobParser, DepthLimit) {
  auto nested = [](int levels) {
    return R"([{"a":)" + std::string(levels, '[') + std::string(levels, ']') + "}]";
  };
  EXPECT_EQ(parseOk(nested(kMaxJsonDepth - 2)).size(), 1u);  // array + record + levels = limit
  Error e = parseFails(nested(kMaxJsonDepth - 1));
  EXPECT_EQ(e.code, kParseCodeTooDeep);
  // Named at the bracket that opened level 257: after `[{"a":` and 254 brackets.
  EXPECT_NE(e.message.find("at byte 260 "), std::string::npos) << e.message;
  EXPECT_EQ(parseFails(nested(100000)).code, kParseCodeTooDeep);
}

TEST(BlobParser, InvalidInputIsCorruptAndRetryableWithOffset) {
  const std::string valid = R"([{"Id":"1","Operation":"a"},{"Id":"2","x":[1,2,{"y":null}]}])";
  for (std::size_t cut = 0; cut < valid.size(); ++cut) {
    Error e = parseFails(valid.substr(0, cut));
    EXPECT_TRUE(e.retryable);
    EXPECT_EQ(e.code, kParseCodeInvalidJson) << cut;
  }
  Error garbage = parseFails(R"([{"Id":"1"} x])");
  EXPECT_NE(garbage.message.find("at byte 12 "), std::string::npos) << garbage.message;
  EXPECT_EQ(parseFails(valid + "x").code, kParseCodeInvalidJson);
  EXPECT_EQ(parseFails(valid + valid).code, kParseCodeInvalidJson);
  EXPECT_EQ(parseFails(R"({"Id":"1"})").code, kParseCodeWrongShape);
  EXPECT_EQ(parseFails(R"("text")").code, kParseCodeWrongShape);
  EXPECT_EQ(parseFails("42").code, kParseCodeWrongShape);
  Error scalar = parseFails(R"([{"Id":"1"}, 5])");
  EXPECT_EQ(scalar.code, kParseCodeWrongShape);
  EXPECT_NE(scalar.message.find("element 2 "), std::string::npos) << scalar.message;
  EXPECT_EQ(parseFails(R"([[{"Id":"1"}]])").code, kParseCodeWrongShape);
  EXPECT_EQ(parseFails(R"([{"Id":"1"},null])").code, kParseCodeWrongShape);
  EXPECT_EQ(parseFails("").code, kParseCodeInvalidJson);
  EXPECT_EQ(parseFails(withNul("[{\"Id\":\"1\"}]\0[]")).code, kParseCodeInvalidJson);
  EXPECT_EQ(parseFails(withNul("[{\"Id\":\"1\0\"}]")).code, kParseCodeInvalidJson);
  EXPECT_EQ(parseFails("[{\"Id\":\"a\nb\"}]").code,
            kParseCodeInvalidJson);  // raw newline in a string
}

// The parse runs in place (RapidJSON in-situ): every string's closing quote and every escaped
// string's bytes must be back as they came, after a success and after a failure at any byte.
TEST(BlobParser, InPlaceParseLeavesEveryByteAsItCame) {
  const std::string valid =
      R"([{"Id":"a\/b\u00e9\"q\"","Op\u0065ration":"x\\y","Nested":{"k\/":["\t",1.50,"\\"]},)"
      R"("Workload":"","RecordType":"1\/5","ObjectId":"https:\/\/contoso\/\u00e9\ud83d\ude00"},)"
      R"({"Id":"plain","Operation":"Op","e":"","s":"\\\\\"\"\\"}])";
  RecordBatch batch = parseOk(valid);
  EXPECT_EQ(batch.body, valid);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch.id(0), "a/b\xC3\xA9\"q\"");
  EXPECT_EQ(batch.operation(0), "x\\y");  // "Op\u0065ration" is the key Operation
  EXPECT_EQ(batch.recordType(0), "1/5");
  EXPECT_EQ(batch.id(1), "plain");
  EXPECT_EQ(batch.raw(1), R"({"Id":"plain","Operation":"Op","e":"","s":"\\\\\"\"\\"})");
  for (std::size_t cut = 0; cut < valid.size(); ++cut) {
    Error e = parseFails(valid.substr(0, cut));  // checks that the body is unchanged
    EXPECT_EQ(e.code, kParseCodeInvalidJson) << cut;
  }
  // An invalid escape after valid ones, a stray backslash between values, an unterminated string.
  parseFails(R"([{"Id":"a\/b","x":"c\/d\qe"}])");
  parseFails(R"([{"Id":"a\/b"} \ {"x":"\/"}])");
  parseFails(R"([{"Id":"a\/b","x":"c\/d)");
  parseFails(R"([{"Id":"a\/b","x":"c\)");
  EXPECT_EQ(parseFails(R"([{"Id":"a\/b"},"x\/"])").code, kParseCodeWrongShape);
}

TEST(BlobParser, RawControlBytesInStringsAreInvalidWherever) {
  // RapidJSON's SSE2 string scan (RAPIDJSON_SSE2, not used) lets 0x1A..0x1F through in aligned
  // 16-byte blocks; the scalar scan refuses every one. Positions cover both alignments.
  for (int c = 1; c < 0x20; ++c) {
    for (std::size_t at : {1u, 17u, 40u, 63u}) {
      std::string text(80, 'a');
      text[at] = static_cast<char>(c);
      Error e = parseFails(R"([{"Id":"1","x":")" + text + R"("}])");
      EXPECT_EQ(e.code, kParseCodeInvalidJson) << c << " at " << at;
    }
  }
}

TEST(BlobParser, ErrorContextIsShort) {
  std::string secret(200, 'S');
  Error e = parseFails(R"([{"Id":"1","Detected":")" + secret + R"(" oops}])");
  EXPECT_EQ(e.message.find(std::string(21, 'S')), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("<HERE>"), std::string::npos);
}

TEST(BlobParser, ContentIsNamedInErrors) {
  ContentRef content;
  content.stream = StreamKey{"contoso", "Audit.Exchange"};
  content.content_id = "20250114abc";
  auto r = parseBlob("[1]", content);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("20250114abc of contoso/Audit.Exchange"), std::string::npos)
      << r.error().message;
}

TEST(BlobParser, IdMustBeANonEmptyString) {
  RecordBatch batch = parseOk(
      R"([{"Id":"a"},{"Id":7},{"Id":""},{"Id":null},{"Id":{"x":"y"}},{"Id":["z"]},{"Id":false},)"
      R"({"Op":"no id"},{"Nested":{"Id":"inner"}}])");
  ASSERT_EQ(batch.size(), 9u);
  EXPECT_EQ(batch.id(0), "a");
  for (std::size_t i = 1; i < batch.size(); ++i) EXPECT_TRUE(batch.id(i).empty()) << i;
}

TEST(BlobParser, InvalidUtf8IsMarkedAndKeptByteForByte) {
  // One bad record among good ones: a lone continuation byte, an overlong '/', a surrogate, a
  // truncated sequence at the end of a string, and bytes above U+10FFFF.
  const std::vector<std::string> bad = {
      "{\"Id\":\"1\",\"UserId\":\"a\x80z\"}",
      "{\"Id\":\"2\",\"ObjectId\":\"\xC0\xAF\"}",
      "{\"Id\":\"3\",\"Subject\":\"\xED\xA0\x80\"}",
      "{\"Id\":\"4\",\"Subject\":\"ab\xE2\x82\"}",
      "{\"Id\":\"5\",\"Subject\":\"\xF4\x90\x80\x80\"}",
      "{\"Id\":\"6\xFF\"}",
  };
  const std::string good =
      "{\"Id\":\"g\",\"Subject\":\"caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x82\xAC\"}";
  for (const std::string& b : bad) {
    std::string body = "[" + good + ",\n" + b + ",\n" + good + "]";
    RecordBatch batch = parseOk(body);
    ASSERT_EQ(batch.size(), 3u) << b;
    EXPECT_FALSE(batch.records[0].invalid_utf8);
    EXPECT_TRUE(batch.records[1].invalid_utf8) << b;
    EXPECT_FALSE(batch.records[2].invalid_utf8);
    EXPECT_EQ(batch.raw(1), b);  // forwarded as it came
    EXPECT_EQ(batch.invalidUtf8Count(), 1u);
  }
  // The Id with a bad byte is still an Id (kept byte for byte in the arena).
  RecordBatch last = parseOk("[" + bad.back() + "]");
  EXPECT_EQ(last.id(0), "6\xFF");
}

// A public sample wrapped as a content blob, with one record made ill-formed: only that record is
// marked.
TEST_F(SamplesTest, OneBadByteMarksOnlyItsRecord) {
  std::vector<std::string> lines = splitLines(readFile(dir_ / "beats" / "08-azuread-users.log"));
  ASSERT_GT(lines.size(), 3u);
  std::size_t victim = lines.size() / 2;
  std::size_t quote = lines[victim].rfind('"');
  ASSERT_NE(quote, std::string::npos);
  lines[victim].insert(quote, "\xC3");  // a lead byte followed by '"': truncated sequence
  RecordBatch batch = parseOk(wrap(lines, 1));
  ASSERT_EQ(batch.size(), lines.size());
  EXPECT_EQ(batch.invalidUtf8Count(), 1u);
  EXPECT_TRUE(batch.records[victim].invalid_utf8);
  EXPECT_EQ(batch.raw(victim), lines[victim]);
}

}  // namespace
}  // namespace o365fwd
