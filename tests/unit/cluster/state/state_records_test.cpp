#include "cluster/state/state_records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace o365fwd {
namespace {

using ::testing::HasSubstr;

TEST(StateRecords, KeysRoundTripAndEscapeSlashesAndPercents) {
  const std::vector<StateRecordKey> keys{
      {StateRecordKind::kCheckpoint, {"contoso", "Audit.Exchange"}, "", 0},
      {StateRecordKind::kBlob, {"a/b%2F", "Audit.General"}, "id/with%/slash", 0},
      {StateRecordKind::kBlob, {"contoso", "DLP.All"}, "x", 17},
      {StateRecordKind::kFailure, {"contoso", "Audit.SharePoint"}, "", 0},
      {StateRecordKind::kLost, {"t", "Audit.AzureActiveDirectory"}, "20250114/abc$def", 0},
      {StateRecordKind::kPrune, {}, "", 0, 0},
      {StateRecordKind::kPrune, {}, "", 0, 9999},
  };
  for (const StateRecordKey& k : keys) {
    const std::string text = encodeStateKey(k);
    auto back = decodeStateKey(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.error().message;
    EXPECT_EQ(*back, k) << text;
  }
  EXPECT_EQ(encodeStateKey(keys[0]), "c/contoso/Audit.Exchange");
  EXPECT_EQ(encodeStateKey(keys[1]), "b/a%2Fb%252F/Audit.General/id%2Fwith%25%2Fslash");
  EXPECT_EQ(encodeStateKey(keys[2]), "b/contoso/DLP.All/x/17");
  EXPECT_EQ(encodeStateKey(keys[6]), "p/9999");
}

TEST(StateRecords, ForeignOrMalformedKeysAreRefusedSayingWhy) {
  for (const char* key : {"",
                          "hello",
                          "c",
                          "c/",
                          "c/t",
                          "x/t/Audit.Exchange",
                          "cc/t/Audit.Exchange",
                          "c/t/Audit.Exchange/extra",
                          "b/t/Audit.Exchange",
                          "b/t/A/id/0",
                          "b/t/A/id/01",
                          "b/t/A/id/1x",
                          "b/t/A/id/1/2",
                          "f/t/A/id/1",
                          "c//Audit.Exchange",
                          "c/t/",
                          "b/t%2/A/id",
                          "b/t%zz/A/id",
                          "b/t/A/id/99999999999",
                          "p/",
                          "p/01",
                          "p/x",
                          "p/-1",
                          "p/1/2",
                          "p/9999999999"}) {
    auto k = decodeStateKey(key);
    EXPECT_FALSE(k.ok()) << "accepted \"" << key << "\"";
    if (!k.ok()) {
      EXPECT_EQ(k.error().kind, ErrorKind::kCorrupt);
      EXPECT_THAT(k.error().message, HasSubstr("record key"));
    }
  }
}

TEST(StateRecords, ValuesRoundTrip) {
  CheckpointValue cp;
  cp.watermark_ns = -5;
  cp.sweep_floor_ns = 1'736'856'000'123'456'789;
  cp.blobs_done = 3;
  cp.events_forwarded = ~0ull;
  cp.blobs_lost = 1;
  cp.records_filtered = 12;
  EXPECT_EQ(*decodeCheckpoint(encodeCheckpoint(cp)), cp);
  EXPECT_EQ(*decodeCheckpoint(encodeCheckpoint({})), CheckpointValue{});
  EXPECT_EQ(encodeCheckpoint(cp).size(), 82u);
  // Without records_filtered (0, and checkpoints written before it) the value is 8 bytes shorter.
  cp.records_filtered = 0;
  EXPECT_EQ(encodeCheckpoint(cp).size(), 74u);
  EXPECT_EQ(*decodeCheckpoint(encodeCheckpoint(cp)), cp);

  BlobValue blob{1, 2, 3, {{~0ull, 0xffffffffu}, {0, 0}, {42, 7}}};
  EXPECT_EQ(encodeBlob(blob).size(), 29u + 3 * 12);
  EXPECT_EQ(*decodeBlob(encodeBlob(blob)), blob);
  EXPECT_EQ(*decodeBlob(encodeBlob({})), BlobValue{});

  PruneValue prune{1'736'856'000'000'000'000, 1'736'000'000};
  EXPECT_EQ(*decodePrune(encodePrune(prune)), prune);
  EXPECT_FALSE(decodePrune(encodePrune(prune).substr(0, 16)).ok());

  BlobNoteValue note{4, 99, "invalid JSON"};
  EXPECT_EQ(*decodeBlobNote(encodeBlobNote(note)), note);
  BlobNoteValue long_reason{1, 1, std::string(3000, 'x')};
  auto cut = decodeBlobNote(encodeBlobNote(long_reason));
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->reason.size(), kMaxStateReasonBytes);
}

TEST(StateRecords, TruncatedOrPaddedValuesAreCorruptAtEveryLength) {
  const std::string cp = encodeCheckpoint({});
  const std::string blob = encodeBlob({1, 2, 3, {{1, 2}, {3, 4}}});
  const std::string note = encodeBlobNote({1, 2, "reason"});
  for (std::size_t n = 0; n < cp.size(); ++n)
    EXPECT_FALSE(decodeCheckpoint(cp.substr(0, n)).ok()) << n;
  for (std::size_t n = 0; n < blob.size(); ++n)
    EXPECT_FALSE(decodeBlob(blob.substr(0, n)).ok()) << n;
  for (std::size_t n = 0; n < note.size(); ++n)
    EXPECT_FALSE(decodeBlobNote(note.substr(0, n)).ok()) << n;
  EXPECT_THAT(decodeCheckpoint(cp + "x").error().message, HasSubstr("trailing"));
  EXPECT_FALSE(decodeBlob(blob + "x").ok());
  EXPECT_FALSE(decodeBlobNote(note + "x").ok());
  std::string huge_count = blob;
  huge_count[25] = '\xff';  // announces 2^32-ish digests it does not hold
  huge_count[26] = '\xff';
  huge_count[27] = '\xff';
  huge_count[28] = '\xff';
  EXPECT_THAT(decodeBlob(huge_count).error().message, HasSubstr("announces"));
  std::string stray = cp;  // no watermark flag, but watermark bytes: a second encoding of {}
  stray[2] = '\x01';
  EXPECT_THAT(decodeCheckpoint(stray).error().message, HasSubstr("flags say is absent"));
  std::string bad_flags = cp;
  bad_flags[1] = '\x40';
  EXPECT_FALSE(decodeCheckpoint(bad_flags).ok());
  std::string zero_filtered = cp + std::string(8, '\0');  // flagged, but 0 must be omitted
  zero_filtered[1] = '\x10';
  EXPECT_FALSE(decodeCheckpoint(zero_filtered).ok());
}

TEST(StateRecords, AVersionFromANewerO365fwdIsRecognisedAndVersionZeroIsNot) {
  for (std::string value : {encodeCheckpoint({}), encodeBlob({}), encodeBlobNote({})}) {
    std::string newer = value;
    newer[0] = static_cast<char>(kStateFormatVersion + 1);
    std::string zero = value;
    zero[0] = 0;
    auto a = decodeCheckpoint(newer);
    auto b = decodeBlob(newer);
    auto c = decodeBlobNote(newer);
    EXPECT_FALSE(a.ok());
    EXPECT_FALSE(b.ok());
    EXPECT_FALSE(c.ok());
    EXPECT_EQ(a.error().code, "newer-format");
    EXPECT_EQ(b.error().code, "newer-format");
    EXPECT_THAT(c.error().message, HasSubstr("upgrade every instance"));
    EXPECT_NE(decodeBlob(zero).error().code, "newer-format");
  }
}

TEST(StateRecords, ADigestIsTheHighWordAndTheLowHalfOfTheLowWord) {
  EXPECT_EQ(digestOf({0x1122334455667788ull, 0x99aabbccddeeff00ull}),
            (KeyDigest{0x1122334455667788ull, 0xddeeff00u}));
}

}  // namespace
}  // namespace o365fwd
