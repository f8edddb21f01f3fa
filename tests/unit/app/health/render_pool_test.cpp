#include "app/health/render_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace o365fwd {
namespace {

TEST(RenderPool, RefusesPastItsQueueAndRunsEveryAcceptedJobOnStop) {
  RenderPool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  std::atomic<int> ran{0}, accepted{0};
  ASSERT_TRUE(pool.submit(
      [&] {
        started.set_value();
        released.wait();
        ++ran;
      },
      [&] { ++accepted; }));
  started.get_future().wait();  // the only thread is busy: the queue fills
  EXPECT_TRUE(pool.submit([&] { ++ran; }, [&] { ++accepted; }));
  EXPECT_TRUE(pool.submit([&] { ++ran; }, [&] { ++accepted; }));
  EXPECT_FALSE(pool.submit([&] { ++ran; }, [&] { ++accepted; }));
  EXPECT_EQ(accepted.load(), 3);
  release.set_value();
  pool.stop();
  EXPECT_EQ(ran.load(), 3);
  EXPECT_FALSE(pool.submit([&] { ++ran; }, [&] { ++accepted; }));
  EXPECT_EQ(accepted.load(), 3);
}

}  // namespace
}  // namespace o365fwd
