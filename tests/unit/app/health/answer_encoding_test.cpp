// Compression of health answers: which Accept-Encoding headers get gzip, and that the gzip
// member is one (magic bytes, smaller than the text).
#include "app/health/answer_encoding.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

TEST(AnswerEncoding, AcceptsGzipAsBrowsersAndCurlAskForIt) {
  EXPECT_TRUE(acceptsGzip("gzip, deflate, br"));  // Chromium, Firefox
  EXPECT_TRUE(acceptsGzip("deflate, gzip"));      // curl --compressed
  EXPECT_TRUE(acceptsGzip("GZIP"));
  EXPECT_TRUE(acceptsGzip("br;q=1.0, gzip;q=0.8"));
  EXPECT_TRUE(acceptsGzip("*"));
  EXPECT_FALSE(acceptsGzip(""));
  EXPECT_FALSE(acceptsGzip("br"));
  EXPECT_FALSE(acceptsGzip("identity"));
  EXPECT_FALSE(acceptsGzip("gzip;q=0, *"));  // named with q=0 wins over the wildcard
  EXPECT_FALSE(acceptsGzip("*;q=0"));
  EXPECT_FALSE(acceptsGzip("x-gzipped"));
}

TEST(AnswerEncoding, GzipMemberIsSmallerForRepetitiveText) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "{\"tenant\":\"tenant" + std::to_string(i) + "\"},";
  auto packed = gzipCompress(text);
  ASSERT_TRUE(packed.has_value());
  ASSERT_GE(packed->size(), 18u);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>((*packed)[1]), 0x8b);
  EXPECT_LT(packed->size(), text.size() / 4);
  EXPECT_TRUE(gzipCompress("").has_value());
}

}  // namespace
}  // namespace o365fwd
