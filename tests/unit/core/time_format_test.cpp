#include "core/time_format.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

TEST(TimeFormat, ParsesCreationTimeWithoutZoneAsUtc) {
  auto t = parseUtc("2015-06-29T20:03:19");
  ASSERT_TRUE(t);
  EXPECT_EQ(formatApiTime(*t), "2015-06-29T20:03:19");
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count(),
            1435608199);
}

TEST(TimeFormat, ParsesContentCreatedWithMillisAndZ) {
  auto t = parseUtc("2025-01-14T09:45:12.345Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(formatIsoMillis(*t), "2025-01-14T09:45:12.345Z");
}

TEST(TimeFormat, AcceptsShortFormsAndLongFractions) {
  EXPECT_EQ(formatApiTime(*parseUtc("2025-01-14")), "2025-01-14T00:00:00");
  EXPECT_EQ(formatApiTime(*parseUtc("2025-01-14T09:45")), "2025-01-14T09:45:00");
  EXPECT_EQ(formatIsoMicros(*parseUtc("2025-01-14T09:45:12.1234567")),
            "2025-01-14T09:45:12.123456Z");
}

TEST(TimeFormat, RejectsGarbageAndOffsets) {
  EXPECT_FALSE(parseUtc(""));
  EXPECT_FALSE(parseUtc("2025-13-01T00:00:00"));
  EXPECT_FALSE(parseUtc("2025-02-30T00:00:00"));
  EXPECT_FALSE(parseUtc("2025-01-14T09:45:12+02:00"));
  EXPECT_FALSE(parseUtc("yesterday"));
}

TEST(TimeFormat, YearsWallTimeCannotHoldAreRefusedNotWrapped) {
  EXPECT_FALSE(parseUtc("2415-06-29T20:03:19"));  // found by the fuzzer: wrapped to 1830
  EXPECT_FALSE(parseUtc("1600-01-01T00:00:00Z"));
  EXPECT_FALSE(parseUtc("9999-12-31"));
  ASSERT_TRUE(parseUtc("2261-12-31T23:59:59Z"));
  EXPECT_EQ(formatApiTime(*parseUtc("2261-12-31T23:59:59Z")), "2261-12-31T23:59:59");
  ASSERT_TRUE(parseUtc("1678-01-01T00:00:00Z"));
  EXPECT_EQ(formatApiTime(*parseUtc("1678-01-01T00:00:00Z")), "1678-01-01T00:00:00");
  EXPECT_FALSE(parseHttpDate("Fri, 01 Jan 2300 00:00:00 GMT"));
}

TEST(TimeFormat, HttpDateRoundTrip) {
  auto t = parseHttpDate("Tue, 14 Jan 2025 12:00:00 GMT");
  ASSERT_TRUE(t);
  EXPECT_EQ(formatHttpDate(*t), "Tue, 14 Jan 2025 12:00:00 GMT");
  EXPECT_EQ(formatApiTime(*t), "2025-01-14T12:00:00");
}

}  // namespace
}  // namespace o365fwd
