#include "app/health/watchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace o365fwd {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(WatchdogInterval, FollowsSdWatchdogEnabledRules) {
  EXPECT_FALSE(watchdogInterval(nullptr, nullptr, 42));
  EXPECT_EQ(watchdogInterval("120000000", nullptr, 42), microseconds(120000000));
  EXPECT_EQ(watchdogInterval("5000", "42", 42), microseconds(5000));
  EXPECT_FALSE(watchdogInterval("5000", "43", 42));  // meant for another process
  EXPECT_FALSE(watchdogInterval("0", nullptr, 42));
  EXPECT_FALSE(watchdogInterval("12x", nullptr, 42));
  EXPECT_FALSE(watchdogInterval("5000", "abc", 42));
}

TEST(Watchdog, PingsEveryHalfIntervalWhileTheProbeReturns) {
  FakeClock clock;
  std::atomic<int> pings{0};
  Watchdog dog(
      std::chrono::seconds(10), [] {},
      [&](const std::string& s) {
        EXPECT_EQ(s, "WATCHDOG=1");
        ++pings;
        return true;
      },
      clock);
  dog.start();
  for (int i = 0; i < 200 && pings.load() < 1; ++i) std::this_thread::sleep_for(milliseconds(5));
  EXPECT_EQ(pings.load(), 1);  // at once
  for (int i = 0; i < 4; ++i) {
    clock.advance(std::chrono::seconds(5));
    for (int j = 0; j < 200 && pings.load() < i + 2; ++j)
      std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(pings.load(), 5);
  dog.stop();
}

TEST(Watchdog, NoPingWhileTheProbeIsStuck) {
  FakeClock clock;
  std::atomic<int> pings{0};
  std::mutex stuck;
  std::unique_lock hold(stuck);  // the "deadlocked" lock the probe needs
  Watchdog dog(
      std::chrono::seconds(10), [&] { std::lock_guard lock(stuck); },
      [&](const std::string&) {
        ++pings;
        return true;
      },
      clock);
  dog.start();
  for (int i = 0; i < 5; ++i) {
    clock.advance(std::chrono::seconds(5));
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(pings.load(), 0);
  hold.unlock();  // recovers: pings resume, then the watchdog stops cleanly
  for (int i = 0; i < 200 && pings.load() < 1; ++i) std::this_thread::sleep_for(milliseconds(5));
  EXPECT_GE(pings.load(), 1);
  dog.stop();
}

}  // namespace
}  // namespace o365fwd
