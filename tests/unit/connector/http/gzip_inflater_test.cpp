// GzipInflater (libdeflate): whole gzip bodies into a buffer sized beforehand, its trailer's size,
// and what it refuses. The gzip bodies are made with zlib here, as a server would.
#include "connector/http/gzip_inflater.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace o365fwd {
namespace {

std::string gzip(const std::string& plain) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, plain.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  z.avail_in = static_cast<uInt>(plain.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string records(int n, const std::string& tag) {
  std::string body = "[";
  for (int i = 0; i < n; ++i)
    body += R"({"Id":")" + tag + std::to_string(i) + R"(","Operation":"FileAccessed"},)";
  body.back() = ']';
  return body;
}

TEST(GzipInflater, TrailerSizeIsTheDecodedSizeOfASingleMember) {
  const std::string plain = records(500, "a");
  EXPECT_EQ(GzipInflater::trailerSize(gzip(plain)), plain.size());
  EXPECT_EQ(GzipInflater::trailerSize(gzip("")), 0u);
}

TEST(GzipInflater, TrailerSizeIsNoneForWhatIsNotGzip) {
  EXPECT_FALSE(GzipInflater::trailerSize(""));
  EXPECT_FALSE(GzipInflater::trailerSize("[{\"Id\":\"1\"}] and more than eighteen bytes"));
  std::string truncated = gzip(records(10, "t")).substr(0, 17);
  EXPECT_FALSE(GzipInflater::trailerSize(truncated));
}

TEST(GzipInflater, DecodesIntoExactlyTheTrailersSize) {
  GzipInflater inflater;
  const std::string plain = records(2000, "b");
  const std::string gz = gzip(plain);
  std::string out = "left over";
  ASSERT_EQ(inflater.inflate(gz, *GzipInflater::trailerSize(gz), out),
            GzipInflater::Outcome::kDecoded);
  EXPECT_EQ(out, plain);
  // The same object again (its tables are reused).
  const std::string other = records(3, "c");
  ASSERT_EQ(inflater.inflate(gzip(other), other.size(), out), GzipInflater::Outcome::kDecoded);
  EXPECT_EQ(out, other);
}

TEST(GzipInflater, SeveralMembersDecodeWhenTheyFit) {
  GzipInflater inflater;
  const std::string first = records(100, "m1-"), second = records(50, "m2-");
  const std::string gz = gzip(first) + gzip(second);
  // The trailer gives only the last member's size: less than the body decodes to.
  EXPECT_EQ(GzipInflater::trailerSize(gz), second.size());
  std::string out;
  EXPECT_EQ(inflater.inflate(gz, second.size(), out), GzipInflater::Outcome::kLarger);
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(inflater.inflate(gz, first.size() + second.size(), out),
            GzipInflater::Outcome::kDecoded);
  EXPECT_EQ(out, first + second);
}

TEST(GzipInflater, ATrailerThatUnderstatesIsLargerNotWrittenPastTheCapacity) {
  GzipInflater inflater;
  const std::string plain(1 << 20, 'z');  // a small bomb: 1 MiB of zeros' kin
  std::string gz = gzip(plain);
  gz[gz.size() - 4] = 1, gz[gz.size() - 3] = 0, gz[gz.size() - 2] = 0, gz[gz.size() - 1] = 0;
  ASSERT_EQ(GzipInflater::trailerSize(gz), 1u);
  std::string out;
  EXPECT_EQ(inflater.inflate(gz, 1, out), GzipInflater::Outcome::kLarger);
  EXPECT_TRUE(out.empty());
}

TEST(GzipInflater, CorruptOrTrailingBytesAreInvalid) {
  GzipInflater inflater;
  const std::string plain = records(200, "d");
  std::string out;
  std::string bad_crc = gzip(plain);
  bad_crc[bad_crc.size() - 8] ^= 0x55;
  EXPECT_EQ(inflater.inflate(bad_crc, plain.size(), out), GzipInflater::Outcome::kInvalid);
  std::string bad_size = gzip(plain);  // says one byte more than it decodes to
  bad_size[bad_size.size() - 4] = static_cast<char>(bad_size[bad_size.size() - 4] + 1);
  EXPECT_EQ(inflater.inflate(bad_size, plain.size() + 1, out), GzipInflater::Outcome::kInvalid);
  EXPECT_EQ(inflater.inflate(gzip(plain) + "\n", plain.size(), out),
            GzipInflater::Outcome::kInvalid);
  EXPECT_EQ(inflater.inflate("not gzip at all, but long enough", 100, out),
            GzipInflater::Outcome::kInvalid);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace o365fwd
