// BodyBuffer keeps every byte in order across the small-string and chunked modes.
#include "connector/http/body_buffer.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

std::string pattern(std::size_t n, std::size_t seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

TEST(BodyBuffer, SmallBodyStaysOneString) {
  BodyBuffer b;
  b.append("hello ", 6);
  b.append("world", 5);
  EXPECT_EQ(b.size(), 11u);
  EXPECT_EQ(b.take(), "hello world");
  EXPECT_EQ(b.size(), 0u);
}

TEST(BodyBuffer, LargeBodyIsJoinedInOrderFromChunks) {
  BodyBuffer b;
  std::string expected;
  const std::size_t piece = 16 * 1024 + 3;
  for (std::size_t i = 0; expected.size() < BodyBuffer::kChunkBytes + 5 * piece; ++i) {
    std::string p = pattern(piece, i);
    b.append(p.data(), p.size());
    expected += p;
  }
  EXPECT_EQ(b.size(), expected.size());
  std::string got = b.take();
  EXPECT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
}

TEST(BodyBuffer, ReservedBodyFillsTheReservation) {
  BodyBuffer b;
  b.reserve(3 * BodyBuffer::kSmallBytes);
  std::string p = pattern(3 * BodyBuffer::kSmallBytes, 1);
  b.append(p.data(), p.size());
  std::string got = b.take();
  EXPECT_TRUE(got == p);
}

}  // namespace
}  // namespace o365fwd
