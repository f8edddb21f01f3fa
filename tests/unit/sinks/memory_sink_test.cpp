// The in-memory fake must honour the same Sink contract as the real sinks.
#include "tests/fakes/memory_sink.h"

#include <memory>

#include "tests/unit/sinks/sink_contract_test.h"

namespace o365fwd::testing {
namespace {

struct MemorySinkTraits {
  MemorySink* sink = nullptr;  // owned by the test body

  std::unique_ptr<Sink> make(std::uint64_t queue_bytes = 0) {
    auto owned = std::make_unique<MemorySink>("memory-test");
    sink = owned.get();
    if (queue_bytes > 0) owned->setCapacity(1);
    return owned;
  }
  std::vector<std::string> destination() { return sink->records(); }
  void stall() { sink->setAutoDeliver(false); }
  void unstall() {
    sink->setAutoDeliver(true);
    sink->deliverPending();
  }
};

INSTANTIATE_TYPED_TEST_SUITE_P(Memory, SinkContractTest, MemorySinkTraits);

TEST(MemorySink, PolicyCanRejectRecords) {
  MemorySink sink;
  ASSERT_TRUE(sink.start().ok());
  sink.setPolicy([](const RecordBatch&) {
    DeliveryReport r;
    r.rejected.push_back(RejectedRecord{1, "too large"});
    return r;
  });
  CallbackLog log;
  sink.send(makeTestBatch("p", 3), log.callback(0), {});
  ASSERT_EQ(log.calls(0), 1u);
  EXPECT_EQ(log.report(0).rejected.size(), 1u);
  EXPECT_EQ(sink.records().size(), 2u);
  EXPECT_EQ(sink.stats().rejected, 1u);
}

}  // namespace
}  // namespace o365fwd::testing
