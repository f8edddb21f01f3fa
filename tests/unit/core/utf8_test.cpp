#include "core/utf8.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace o365fwd {
namespace {

TEST(Utf8, WellFormed) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ASCII, longer than eight bytes"));
  EXPECT_TRUE(isValidUtf8("caf\xC3\xA9"));                   // U+00E9
  EXPECT_TRUE(isValidUtf8("\xE2\x82\xAC euro"));             // U+20AC
  EXPECT_TRUE(isValidUtf8("\xF0\x9F\x98\x80"));              // U+1F600
  EXPECT_TRUE(isValidUtf8("\xF4\x8F\xBF\xBF"));              // U+10FFFF, the last code point
  EXPECT_TRUE(isValidUtf8("\xED\x9F\xBF"));                  // U+D7FF, just below surrogates
  EXPECT_TRUE(isValidUtf8(std::string("nul\0inside", 10)));  // NUL is ASCII
}

TEST(Utf8, IllFormed) {
  for (const char* bad : {
           "\x80",              // lone continuation byte
           "abcdefgh\xBF",      // after the eight-byte fast path
           "\xC0\xAF",          // overlong '/'
           "\xC1\xBF",          // overlong
           "\xE0\x80\xAF",      // overlong three-byte form
           "\xF0\x80\x80\xAF",  // overlong four-byte form
           "\xED\xA0\x80",      // surrogate U+D800
           "\xED\xBF\xBF",      // surrogate U+DFFF
           "\xF4\x90\x80\x80",  // above U+10FFFF
           "\xF5\x80\x80\x80",  // lead byte never used
           "\xFF",
           "ab\xE2\x82",    // truncated at the end
           "\xE2\x82z",     // continuation missing
           "\xC3\xC3\xA9",  // lead byte followed by a lead byte
       })
    EXPECT_FALSE(isValidUtf8(bad)) << bad;
}

// The fast path reads eight bytes at a time: a bad byte at every position of a long string.
TEST(Utf8, BadByteAtEveryPosition) {
  const std::string base(40, 'x');
  for (std::size_t at = 0; at <= base.size(); ++at) {
    std::string s = base;
    s.insert(at, "\xFE");
    EXPECT_FALSE(isValidUtf8(s)) << at;
    std::string ok = base;
    ok.insert(at, "\xC3\xA9");
    EXPECT_TRUE(isValidUtf8(ok)) << at;
  }
}

// The one-pass flattening: CR and LF become spaces wherever they are, nothing else changes, and
// the answer is isValidUtf8's, for every mix of ASCII, control bytes and (ill-formed) UTF-8.
TEST(Utf8, FlattenLineBreaksMatchesTheSeparatePasses) {
  EXPECT_TRUE(flattenLineBreaksAndCheckUtf8(nullptr, 0));
  std::string pretty = "{\r\n  \"Id\": \"caf\xC3\xA9\",\n\t\"Operation\": \"x\"\n}";
  EXPECT_TRUE(flattenLineBreaksAndCheckUtf8(pretty.data(), pretty.size()));
  EXPECT_EQ(pretty, "{    \"Id\": \"caf\xC3\xA9\", \t\"Operation\": \"x\" }");
  std::string bad = "\xFE\nafter an ill-formed byte, still flattened\r";
  EXPECT_FALSE(flattenLineBreaksAndCheckUtf8(bad.data(), bad.size()));
  EXPECT_EQ(bad, "\xFE after an ill-formed byte, still flattened ");

  const std::string alphabet[] = {"a",
                                  "Z",
                                  " ",
                                  "\n",
                                  "\r",
                                  "\t",
                                  std::string(1, '\0'),
                                  "\x1F",
                                  "\xC3\xA9",
                                  "\xE2\x82\xAC",
                                  "\xF0\x9F\x98\x80",
                                  "\x80",
                                  "\xFF",
                                  "\xED\xA0\x80",
                                  "\xC3",
                                  "0123456789abcdef"};
  std::mt19937 random(20261207);  // fixed seed: the same inputs every run
  for (int round = 0; round < 5000; ++round) {
    std::string s;
    const int pieces = static_cast<int>(random() % 40);
    for (int i = 0; i < pieces; ++i) s += alphabet[random() % std::size(alphabet)];
    std::string expected = s;
    for (char& c : expected)
      if (c == '\n' || c == '\r') c = ' ';
    const bool valid = isValidUtf8(s);
    std::string flattened = s;
    EXPECT_EQ(flattenLineBreaksAndCheckUtf8(flattened.data(), flattened.size()), valid) << s;
    EXPECT_EQ(flattened, expected);
  }
}

}  // namespace
}  // namespace o365fwd
