#include "core/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

TEST(FakeClock, TimeMovesOnlyThroughAdvance) {
  FakeClock clock;
  WallTime wall = clock.wallNow();
  SteadyTime steady = clock.steadyNow();
  EXPECT_EQ(clock.wallNow(), wall);
  clock.advance(90s);
  EXPECT_EQ(clock.wallNow() - wall, 90s);
  EXPECT_EQ(clock.steadyNow() - steady, 90s);
  clock.setWall(wall - 1h);  // a step of the wall clock leaves steady time alone
  EXPECT_EQ(clock.wallNow(), wall - 1h);
  EXPECT_EQ(clock.steadyNow() - steady, 90s);
}

TEST(FakeClock, SleeperWakesWhenTimeReachesTheDeadline) {
  FakeClock clock;
  std::atomic<bool> returned{false};
  bool result = false;
  SteadyTime deadline = clock.steadyNow() + 10s;
  std::thread sleeper([&] {
    result = clock.sleepUntil(deadline, std::stop_token{});
    returned = true;
  });
  clock.advance(9s);
  EXPECT_FALSE(returned.load());  // cannot have returned: its deadline is still ahead
  clock.advance(1s);
  sleeper.join();
  EXPECT_TRUE(result);
  EXPECT_GE(clock.steadyNow(), deadline);
}

TEST(FakeClock, SleeperWakesOnStop) {
  FakeClock clock;
  std::stop_source stop;
  bool result = true;
  std::thread sleeper([&] { result = clock.sleepUntil(clock.steadyNow() + 1h, stop.get_token()); });
  stop.request_stop();
  sleeper.join();
  EXPECT_FALSE(result);
  EXPECT_FALSE(clock.sleepFor(1s, stop.get_token()));  // already stopped: returns at once
}

TEST(FakeClock, PastDeadlineReturnsAtOnce) {
  FakeClock clock;
  EXPECT_TRUE(clock.sleepUntil(clock.steadyNow() - 1s, std::stop_token{}));
  EXPECT_TRUE(clock.sleepUntil(clock.steadyNow(), std::stop_token{}));
}

TEST(FakeClock, AutoAdvanceJumpsToTheDeadline) {
  FakeClock clock;
  clock.setAutoAdvance(true);
  WallTime wall = clock.wallNow();
  SteadyTime steady = clock.steadyNow();
  EXPECT_TRUE(clock.sleepFor(5min, std::stop_token{}));
  EXPECT_EQ(clock.steadyNow() - steady, 5min);
  EXPECT_EQ(clock.wallNow() - wall, 5min);
}

TEST(SystemClock, SleepReturnsFalseOnStop) {
  SystemClock clock;
  std::stop_source stop;
  bool result = true;
  std::thread sleeper([&] { result = clock.sleepFor(1h, stop.get_token()); });
  stop.request_stop();
  sleeper.join();
  EXPECT_FALSE(result);
}

TEST(SystemClock, ShortSleepCompletes) {
  SystemClock clock;
  SteadyTime before = clock.steadyNow();
  EXPECT_TRUE(clock.sleepFor(1ms, std::stop_token{}));
  EXPECT_GE(clock.steadyNow() - before, 1ms);
}

}  // namespace
}  // namespace o365fwd
