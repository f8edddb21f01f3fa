// BlobQueue: fair across tenants (round robin by tenant, then by stream), bounded, and a tenant
// never holds more than its share, so a backlog cannot keep another tenant's blob out.
#include "pipeline/blob_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

namespace o365fwd {
namespace {

BlobTaskPtr task(const std::string& tenant, const std::string& content_type, int n) {
  auto t = std::make_shared<BlobTask>();
  t->content.stream = StreamKey{tenant, content_type};
  t->content.content_id = tenant + "/" + content_type + "/" + std::to_string(n);
  return t;
}

std::string popId(BlobQueue& q) {
  auto t = q.pop({});
  return t ? (*t)->content.content_id : "(none)";
}

TEST(BlobQueue, ServesTenantsInTurnNotStreams) {
  BlobQueue q(100);
  // The big tenant has four streams with a backlog; the small ones one blob each.
  for (int i = 0; i < 5; ++i)
    for (const char* ct : {"Audit.Exchange", "Audit.General", "Audit.SharePoint", "DLP.All"})
      ASSERT_TRUE(q.push(task("big", ct, i), {}));
  ASSERT_TRUE(q.push(task("small1", "Audit.Exchange", 0), {}));
  ASSERT_TRUE(q.push(task("small2", "Audit.Exchange", 0), {}));
  // Round robin over tenants: the small tenants are served within the first three pops, though
  // the big tenant queued 20 blobs before them (per stream, they would wait behind four turns).
  std::vector<std::string> first{popId(q), popId(q), popId(q)};
  EXPECT_EQ(first[0], "big/Audit.Exchange/0");
  EXPECT_EQ(first[1], "small1/Audit.Exchange/0");
  EXPECT_EQ(first[2], "small2/Audit.Exchange/0");
  // Then the big tenant alone, its streams in turn.
  EXPECT_EQ(popId(q), "big/Audit.General/0");
  EXPECT_EQ(popId(q), "big/Audit.SharePoint/0");
  EXPECT_EQ(popId(q), "big/DLP.All/0");
  EXPECT_EQ(popId(q), "big/Audit.Exchange/1");
  EXPECT_EQ(q.size(), 15u);
  EXPECT_EQ(q.sizeOfTenant("big"), 15u);
  EXPECT_EQ(q.sizeOf(StreamKey{"big", "DLP.All"}), 4u);
}

TEST(BlobQueue, ATenantHoldsAtMostItsShareSoOthersFindRoom) {
  BlobQueue q(8);
  ASSERT_EQ(q.tenantShare(), 4u);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.push(task("big", "Audit.Exchange", i), {}));
  // The big tenant's fifth blob waits although the queue has room ...
  std::stop_source give_up;
  std::atomic<bool> pushed{false};
  std::jthread big([&] { pushed = q.push(task("big", "Audit.Exchange", 4), give_up.get_token()); });
  // ... while small tenants still get in.
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(q.push(task("small" + std::to_string(i), "DLP.All", 0), {}));
  EXPECT_EQ(q.size(), 8u);
  EXPECT_FALSE(pushed.load());
  EXPECT_EQ(q.sizeOfTenant("big"), 4u);
  // A pop of the big tenant's blob makes room for its next one.
  EXPECT_EQ(popId(q), "big/Audit.Exchange/0");
  big.join();
  EXPECT_TRUE(pushed.load());
  EXPECT_EQ(q.sizeOfTenant("big"), 4u);
}

TEST(BlobQueue, PushWaitsWhileFullAndGivesUpOnStop) {
  BlobQueue q(2);
  ASSERT_TRUE(q.push(task("a", "DLP.All", 0), {}));
  ASSERT_TRUE(q.push(task("b", "DLP.All", 0), {}));
  std::stop_source stop;
  std::atomic<int> result{-1};
  std::jthread pusher([&] { result = q.push(task("c", "DLP.All", 0), stop.get_token()) ? 1 : 0; });
  stop.request_stop();
  pusher.join();
  EXPECT_EQ(result.load(), 0);
  EXPECT_EQ(q.size(), 2u);
}

TEST(BlobQueue, CloseFailsPushesAndDrainReturnsEverything) {
  BlobQueue q(10);
  ASSERT_TRUE(q.push(task("a", "DLP.All", 0), {}));
  ASSERT_TRUE(q.push(task("b", "DLP.All", 0), {}));
  ASSERT_TRUE(q.push(task("b", "Audit.General", 0), {}));
  q.close();
  EXPECT_FALSE(q.push(task("c", "DLP.All", 0), {}));
  auto left = q.drain();
  EXPECT_EQ(left.size(), 3u);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_FALSE(q.pop({}).has_value());  // closed and empty
}

TEST(BlobQueue, EveryTenantGetsAnEqualShareOfPopsUnderContention) {
  BlobQueue q(64);
  // One tenant with 30 blobs, three with 10: the first 40 pops serve all four tenants 10 times
  // each (while they have blobs), whatever order the blobs were pushed in.
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(q.push(task("big", "Audit.Exchange", i), {}));
  for (const char* t : {"x", "y", "z"})
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(q.push(task(t, "DLP.All", i), {}));
  std::map<std::string, int> served;
  for (int i = 0; i < 40; ++i) {
    auto t = q.pop({});
    ASSERT_TRUE(t);
    ++served[(*t)->content.stream.tenant];
  }
  EXPECT_EQ(served["big"], 10);
  EXPECT_EQ(served["x"], 10);
  EXPECT_EQ(served["y"], 10);
  EXPECT_EQ(served["z"], 10);
}

// A pop wakes one waiting pusher, not all of them: no wake-up may be lost on the way. Many
// pushers of many tenants (some over their share) wait on a small queue; every blob gets in and
// out, and pushers that give up pass their turn on.
TEST(BlobQueue, EveryWaitingPusherGetsInWhenPopsWakeOneAtATime) {
  BlobQueue q(4);
  // Full before anyone pops: every pusher below waits at first.
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.push(task("f" + std::to_string(i), "DLP.All", i), {}));
  constexpr int kPushers = 24;
  constexpr int kEach = 20;
  std::atomic<int> pushed{0};
  std::vector<std::jthread> pushers;
  for (int p = 0; p < kPushers; ++p)
    pushers.emplace_back([&, p] {
      // Three pushers per tenant: a tenant's share (2) keeps some of them waiting with room left.
      const std::string tenant = "t" + std::to_string(p / 3);
      for (int i = 0; i < kEach; ++i)
        if (q.push(task(tenant, "DLP.All", p * kEach + i), {})) ++pushed;
    });
  // A pusher that gives up while others wait does not swallow a wake-up meant for them.
  std::stop_source quitter;
  std::jthread gives_up(
      [&] { EXPECT_FALSE(q.push(task("q", "DLP.All", 0), quitter.get_token())); });
  quitter.request_stop();
  gives_up.join();
  int popped = 0;
  while (popped < 4 + kPushers * kEach) {
    ASSERT_TRUE(q.pop({}).has_value());
    ++popped;
  }
  for (auto& t : pushers) t.join();
  EXPECT_EQ(pushed.load(), kPushers * kEach);
  EXPECT_EQ(q.size(), 0u);
}

// A full queue wakes a waiting pusher once a quarter of it is free, not on every pop; the
// woken pusher then fills the free places without waiting again.
TEST(BlobQueue, AWaitingPusherIsWokenOnceAQuarterIsFreeAndFillsIt) {
  BlobQueue q(8);  // a quarter: 2 places
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(q.push(task("f" + std::to_string(i), "DLP.All", i), {}));
  std::atomic<int> pushed{0};
  std::jthread pusher([&] {
    for (int i = 0; i < 3; ++i)
      if (q.push(task("p" + std::to_string(i), "DLP.All", i), {})) ++pushed;
  });
  while (q.size() != 8) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the pusher waits
  ASSERT_TRUE(q.pop({}).has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(pushed.load(), 0) << "woken with one place free";
  EXPECT_EQ(q.size(), 7u);
  ASSERT_TRUE(q.pop({}).has_value());
  while (pushed.load() < 2) std::this_thread::yield();  // both places, one wake-up
  EXPECT_EQ(q.size(), 8u);
  ASSERT_TRUE(q.pop({}).has_value());
  ASSERT_TRUE(q.pop({}).has_value());
  pusher.join();
  EXPECT_EQ(pushed.load(), 3);
  EXPECT_EQ(q.size(), 7u);
}

// pushAll: every blob goes in, in order, waiting for room as push() does; what it could not push
// when stopped stays with the caller.
TEST(BlobQueue, PushAllWaitsForRoomForEachBlobAndReturnsTheRestOnStop) {
  BlobQueue q(8);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(q.push(task("f" + std::to_string(i), "DLP.All", i), {}));
  std::vector<BlobTaskPtr> listing;
  for (int i = 0; i < 3; ++i) listing.push_back(task("a", "DLP.All", i));
  std::atomic<std::size_t> pushed{99};
  std::jthread a([&] { pushed = q.pushAll(listing, {}); });
  while (q.size() != 8) std::this_thread::yield();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.pop({}).has_value());
  a.join();
  EXPECT_EQ(pushed.load(), 3u);
  EXPECT_EQ(q.sizeOfTenant("a"), 3u);
  EXPECT_EQ(q.size(), 7u);

  std::vector<BlobTaskPtr> more;
  for (int i = 0; i < 3; ++i) more.push_back(task("b", "DLP.All", i));
  std::stop_source stop;
  std::atomic<std::size_t> more_pushed{99};
  std::jthread b([&] { more_pushed = q.pushAll(more, stop.get_token()); });
  while (q.size() != 8) std::this_thread::yield();  // one place: the first blob, then it waits
  stop.request_stop();
  b.join();
  EXPECT_EQ(more_pushed.load(), 1u);
  EXPECT_FALSE(more[0]) << "pushed";
  EXPECT_TRUE(more[1] && more[2]) << "not pushed: still the caller's";
}

TEST(BlobQueue, CloseWakesEveryWaitingPusher) {
  BlobQueue q(1);
  ASSERT_TRUE(q.push(task("a", "DLP.All", 0), {}));
  std::atomic<int> refused{0};
  {
    std::vector<std::jthread> pushers;
    for (int p = 0; p < 8; ++p)
      pushers.emplace_back([&, p] {
        if (!q.push(task("t" + std::to_string(p), "DLP.All", 0), {})) ++refused;
      });
    q.close();
  }
  EXPECT_EQ(refused.load(), 8);
}

}  // namespace
}  // namespace o365fwd
