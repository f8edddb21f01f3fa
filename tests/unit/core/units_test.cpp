#include "core/units.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

using std::chrono::milliseconds;

TEST(Units, ParsesDurationsInEveryUnit) {
  EXPECT_EQ(parseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(parseDuration("90s"), milliseconds(90'000));
  EXPECT_EQ(parseDuration("15m"), milliseconds(15 * 60'000));
  EXPECT_EQ(parseDuration("12h"), milliseconds(12 * 3'600'000LL));
  EXPECT_EQ(parseDuration("7d"), milliseconds(7 * 86'400'000LL));
  EXPECT_EQ(parseDuration("0s"), milliseconds(0));
  EXPECT_EQ(parseDuration("0"), milliseconds(0)) << "zero needs no unit (sweep_interval: 0)";
  EXPECT_EQ(parseDuration(" 30s "), milliseconds(30'000));
}

TEST(Units, RejectsMalformedDurations) {
  for (const char* bad : {"", "s", "60", "1.5h", "-5s", "5 minutes", "5S", "5w", "h5", "1d2h",
                          "99999999999999999999s", "9223372036854775807d"})
    EXPECT_FALSE(parseDuration(bad)) << bad;
}

TEST(Units, ParsesSizes) {
  EXPECT_EQ(parseSize("100"), 100u);
  EXPECT_EQ(parseSize("100B"), 100u);
  EXPECT_EQ(parseSize("64KB"), 64'000u);
  EXPECT_EQ(parseSize("64KiB"), 65'536u);
  EXPECT_EQ(parseSize("512MiB"), 512ull << 20);
  EXPECT_EQ(parseSize("1GiB"), 1ull << 30);
  EXPECT_EQ(parseSize("2GB"), 2'000'000'000u);
  EXPECT_EQ(parseSize("5MB"), 5'000'000u);
}

TEST(Units, RejectsMalformedSizes) {
  for (const char* bad : {"", "GiB", "1.5GiB", "-1", "1 gig", "1gib", "1TiB", "20000000000GiB"})
    EXPECT_FALSE(parseSize(bad)) << bad;
}

TEST(Units, FormatsDurationsInTheLargestExactUnit) {
  EXPECT_EQ(formatDuration(milliseconds(90'000)), "90s");
  EXPECT_EQ(formatDuration(milliseconds(86'400'000)), "1d");
  EXPECT_EQ(formatDuration(milliseconds(5'400'000)), "90m");
  EXPECT_EQ(formatDuration(milliseconds(1'500)), "1500ms");
  EXPECT_EQ(formatDuration(milliseconds(0)), "0ms");
  EXPECT_EQ(formatDuration(milliseconds(7 * 86'400'000LL)), "7d");
}

TEST(Units, DurationsRoundTrip) {
  for (const char* text : {"1ms", "59s", "61m", "25h", "7d"})
    EXPECT_EQ(formatDuration(*parseDuration(text)), text);
}

TEST(Units, FormatsSizes) {
  EXPECT_EQ(formatSize(0), "0 B");
  EXPECT_EQ(formatSize(1023), "1023 B");
  EXPECT_EQ(formatSize(1536), "1.5 KiB");
  EXPECT_EQ(formatSize(512ull << 20), "512.0 MiB");
  EXPECT_EQ(formatSize(1ull << 30), "1.0 GiB");
}

}  // namespace
}  // namespace o365fwd
