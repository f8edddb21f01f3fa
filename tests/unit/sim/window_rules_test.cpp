#include "sim/window_rules.h"

#include <gtest/gtest.h>

namespace o365fwd::sim {
namespace {

constexpr std::int64_t kNow = 1'736'856'000'000;  // 2025-01-14T12:00:00Z
const std::string kCode = "AF20055";

TEST(WindowRulesTest, AcceptsDocumentedFormsAndAFutureEnd) {
  auto w = checkWindow(std::string("2025-01-14T00:00:00"), std::string("2025-01-14T12:00:00"), kNow,
                       kCode);
  ASSERT_TRUE(w.ok) << w.message;
  EXPECT_EQ(w.window.end_ms - w.window.start_ms, 12 * 3600 * 1000);
  EXPECT_TRUE(
      checkWindow(std::string("2025-01-14"), std::string("2025-01-14T23:00"), kNow, kCode).ok);
  EXPECT_TRUE(checkWindow(std::string("2025-01-14T06:00:00Z"), std::string("2025-01-15T06:00:00Z"),
                          kNow, kCode)
                  .ok);
}

TEST(WindowRulesTest, OmittedMeansTheLast24Hours) {
  auto w = checkWindow(std::nullopt, std::nullopt, kNow + 789, kCode);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.window.end_ms, kNow) << "whole seconds, as written into NextPageUri";
  EXPECT_EQ(w.window.start_ms, kNow - 24 * 3600 * 1000);
  EXPECT_EQ(w.window.start_text, "2025-01-13T12:00:00");
}

TEST(WindowRulesTest, RejectsEveryRuleViolation) {
  auto bad = [](std::optional<std::string> s, std::optional<std::string> e) {
    return checkWindow(s, e, kNow, kCode);
  };
  auto only_start = bad(std::string("2025-01-14T00:00:00"), std::nullopt);
  EXPECT_FALSE(only_start.ok);
  EXPECT_EQ(only_start.code, "AF20055");
  EXPECT_FALSE(bad(std::nullopt, std::string("2025-01-14T00:00:00")).ok);
  EXPECT_FALSE(bad(std::string("2025-01-13T00:00:00"), std::string("2025-01-14T00:00:01")).ok)
      << "> 24 h";
  EXPECT_FALSE(bad(std::string("2025-01-07T11:59:59"), std::string("2025-01-08T00:00:00")).ok)
      << "> 7 days old";
  EXPECT_TRUE(bad(std::string("2025-01-07T12:00:00"), std::string("2025-01-08T00:00:00")).ok)
      << "exactly 7 days";
  EXPECT_FALSE(bad(std::string("2025-01-14T10:00:00"), std::string("2025-01-14T10:00:00")).ok)
      << "start == end";
  EXPECT_FALSE(bad(std::string("2025-01-14T10:00:00"), std::string("2025-01-14T09:00:00")).ok)
      << "start > end";
  auto garbage = bad(std::string("yesterday"), std::string("2025-01-14T09:00:00"));
  EXPECT_FALSE(garbage.ok);
  EXPECT_EQ(garbage.code, "AF20002");
  auto legacy = checkWindow(std::string("2025-01-01T00:00:00"), std::string("2025-01-01T01:00:00"),
                            kNow, "AF20030");
  EXPECT_EQ(legacy.code, "AF20030");
  EXPECT_EQ(legacy.message.find("prior to end"), std::string::npos);
}

TEST(PageTokensTest, RoundTripsAndRefusesForgedOrForeignTokens) {
  PageTokens tokens(99);
  auto w = checkWindow(std::string("2025-01-14T00:00:00"), std::string("2025-01-14T12:00:00"), kNow,
                       kCode)
               .window;
  std::string t = tokens.encode(0, 2, w, 1234);
  EXPECT_EQ(t.substr(0, 11), "2025011400R");
  EXPECT_EQ(tokens.decode(t, 0, 2, w), 1234u);
  EXPECT_FALSE(tokens.decode(t, 1, 2, w).has_value()) << "another tenant";
  EXPECT_FALSE(tokens.decode(t, 0, 3, w).has_value()) << "another content type";
  auto other = w;
  other.end_ms -= 1000;
  EXPECT_FALSE(tokens.decode(t, 0, 2, other).has_value()) << "another window";
  std::string edited = t;
  edited[20] = edited[20] == '9' ? '8' : '9';  // change the position
  EXPECT_FALSE(tokens.decode(edited, 0, 2, w).has_value());
  EXPECT_FALSE(tokens.decode("garbage", 0, 2, w).has_value());
  EXPECT_FALSE(tokens.decode("", 0, 2, w).has_value());
  EXPECT_FALSE(PageTokens(100).decode(t, 0, 2, w).has_value()) << "another secret";
}

}  // namespace
}  // namespace o365fwd::sim
