#include "app/health/connection_guard.h"

#include <gtest/gtest.h>

#include <vector>

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

class ConnectionGuardTest : public ::testing::Test {
 protected:
  ConnectionGuard guard(std::size_t cap, std::chrono::milliseconds header_timeout = 2000ms) {
    return ConnectionGuard(clock_, cap, header_timeout, [this](int fd) { closed_.push_back(fd); });
  }
  FakeClock clock_;
  std::vector<int> closed_;
};

TEST_F(ConnectionGuardTest, PastTheCapTheOldestIdleConnectionIsClosed) {
  auto g = guard(3);
  auto a = g.opened(10);
  auto b = g.opened(11);
  g.opened(12);
  EXPECT_TRUE(closed_.empty());
  g.requestStarted(a);  // busy: never evicted
  g.opened(13);
  EXPECT_EQ(closed_, std::vector<int>{11});
  g.closed(b);
  g.opened(14);
  EXPECT_EQ(closed_, (std::vector<int>{11, 12}));
  EXPECT_EQ(g.counts().evicted, 2u);
  EXPECT_EQ(g.counts().open, 3u);
}

TEST_F(ConnectionGuardTest, WhenEveryOtherConnectionIsBusyTheNewOneIsClosed) {
  auto g = guard(2);
  g.requestStarted(g.opened(10));
  g.requestStarted(g.opened(11));
  g.opened(12);
  EXPECT_EQ(closed_, std::vector<int>{12});
}

TEST_F(ConnectionGuardTest, AConnectionWithoutACompleteHeaderIsClosedAtItsDeadline) {
  auto g = guard(100, 2000ms);
  g.opened(10);
  clock_.advance(1000ms);
  auto b = g.opened(11);
  auto next = g.sweep();
  EXPECT_TRUE(closed_.empty());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, clock_.steadyNow() + 1000ms);
  clock_.advance(1000ms);
  g.sweep();
  EXPECT_EQ(closed_, std::vector<int>{10});
  // A request in progress has no header deadline; its answer starts a new wait.
  g.requestStarted(b);
  clock_.advance(5000ms);
  g.sweep();
  EXPECT_EQ(closed_.size(), 1u);
  g.requestFinished(b);
  clock_.advance(1999ms);
  g.sweep();
  EXPECT_EQ(closed_.size(), 1u);
  clock_.advance(1ms);
  g.sweep();
  EXPECT_EQ(closed_, (std::vector<int>{10, 11}));
  EXPECT_EQ(g.counts().header_timeouts, 2u);
  EXPECT_EQ(g.counts().open, 0u);
  g.sweep();  // a closing connection is not closed twice
  EXPECT_EQ(closed_.size(), 2u);
}

}  // namespace
}  // namespace o365fwd
