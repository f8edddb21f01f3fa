// The adaptive request rate (issue 14 part 5) with a FakeClock: a fast start while the budget is
// the limit, no raise while the work is, a cut on a throttled answer (once per episode, from the
// rate actually granted), additive recovery after it, and never above the ceiling.
#include <gtest/gtest.h>

#include <chrono>

#include "connector/rate_limiter.h"
#include "core/clock.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

RateLimiterOptions adaptiveOptions(int start, int ceiling) {
  RateLimiterOptions o;
  o.start_per_minute = start;
  o.ceiling_per_minute = ceiling;
  return o;
}

// Takes slots back to back for `span` of fake time (the clock advances while waiting).
std::uint64_t saturate(RateLimiter& limiter, FakeClock& clock, std::chrono::seconds span) {
  std::stop_source stop;
  const SteadyTime until = clock.steadyNow() + span;
  std::uint64_t n = 0;
  while (clock.steadyNow() < until && limiter.acquire(stop.get_token())) ++n;
  return n;
}

TEST(AdaptiveRateLimiter, FixedWhenTheCeilingIsTheStart) {
  FakeClock clock;
  clock.setAutoAdvance(true);
  RateLimiter limiter(adaptiveOptions(1800, 1800), clock);
  saturate(limiter, clock, 30s);
  limiter.throttled();
  EXPECT_EQ(limiter.perMinute(), 1800);
  EXPECT_FALSE(limiter.state().adaptive);
  EXPECT_EQ(limiter.state().raises + limiter.state().cuts, 0u);
}

TEST(AdaptiveRateLimiter, FastStartWhileTheBudgetIsTheLimitNeverAboveTheCeiling) {
  FakeClock clock;
  clock.setAutoAdvance(true);
  RateLimiter limiter(adaptiveOptions(1800, 60000), clock);
  saturate(limiter, clock, 5s);
  // x1.25 a second: 1800 -> ~5,500 after 5 s.
  EXPECT_GT(limiter.perMinute(), 4000);
  EXPECT_LT(limiter.perMinute(), 7000);
  const std::uint64_t in_minute = saturate(limiter, clock, 60s);
  EXPECT_EQ(limiter.perMinute(), 60000);
  EXPECT_LE(in_minute, 60000u);
  saturate(limiter, clock, 10s);
  EXPECT_EQ(limiter.perMinute(), 60000) << "never above the ceiling";
}

TEST(AdaptiveRateLimiter, NoRaiseWhileTheWorkNotTheBudgetIsTheLimit) {
  FakeClock clock;
  RateLimiter limiter(adaptiveOptions(1800, 60000), clock);
  std::stop_source stop;
  for (int i = 0; i < 120; ++i) {  // one request a second: far below 1,800 a minute
    ASSERT_TRUE(limiter.acquire(stop.get_token()));
    clock.advance(1s);
  }
  EXPECT_EQ(limiter.perMinute(), 1800);
  EXPECT_EQ(limiter.state().raises, 0u);
}

TEST(AdaptiveRateLimiter, ThrottledAnswersCutOncePerEpisodeFromTheGrantedRate) {
  FakeClock clock;
  clock.setAutoAdvance(true);
  RateLimiter limiter(adaptiveOptions(6000, 60000), clock);
  saturate(limiter, clock, 30s);
  ASSERT_EQ(limiter.perMinute(), 60000);
  limiter.throttled();
  const int after_cut = limiter.perMinute();
  // 0.7 x the rate granted over the last two seconds (a little under 60,000 a minute).
  EXPECT_LE(after_cut, 42000);
  EXPECT_GT(after_cut, 36000);
  limiter.throttled();  // the rest of the in-flight requests: the same episode
  limiter.throttled();
  EXPECT_EQ(limiter.perMinute(), after_cut);
  EXPECT_EQ(limiter.state().cuts, 1u);
  clock.advance(3s);  // past the hold: a new episode cuts again
  limiter.throttled();
  EXPECT_LT(limiter.perMinute(), after_cut);
  EXPECT_EQ(limiter.state().cuts, 2u);
}

TEST(AdaptiveRateLimiter, RecoversAdditivelyAfterACut) {
  FakeClock clock;
  clock.setAutoAdvance(true);
  RateLimiter limiter(adaptiveOptions(6000, 60000), clock);
  saturate(limiter, clock, 2s);
  const int before = limiter.perMinute();
  limiter.throttled();
  const int cut = limiter.perMinute();
  ASSERT_LT(cut, before);
  saturate(limiter, clock, 10s);
  // + 1 % of the rate the cut started from per second, not x1.25: about 10 % in 10 s.
  EXPECT_GT(limiter.perMinute(), cut);
  EXPECT_LT(limiter.perMinute(), cut + before / 5);
}

TEST(AdaptiveRateLimiter, NeverBelowTheFloor) {
  FakeClock clock;
  clock.setAutoAdvance(true);
  RateLimiter limiter(adaptiveOptions(100, 1000), clock);
  for (int i = 0; i < 50; ++i) {
    limiter.throttled();
    clock.advance(3s);
  }
  EXPECT_EQ(limiter.perMinute(), 60);
}

}  // namespace
}  // namespace o365fwd
