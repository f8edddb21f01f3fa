// Compression of health answers: which Accept-Encoding headers get brotli, gzip or nothing, and
// that the encoders produce compressed output (the health server test decodes it with curl).
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

TEST(AnswerEncoding, BrotliFirstThenGzipThenNothing) {
  EXPECT_EQ(chooseEncoding("gzip, deflate, br"), AnswerEncoding::kBrotli);  // browsers
  EXPECT_EQ(chooseEncoding("deflate, gzip, br, zstd"), AnswerEncoding::kBrotli);
  EXPECT_EQ(chooseEncoding("deflate, gzip"), AnswerEncoding::kGzip);  // curl without brotli
  EXPECT_EQ(chooseEncoding("br;q=0, gzip"), AnswerEncoding::kGzip);
  EXPECT_EQ(chooseEncoding("*"), AnswerEncoding::kBrotli);
  EXPECT_EQ(chooseEncoding(""), AnswerEncoding::kIdentity);
  EXPECT_EQ(chooseEncoding("identity, deflate"), AnswerEncoding::kIdentity);
  EXPECT_STREQ(contentEncoding(AnswerEncoding::kBrotli), "br");
  EXPECT_STREQ(contentEncoding(AnswerEncoding::kGzip), "gzip");
  EXPECT_FALSE(encodeAnswer("text", AnswerEncoding::kIdentity).has_value());
}

TEST(AnswerEncoding, BrotliStreamIsSmallerForRepetitiveText) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "{\"tenant\":\"tenant" + std::to_string(i) + "\"},";
  auto packed = brotliCompress(text);
  ASSERT_TRUE(packed.has_value());
  EXPECT_FALSE(packed->empty());
  EXPECT_LT(packed->size(), text.size() / 4);
  auto empty = brotliCompress("");
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(empty->empty());  // a valid empty stream is one byte
}

}  // namespace
}  // namespace o365fwd
