#pragma once
// In-memory StateLog (cluster/state/state_log.h) for unit tests: each partition is a vector of
// records that several FakeStateLog instances may share (a "topic" that outlives a store, so a test
// can reopen a store over it), with compaction on demand and injected write failures. Thread-safe.
// Unit tests only.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/state/state_log.h"

namespace o365fwd::testing {

struct FakeStateTopic {
  std::mutex mu;
  std::map<std::int32_t, std::vector<StateLogRecord>> partitions;
  int fail_writes = 0;            // the next this many write() calls fail
  bool fail_after_first = false;  // a failing write() stores its first record (a partial write)
  int writes = 0;                 // write() and writeAsync() calls that stored records

  // Keeps the last record of each key (tombstones included), in offset order, as compaction does.
  void compact() {
    std::lock_guard lock(mu);
    for (auto& [p, records] : partitions) {
      std::map<std::string, std::size_t> last;
      for (std::size_t i = 0; i < records.size(); ++i) last[records[i].key] = i;
      std::vector<StateLogRecord> kept;
      for (std::size_t i = 0; i < records.size(); ++i)
        if (last[records[i].key] == i) kept.push_back(records[i]);
      records = std::move(kept);
    }
  }
  std::size_t size() {
    std::lock_guard lock(mu);
    std::size_t n = 0;
    for (const auto& [_, r] : partitions) n += r.size();
    return n;
  }
};

class FakeStateLog final : public StateLog {
 public:
  explicit FakeStateLog(std::shared_ptr<FakeStateTopic> topic) : topic_(std::move(topic)) {}

  Status write(const std::vector<StateLogRecord>& records) override {
    std::lock_guard lock(topic_->mu);
    if (topic_->fail_writes > 0) {
      --topic_->fail_writes;
      if (topic_->fail_after_first && !records.empty())
        topic_->partitions[records[0].partition].push_back(records[0]);
      return Error::retryableError(ErrorKind::kTransport,
                                   "the cluster state could not be written to fake.state "
                                   "(injected failure)");
    }
    for (const StateLogRecord& r : records) topic_->partitions[r.partition].push_back(r);
    ++topic_->writes;
    return okStatus();
  }
  void writeAsync(const std::vector<StateLogRecord>& records) override {
    std::lock_guard lock(topic_->mu);
    for (const StateLogRecord& r : records) topic_->partitions[r.partition].push_back(r);
    ++topic_->writes;
  }
  Status read(const std::vector<std::int32_t>& partitions, std::chrono::milliseconds,
              std::stop_token stop, const RecordVisitor& visit) override {
    if (stop.stop_requested())
      return Error::permanent(ErrorKind::kCancelled, "reading fake.state was stopped");
    std::map<std::int32_t, std::vector<StateLogRecord>> copy;
    {
      std::lock_guard lock(topic_->mu);
      for (std::int32_t p : partitions)
        if (auto it = topic_->partitions.find(p); it != topic_->partitions.end())
          copy[p] = it->second;
    }
    for (const auto& [p, records] : copy)
      for (std::size_t i = 0; i < records.size(); ++i) {
        std::optional<std::string_view> value;
        if (records[i].value) value = *records[i].value;
        visit(p, records[i].key, value, static_cast<std::int64_t>(i));
      }
    return okStatus();
  }
  std::string describe() const override { return "fake.state on fake:9092"; }

 private:
  std::shared_ptr<FakeStateTopic> topic_;
};

}  // namespace o365fwd::testing
