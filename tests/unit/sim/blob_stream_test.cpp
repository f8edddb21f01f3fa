#include "sim/blob_stream.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <set>

#include "core/time_format.h"
#include "sim/content_id.h"
#include "sim/data_set.h"

namespace o365fwd::sim {
namespace {

constexpr std::int64_t kAnchor = 1'736'856'000'000;  // 2025-01-14T12:00:00Z

StreamParams params(size_t content_type, ContentKnobs knobs = {}) {
  StreamParams p;
  p.tenant_id = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14";
  p.domain = "contoso.onmicrosoft.com";
  p.content_type = content_type;
  p.knobs = knobs;
  p.seed = 1;
  p.anchor_ms = kAnchor;
  return p;
}

rapidjson::Document parse(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  return doc;
}

TEST(BlobStreamTest, BodiesAreValidJsonArraysOfRecordsForEveryContentType) {
  for (size_t ct = 0; ct < kContentTypeCount; ++ct) {
    ContentKnobs k;
    k.blobs = 4;
    k.records_per_blob = 40;
    BlobStream s(params(ct, k));
    for (size_t b = 0; b < s.size(); ++b) {
      std::string body;
      s.renderBody(b, body);
      auto doc = parse(body);
      ASSERT_FALSE(doc.HasParseError())
          << kContentTypes[ct] << " blob " << b << ": " << body.substr(0, 300);
      ASSERT_TRUE(doc.IsArray());
      ASSERT_EQ(doc.Size(), 40u);
      for (const auto& r : doc.GetArray()) {
        ASSERT_TRUE(r.IsObject());
        EXPECT_TRUE(r.HasMember("Id") && r["Id"].IsString());
        EXPECT_TRUE(r.HasMember("Operation") && r["Operation"].IsString());
        EXPECT_STREQ(r["OrganizationId"].GetString(), "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14");
        std::string creation = r["CreationTime"].GetString();
        EXPECT_EQ(creation.size(), 19u) << "CreationTime has no zone: " << creation;
        EXPECT_TRUE(r.HasMember("RecordType"));
      }
    }
  }
}

TEST(BlobStreamTest, RenderingIsDeterministic) {
  ContentKnobs k;
  k.blobs = 3;
  k.duplicate_fraction = 0.3;
  BlobStream a(params(1, k)), b(params(1, k));
  for (size_t i = 0; i < a.size(); ++i) {
    std::string x, y;
    a.renderBody(i, x);
    b.renderBody(i, y);
    EXPECT_EQ(x, y);
    EXPECT_EQ(a.contentId(i), b.contentId(i));
  }
  StreamParams other = params(1, k);
  other.seed = 2;
  BlobStream c(other);
  std::string x, z;
  a.renderBody(0, x);
  c.renderBody(0, z);
  EXPECT_NE(x, z) << "another seed must give other data";
}

TEST(BlobStreamTest, IdsAreUniqueWithoutDuplicateKnob) {
  ContentKnobs k;
  k.blobs = 200;
  k.records_per_blob = 50;
  for (size_t ct : {size_t{0}, size_t{4}}) {
    BlobStream s(params(ct, k));
    std::set<std::pair<std::string, std::string>> keys;
    std::map<std::string, int> ids;
    size_t n = 0;
    s.forEachUniqueRecord([&](const BlobStream::Identity& id, BlobFate) {
      keys.emplace(id.id, std::string(id.operation));
      ++ids[id.id];
      ++n;
    });
    EXPECT_EQ(n, 10000u);
    EXPECT_EQ(keys.size(), n);
    if (ct == 0) {
      EXPECT_EQ(ids.size(), n) << "only DLP undo pairs share an Id";
    }
    if (ct == 4) {
      // DlpRuleMatch/DlpRuleUndo pairs: same Id, different Operation.
      size_t shared = 0;
      for (const auto& [id, count] : ids) shared += count == 2 ? 1 : 0;
      EXPECT_GT(shared, 100u);
      EXPECT_EQ(ids.size() + shared, n);
    }
  }
}

TEST(BlobStreamTest, DuplicatesRepeatEarlierRecordsWithAnotherKeyOrder) {
  ContentKnobs k;
  k.blobs = 30;
  k.records_per_blob = 20;
  k.duplicate_fraction = 0.2;
  BlobStream s(params(2, k));
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> seen;
  for (size_t b = 0; b < s.size(); ++b) {
    std::string body;
    s.renderBody(b, body);
    auto doc = parse(body);
    ASSERT_FALSE(doc.HasParseError());
    for (const auto& r : doc.GetArray()) {
      std::string first_key = r.MemberBegin()->name.GetString();
      seen[{r["Id"].GetString(), r["Operation"].GetString()}].push_back(first_key);
    }
  }
  size_t unique = 0;
  s.forEachUniqueRecord([&](const BlobStream::Identity&, BlobFate) { ++unique; });
  EXPECT_EQ(seen.size(), unique) << "the ledger has one entry per distinct (Id, Operation)";
  EXPECT_EQ(600u - s.duplicateSlots(), unique);
  EXPECT_GT(s.duplicateSlots(), 60u);
  size_t reordered = 0;
  for (const auto& [key, firsts] : seen)
    for (const auto& f : firsts) reordered += f != "CreationTime" ? 1 : 0;
  EXPECT_EQ(reordered, s.duplicateSlots()) << "every duplicate copy starts with another key";
}

TEST(BlobStreamTest, LayoutHonoursSpanFutureLateAndExpiry) {
  ContentKnobs k;
  k.blobs = 100;
  k.span = std::chrono::hours(10);
  k.future_span = std::chrono::hours(10);
  k.late_visible_fraction = 0.3;
  k.late_visible_delay = std::chrono::minutes(45);
  k.expired_fraction = 0.2;
  BlobStream s(params(3, k));
  ASSERT_EQ(s.size(), 100u);
  size_t future = 0, late = 0, expired = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const BlobMeta& m = s.blob(i);
    if (i > 0) {
      EXPECT_GT(m.created_ms, s.blob(i - 1).created_ms);
    }
    EXPECT_GE(m.created_ms, kAnchor - 10 * 3600 * 1000);
    EXPECT_LT(m.created_ms, kAnchor + 10 * 3600 * 1000);
    future += m.created_ms >= kAnchor ? 1 : 0;
    late += m.visible_ms == m.created_ms + 45 * 60 * 1000 ? 1 : 0;
    if (m.expired) {
      ++expired;
      EXPECT_LT(m.created_ms, kAnchor);
      EXPECT_EQ(s.fate(i), BlobFate::kExpired);
    } else {
      EXPECT_EQ(m.expires_ms, m.created_ms + 7 * 86400 * 1000LL);
    }
  }
  EXPECT_NEAR(static_cast<double>(future), 50, 3);
  EXPECT_GT(late, 10u);
  EXPECT_GT(expired, 3u);
}

TEST(BlobStreamTest, InvalidBlobsAreDeadLettersUnlessTheyRecover) {
  ContentKnobs k;
  k.blobs = 10;
  k.invalid_json_blobs = 2;
  BlobStream s(params(0, k));
  size_t invalid = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!s.blob(i).invalid) continue;
    ++invalid;
    EXPECT_EQ(s.fate(i), BlobFate::kDeadLetter);
    std::string broken;
    s.renderBrokenBody(i, broken);
    EXPECT_TRUE(parse(broken).HasParseError());
  }
  EXPECT_EQ(invalid, 2u);
  k.invalid_json_fetches = 3;
  BlobStream recovering(params(0, k));
  for (size_t i = 0; i < recovering.size(); ++i) EXPECT_EQ(recovering.fate(i), BlobFate::kDeliver);
}

TEST(BlobStreamTest, RecordSizeAndLargeBlob) {
  ContentKnobs k;
  k.blobs = 3;
  k.records_per_blob = 10;
  k.record_size = 4000;
  BlobStream padded(params(3, k));
  std::string body;
  padded.renderBody(0, body);
  EXPECT_NEAR(static_cast<double>(body.size()) / 10, 4000, 200);
  EXPECT_TRUE(parse(body).IsArray());

  ContentKnobs l;
  l.blobs = 5;
  l.span = std::chrono::hours(1);
  l.large_blob_mb = 3;
  BlobStream large(params(1, l));
  size_t found = 0;
  for (size_t i = 0; i < large.size(); ++i) {
    if (!large.blob(i).large) continue;
    ++found;
    std::string big;
    large.renderBody(i, big);
    EXPECT_NEAR(static_cast<double>(big.size()), 3.0 * 1024 * 1024, 0.6 * 1024 * 1024);
    EXPECT_TRUE(parse(big).IsArray());
  }
  EXPECT_EQ(found, 1u);
}

TEST(BlobStreamTest, BackfilledRecordsAreDaysOlderThanTheirBlob) {
  ContentKnobs k;
  k.blobs = 2;
  k.records_per_blob = 200;
  k.backfill_fraction = 0.5;
  BlobStream s(params(2, k));
  std::string body;
  s.renderBody(1, body);
  auto doc = parse(body);
  size_t old = 0;
  for (const auto& r : doc.GetArray()) {
    std::string t = r["CreationTime"].GetString();
    auto created = WallTime(std::chrono::milliseconds(s.blob(1).created_ms));
    auto rec = parseUtc(t);
    ASSERT_TRUE(rec.has_value());
    EXPECT_LE(*rec, created);
    old += created - *rec > std::chrono::hours(47) ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(old), 100, 25);
}

TEST(ContentIdTest, FormatsAndParsesTheRealShape) {
  ContentIdParts p{1, kAnchor + 345, 678901, "emea0012"};
  std::string id = formatContentId(p);
  EXPECT_EQ(
      id, "20250114120000345678901$20250114120000345678901$audit_exchange$Audit_Exchange$emea0012");
  auto back = parseContentId(id);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->content_type, 1u);
  EXPECT_EQ(back->created_ms, kAnchor + 345);
  EXPECT_EQ(back->extra, 678901u);
  EXPECT_FALSE(parseContentId("nonsense").has_value());
  EXPECT_FALSE(
      parseContentId(
          "20250114120000345678901$20250114120000345678902$audit_exchange$Audit_Exchange$emea0012")
          .has_value());
  EXPECT_FALSE(parseContentId("20250114120000345678901$20250114120000345678901$audit_exchange$"
                              "Audit_SharePoint$emea0012")
                   .has_value());
}

TEST(BlobStreamTest, FindsBlobsByContentId) {
  ContentKnobs k;
  k.blobs = 50;
  BlobStream s(params(2, k));
  for (size_t i = 0; i < s.size(); i += 7) {
    auto parts = parseContentId(s.contentId(i));
    ASSERT_TRUE(parts.has_value());
    EXPECT_EQ(s.find(*parts), i);
    parts->extra = (parts->extra + 1) % 1000000;
    EXPECT_FALSE(s.find(*parts).has_value());
  }
}

TEST(DataSetTest, LedgerListsEveryUniqueRecordOfEveryStream) {
  TenantConfig t;
  t.tenant_id = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14";
  t.domain = "contoso.onmicrosoft.com";
  for (auto& k : t.content) {
    k.blobs = 3;
    k.records_per_blob = 4;
  }
  t.has_content = {true, false, true, false, false};
  DataSet data({t}, 1, kAnchor);
  EXPECT_EQ(data.stream(0, 1), nullptr);
  std::string ledger;
  data.writeLedger([&](std::string_view chunk) {
    ledger.append(chunk);
    return true;
  });
  size_t lines = 0, aad = 0;
  size_t pos = 0;
  while ((pos = ledger.find('\n', pos)) != std::string::npos) {
    ++lines;
    ++pos;
  }
  for (size_t p = 0; (p = ledger.find("Audit.AzureActiveDirectory", p)) != std::string::npos; ++p)
    ++aad;
  EXPECT_EQ(lines, 24u);
  EXPECT_EQ(aad, 12u);
  EXPECT_NE(ledger.find("\"fate\":\"deliver\""), std::string::npos);
}

TEST(BlobStreamTest, ChosenLateBlobsAreListableOnlyAfterTheirDelayInTheirOwnWindow) {
  ContentKnobs k;
  k.blobs = 20;
  k.span = std::chrono::hours(24 * 6);
  k.late_blobs = {{2, 1, std::chrono::hours(2)}, {10, 2, std::chrono::hours(20)},
                  {19, 5, std::chrono::hours(24 * 5)}};  // 19..23: only 19 exists
  ContentKnobs on_time = k;
  on_time.late_blobs.clear();
  BlobStream plain(params(1, on_time));
  BlobStream s(params(1, k));
  ASSERT_EQ(s.size(), 20u);
  std::map<size_t, std::int64_t> want = {
      {2, 2 * 3600'000LL}, {10, 20 * 3600'000LL}, {11, 20 * 3600'000LL}, {19, 5 * 86400'000LL}};
  for (size_t i = 0; i < s.size(); ++i) {
    EXPECT_EQ(s.blob(i).created_ms, plain.blob(i).created_ms) << "same window as without delay";
    EXPECT_EQ(s.contentId(i), plain.contentId(i));
    auto it = want.find(i);
    EXPECT_EQ(s.blob(i).visible_ms - s.blob(i).created_ms, it == want.end() ? 0 : it->second)
        << "blob " << i;
  }
}

}  // namespace
}  // namespace o365fwd::sim
