// RequestGate: at most `limit` permits at once across threads; enter() gives up at its deadline
// (on the Clock) or on stop, without a permit; a permit is released exactly once.
#include "connector/request_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace o365fwd {
namespace {

TEST(RequestGate, HoldsAtMostLimitPermitsAndGivesUpAtTheDeadline) {
  FakeClock clock;
  RequestGate gate(2, clock);
  auto a = gate.enter({}, clock.steadyNow() + std::chrono::seconds(1));
  auto b = gate.enter({}, clock.steadyNow() + std::chrono::seconds(1));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(gate.inUse(), 2);
  // Full: a deadline that has passed on the Clock ends the wait without a permit.
  EXPECT_FALSE(gate.enter({}, clock.steadyNow()).has_value());
  EXPECT_EQ(gate.waits(), 1u);
  EXPECT_EQ(gate.inUse(), 2);
  a.reset();  // released
  EXPECT_EQ(gate.inUse(), 1);
  auto c = gate.enter({}, clock.steadyNow());
  EXPECT_TRUE(c.has_value());
  EXPECT_EQ(gate.inUse(), 2);
  // A moved permit is released once, by its new owner.
  std::optional<RequestGate::Permit> moved = std::move(c);
  c.reset();
  EXPECT_EQ(gate.inUse(), 2);
  moved.reset();
  b.reset();
  EXPECT_EQ(gate.inUse(), 0);
}

TEST(RequestGate, AWaiterGetsThePlaceAReleaseFreesAndStopEndsAWait) {
  FakeClock clock;
  RequestGate gate(1, clock);
  auto held = gate.enter({}, clock.steadyNow());
  ASSERT_TRUE(held);
  std::atomic<bool> got{false};
  std::jthread waiter([&] {
    auto p = gate.enter({}, clock.steadyNow() + std::chrono::hours(1));
    got = p.has_value();
  });
  held.reset();
  waiter.join();
  EXPECT_TRUE(got.load());

  auto again = gate.enter({}, clock.steadyNow());
  ASSERT_TRUE(again);
  std::stop_source stop;
  std::atomic<int> result{-1};
  std::jthread stopped([&] {
    result = gate.enter(stop.get_token(), clock.steadyNow() + std::chrono::hours(1)) ? 1 : 0;
  });
  stop.request_stop();
  stopped.join();
  EXPECT_EQ(result.load(), 0);
  EXPECT_EQ(gate.inUse(), 1);
  EXPECT_EQ(setupGateError(stop.get_token()).kind, ErrorKind::kCancelled);
  EXPECT_EQ(setupGateError({}).code, "setup_gate_timeout");
  EXPECT_TRUE(setupGateError({}).retryable);
}

TEST(RequestGate, ManyThreadsNeverExceedTheLimit) {
  SystemClock clock;
  RequestGate gate(3, clock);
  std::atomic<int> inside{0}, most{0}, done{0};
  std::vector<std::jthread> threads;
  for (int t = 0; t < 12; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto p = gate.enter({}, clock.steadyNow() + std::chrono::seconds(30));
        ASSERT_TRUE(p);
        int now = ++inside;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
        ++done;
      }
    });
  threads.clear();
  EXPECT_EQ(done.load(), 600);
  EXPECT_LE(most.load(), 3);
  EXPECT_EQ(gate.inUse(), 0);
}

}  // namespace
}  // namespace o365fwd
