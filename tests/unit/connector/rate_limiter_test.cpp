#include "connector/rate_limiter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiterTest, BurstIsAboutThreeSecondsOfBudget) {
  FakeClock clock;
  EXPECT_EQ(RateLimiter(1800, clock).burst(), 90);
  EXPECT_EQ(RateLimiter(600, clock).burst(), 30);
  EXPECT_EQ(RateLimiter(10, clock).burst(), 1);
  EXPECT_EQ(RateLimiter(0, clock).perMinute(), 1);
}

TEST(RateLimiterTest, GrantsTheBurstAtOnceThenPacesAtTheSteadyRate) {
  FakeClock clock;
  clock.setAutoAdvance(true);
  RateLimiter limiter(600, clock);  // burst 30, refill 570 per minute
  const SteadyTime start = clock.steadyNow();
  std::stop_source stop;
  for (int i = 0; i < limiter.burst(); ++i) {
    SteadyTime at{};
    ASSERT_TRUE(limiter.acquire(stop.get_token(), &at));
    EXPECT_EQ(at, start) << "slot " << i << " of the burst waited";
  }
  SteadyTime previous = start;
  for (int i = 0; i < 10; ++i) {
    SteadyTime at{};
    ASSERT_TRUE(limiter.acquire(stop.get_token(), &at));
    auto gap = std::chrono::duration_cast<std::chrono::microseconds>(at - previous);
    // 60 s / 570 = 105.26 ms between slots.
    EXPECT_NEAR(gap.count(), 105263, 2) << "slot " << i;
    previous = at;
  }
  EXPECT_EQ(limiter.granted(), 40u);
}

TEST(RateLimiterTest, NeverExceedsTheBudgetInAnyMinuteAcrossThreads) {
  FakeClock clock;
  clock.setAutoAdvance(true);
  constexpr int kPerMinute = 120;
  constexpr int kThreads = 4;
  constexpr int kCallsEach = 100;
  RateLimiter limiter(kPerMinute, clock);
  const SteadyTime start = clock.steadyNow();
  std::mutex mu;
  std::vector<SteadyTime> grants;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      std::stop_source stop;
      for (int i = 0; i < kCallsEach; ++i) {
        SteadyTime at{};
        ASSERT_TRUE(limiter.acquire(stop.get_token(), &at));
        std::lock_guard lock(mu);
        grants.push_back(at);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(grants.size(), static_cast<size_t>(kThreads * kCallsEach));
  std::sort(grants.begin(), grants.end());
  size_t busiest = 0;
  for (size_t i = 0, j = 0; i < grants.size(); ++i) {
    while (j < grants.size() && grants[j] < grants[i] + 60s) ++j;
    busiest = std::max(busiest, j - i);
  }
  EXPECT_LE(busiest, static_cast<size_t>(kPerMinute));
  EXPECT_GE(busiest, static_cast<size_t>(kPerMinute - 1)) << "the limiter is needlessly slow";
  // 400 grants: 6 at once, 394 at 114/min -> about 3.46 min of fake time.
  auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(grants.back() - start);
  EXPECT_LE(elapsed.count(), 209);
  EXPECT_GE(elapsed.count(), 206);
}

TEST(RateLimiterTest, StopEndsAWaitWithoutTakingASlot) {
  FakeClock clock;  // no auto-advance: the second acquire has to wait
  RateLimiter limiter(1, clock);
  std::stop_source stop;
  ASSERT_TRUE(limiter.acquire(stop.get_token()));
  auto waiting = std::async(std::launch::async, [&] { return limiter.acquire(stop.get_token()); });
  EXPECT_EQ(waiting.wait_for(50ms), std::future_status::timeout);
  stop.request_stop();
  ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(waiting.get());
  EXPECT_EQ(limiter.granted(), 1u);
}

TEST(RateLimiterTest, PenaltyPausesTheTenantAndDropsTheBurst) {
  FakeClock clock;
  clock.setAutoAdvance(true);
  RateLimiter limiter(600, clock);
  std::stop_source stop;
  const SteadyTime start = clock.steadyNow();
  limiter.penalize(10s);
  limiter.penalize(2s);  // shorter than the pending pause: ignored
  EXPECT_EQ(limiter.pausedUntil(), start + 10s);
  SteadyTime first{}, second{};
  ASSERT_TRUE(limiter.acquire(stop.get_token(), &first));
  ASSERT_TRUE(limiter.acquire(stop.get_token(), &second));
  EXPECT_GE(first, start + 10s);
  // No burst after a pause: the second slot comes one refill interval later.
  EXPECT_GE(second - first, 100ms);
}

TEST(RateLimiterTest, PenaltyWakesNobodyEarly) {
  FakeClock clock;
  RateLimiter limiter(6000, clock);
  std::stop_source stop;
  limiter.penalize(30s);
  auto waiting = std::async(std::launch::async, [&] { return limiter.acquire(stop.get_token()); });
  clock.advance(29s);
  EXPECT_EQ(waiting.wait_for(50ms), std::future_status::timeout);
  clock.advance(2s);  // past the pause, with time for a slot to refill
  ASSERT_EQ(waiting.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(waiting.get());
}

}  // namespace
}  // namespace o365fwd
