// Live tenant changes of the Collector (pipeline/collector_streams.cpp): streams added while it
// runs collect; a removed tenant drains, leaves the StatusBoard and keeps its watermark; a tenant
// cannot be added twice; adding it back resumes without duplicates.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "pipeline/collector.h"
#include "tests/fakes/fake_content_source.h"
#include "tests/fakes/memory_sink.h"
#include "tests/fakes/memory_state_store.h"
#include "tests/support/temp_dir.h"

namespace o365fwd {
namespace {

using namespace std::chrono_literals;
using testing::FakeBlob;
using testing::FakeContentSource;
using testing::MemorySink;
using testing::MemoryStateStore;

const StreamKey kContoso{"contoso", "Audit.Exchange"};
const StreamKey kFabrikam{"fabrikam", "Audit.Exchange"};

std::string record(const std::string& id) {
  return R"([{"CreationTime":"2025-01-14T09:31:07","Id":")" + id +
         R"(","Operation":"Send","RecordType":2,"Workload":"Exchange"}])";
}

struct Fixture {
  SystemClock clock;
  Random random{7};
  MemoryStateStore store;
  StatusBoard status{clock};
  testing::TempDir dir;
  DeadLetterWriter dead_letters{dir.path(), clock};
  FakeContentSource contoso, fabrikam;
  MemorySink sink{"mem"};

  void add(FakeContentSource& source, const StreamKey& stream, const std::string& id) {
    FakeBlob b;
    b.ref.stream = stream;
    b.ref.content_id = id;
    b.ref.content_uri = "https://manage.office.com/api/v1.0/t/activity/feed/audit/" + id;
    b.ref.created = clock.wallNow() - 5min;
    b.ref.expiration = b.ref.created + std::chrono::hours(24 * 7);
    b.body = record(id);
    source.addBlob(b);
  }
  std::size_t delivered(const std::string& id) {
    std::size_t n = 0;
    for (const BatchPtr& b : sink.batches())
      for (std::size_t i = 0; i < b->size(); ++i) n += b->id(i) == id;
    return n;
  }
  bool waitFor(const std::function<bool()>& pred) {
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(5ms))
      if (pred()) return true;
    return false;
  }
  bool hasRow(const std::string& tenant) {
    for (const StreamStatus& s : status.snapshot())
      if (s.stream.tenant == tenant) return true;
    return false;
  }
};

TEST(CollectorStreams, AddRemoveAndReaddWhileRunning) {
  Fixture f;
  f.add(f.contoso, kContoso, "c1");
  f.add(f.fabrikam, kFabrikam, "f1");
  CollectorOptions o;
  o.mode = CollectorMode::kDaemon;
  o.collection.poll_interval = 50ms;
  o.collection.sweep_interval = 0ms;
  o.committer.commit_interval = 5ms;
  ASSERT_TRUE(f.sink.start().ok());
  Collector collector(o, {{kContoso, &f.contoso, nullptr}}, {&f.sink}, f.store, f.status,
                      f.dead_letters, f.clock, f.random);
  std::stop_source stop;
  std::thread runner([&] { collector.run(stop.get_token()); });
  ASSERT_TRUE(f.waitFor([&] { return f.delivered("c1") == 1; }));

  // Added live: collected.
  EXPECT_FALSE(collector.hasTenant("fabrikam"));
  ASSERT_TRUE(collector.addStreams({{kFabrikam, &f.fabrikam, nullptr}}).ok());
  EXPECT_TRUE(collector.hasTenant("fabrikam"));
  ASSERT_TRUE(f.waitFor([&] { return f.delivered("f1") == 1; }));
  EXPECT_FALSE(collector.addStreams({{kFabrikam, &f.fabrikam, nullptr}}).ok()) << "already running";

  // Removed: drained, forgotten by the collector and the status board; state kept.
  ASSERT_TRUE(f.waitFor([&] {
    auto wm = f.store.watermark(kContoso);
    return wm.ok() && wm->has_value();
  }));
  ASSERT_TRUE(collector.removeTenant("contoso", f.clock.steadyNow() + 10s, stop.get_token()));
  EXPECT_FALSE(collector.hasTenant("contoso"));
  EXPECT_FALSE(f.hasRow("contoso"));
  auto wm = f.store.watermark(kContoso);
  ASSERT_TRUE(wm.ok() && wm->has_value());
  const std::size_t listings = f.contoso.windows.size();
  f.add(f.contoso, kContoso, "c2");    // appears while contoso is away
  std::this_thread::sleep_for(200ms);  // several poll intervals: nothing lists contoso
  EXPECT_EQ(f.contoso.windows.size(), listings);
  EXPECT_EQ(f.delivered("c2"), 0u);

  // Back: resumes; the blob created meanwhile arrives, the first one is not sent again.
  ASSERT_TRUE(collector.addStreams({{kContoso, &f.contoso, nullptr}}).ok());
  EXPECT_TRUE(f.hasRow("contoso"));
  ASSERT_TRUE(f.waitFor([&] { return f.delivered("c2") == 1; }));
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(f.delivered("c1"), 1u);
  EXPECT_EQ(f.delivered("c2"), 1u);

  // An unknown tenant is drained at once.
  EXPECT_TRUE(collector.removeTenant("nobody", f.clock.steadyNow(), stop.get_token()));
  stop.request_stop();
  runner.join();
  EXPECT_FALSE(
      collector.addStreams({{StreamKey{"late", "Audit.Exchange"}, &f.contoso, nullptr}}).ok());
}

}  // namespace
}  // namespace o365fwd
