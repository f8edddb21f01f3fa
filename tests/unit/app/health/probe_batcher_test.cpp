#include "app/health/probe_batcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace o365fwd {
namespace {

using namespace std::chrono_literals;

TEST(ProbeBatcher, ProbesWaitingDuringASnapshotShareTheNextOne) {
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> snapshots{0};
  ProbeBatcher batcher(
      [&] {
        StatusReport r;
        r.ready = snapshots.fetch_add(1) > 0;
        if (!r.ready) {
          entered.set_value();
          released.wait_for(30s);
        }
        return r;
      },
      100);
  std::atomic<int> replies{0}, fresh{0}, accepted{0};
  auto reply = [&](const StatusReport& r) {
    ++replies;
    fresh += r.ready ? 1 : 0;
  };
  ASSERT_TRUE(batcher.submit(reply, [&] { ++accepted; }));
  ASSERT_EQ(entered.get_future().wait_for(10s), std::future_status::ready);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(batcher.submit(reply, [&] { ++accepted; }));
  release.set_value();
  batcher.stop();
  EXPECT_EQ(accepted.load(), 51);
  EXPECT_EQ(replies.load(), 51);
  EXPECT_EQ(fresh.load(), 50) << "the 50 later probes got a snapshot taken after they arrived";
  EXPECT_EQ(snapshots.load(), 2);
  EXPECT_FALSE(batcher.submit(reply, [&] { ++accepted; }));
}

TEST(ProbeBatcher, RefusesPastItsLimit) {
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  ProbeBatcher batcher(
      [&] {
        if (first.exchange(false)) {
          entered.set_value();
          released.wait_for(30s);
        }
        return StatusReport{};
      },
      2);
  auto noop = [](const StatusReport&) {};
  ASSERT_TRUE(batcher.submit(noop, [] {}));
  ASSERT_EQ(entered.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(batcher.submit(noop, [] {}));
  EXPECT_TRUE(batcher.submit(noop, [] {}));
  EXPECT_FALSE(batcher.submit(noop, [] {}));
  release.set_value();
}

}  // namespace
}  // namespace o365fwd
