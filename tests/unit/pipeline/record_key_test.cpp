#include <gtest/gtest.h>

#include <string>
#include <unordered_set>

#include "pipeline/state/state_store.h"

namespace o365fwd {
namespace {

// RecordKey values are persisted in the state database: they must never change. The expected
// values below were computed independently (Python mmh3.hash_bytes, MurmurHash3_x64_128, seed 0,
// over le64-length-prefixed tenant, id, operation; hi/lo = first/second little-endian word).
struct Vector {
  const char* tenant;
  const char* id;
  const char* operation;
  std::uint64_t hi;
  std::uint64_t lo;
};

TEST(RecordKey, FixedVectors) {
  // Tenant lengths 0..15 cover every tail length of the 16-byte block loop.
  const Vector vectors[] = {
      {"", "i", "o", 0xa427ae38c6eb8b1cull, 0x9e3468133d7201eeull},
      {"t", "i", "o", 0xe716a59028c1f3afull, 0x220b87b8555fefcbull},
      {"tt", "i", "o", 0xbad700be102a9fc3ull, 0x3905c9aad91f6f18ull},
      {"ttt", "i", "o", 0xb98f14afa324203cull, 0x4f9a687760b781faull},
      {"tttt", "i", "o", 0xeeca28397da25bb4ull, 0x65b66ba29a9193ddull},
      {"ttttt", "i", "o", 0xbf59a46f4706ec13ull, 0x8a93b63f8533cd7aull},
      {"tttttt", "i", "o", 0xa1e5ef75755c2966ull, 0x9974f639f8944a6aull},
      {"ttttttt", "i", "o", 0x343d40b8ddd4fb42ull, 0x3fc93db51502f706ull},
      {"tttttttt", "i", "o", 0x547fa372b6ea0538ull, 0x9cca98efbc1b4785ull},
      {"ttttttttt", "i", "o", 0xcd1eaefb38e729afull, 0xbcf4581bd745e67cull},
      {"tttttttttt", "i", "o", 0x3beb239de0ebd82cull, 0xe89249dcc221d520ull},
      {"ttttttttttt", "i", "o", 0x20af918e75f3ebcfull, 0xb3391fe9618426efull},
      {"tttttttttttt", "i", "o", 0x6191cd6a8fd4aff4ull, 0x7b11e8f4e5e11987ull},
      {"ttttttttttttt", "i", "o", 0xd9e064b9bea79480ull, 0x46aedac76990d017ull},
      {"tttttttttttttt", "i", "o", 0x07829abc26899801ull, 0x76ebb42c5abe174full},
      {"ttttttttttttttt", "i", "o", 0x5e89327c655d9993ull, 0x288b147dd8e6986aull},
      {"", "", "", 0x042b02a247843246ull, 0x2541774c612f4f96ull},
      {"contoso", "80c76bd2-9d81-4c57-a97a-accfc3443dca", "PasswordLogonInitialAuthUsingPassword",
       0x39e82d3ef8ca7e57ull, 0x52bc06e23ef56e7aull},
      {"contoso", "\xC3\xA9\xE2\x82\xAC", "DlpRuleMatch", 0x5f3bae48a6cc15e0ull,
       0xa1baddf1c0d69724ull},
  };
  for (const Vector& v : vectors) {
    RecordKey k = RecordKey::of(v.tenant, v.id, v.operation);
    EXPECT_EQ(k.hi, v.hi) << v.tenant << "/" << v.id << "/" << v.operation;
    EXPECT_EQ(k.lo, v.lo) << v.tenant << "/" << v.id << "/" << v.operation;
  }
}

TEST(RecordKey, SeparatorsAreUnambiguous) {
  EXPECT_NE(RecordKey::of("t", "ab", "c"), RecordKey::of("t", "a", "bc"));
  EXPECT_NE(RecordKey::of("ab", "c", "x"), RecordKey::of("a", "bc", "x"));
  EXPECT_NE(RecordKey::of("a", "", "b"), RecordKey::of("a", "b", ""));
  EXPECT_NE(RecordKey::of("", "a", "b"), RecordKey::of("a", "", "b"));
  // A separator character inside a field cannot forge another split either.
  EXPECT_NE(RecordKey::of("a|b", "c", ""), RecordKey::of("a", "b|c", ""));
}

TEST(RecordKey, EveryFieldMatters) {
  RecordKey base = RecordKey::of("contoso", "id-1", "DlpRuleMatch");
  EXPECT_EQ(base, RecordKey::of("contoso", "id-1", "DlpRuleMatch"));
  EXPECT_NE(base, RecordKey::of("fabrikam", "id-1", "DlpRuleMatch"));
  EXPECT_NE(base, RecordKey::of("contoso", "id-2", "DlpRuleMatch"));
  EXPECT_NE(base, RecordKey::of("contoso", "id-1", "DlpRuleUndo"));
}

TEST(RecordKey, LongInputsAndNoCollisionsInASample) {
  std::string long_id(100000, 'x');
  RecordKey a = RecordKey::of("t", long_id, "o");
  long_id.back() = 'y';
  EXPECT_NE(a, RecordKey::of("t", long_id, "o"));
  std::unordered_set<RecordKey, RecordKeyHash> keys;
  for (int i = 0; i < 100000; ++i) keys.insert(RecordKey::of("t", std::to_string(i), "o"));
  EXPECT_EQ(keys.size(), 100000u);
}

}  // namespace
}  // namespace o365fwd
