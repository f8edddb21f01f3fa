#pragma once
// Answers the health endpoint's probes (/livez, /readyz) from one snapshot per batch: every probe
// waiting when a snapshot starts is answered from it, so a flood of probes costs one snapshot at
// a time (20 ms for 5,000 streams, docs/BENCHMARKS.md) on this thread, never on the server's
// polling thread, and each answer is at least as fresh as its request. A deadlocked daemon makes
// the snapshot, and so every probe, hang — what probes are for.
// Owns one thread. submit() is called on the polling thread and never blocks; it refuses past
// `limit` waiting probes or once stopping. stop() (idempotent, also in the destructor) answers
// every accepted probe, then joins: each accepted reply runs exactly once.
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "app/status/status_report.h"

namespace o365fwd {

class ProbeBatcher {
 public:
  using Reply = std::function<void(const StatusReport&)>;
  ProbeBatcher(std::function<StatusReport()> snapshot, std::size_t limit);
  ~ProbeBatcher();
  ProbeBatcher(const ProbeBatcher&) = delete;
  ProbeBatcher& operator=(const ProbeBatcher&) = delete;

  // On acceptance `on_accept` runs first (under the lock, before the reply can run).
  bool submit(Reply reply, const std::function<void()>& on_accept);
  void stop();

 private:
  void work(std::stop_token stop);

  std::function<StatusReport()> snapshot_;
  const std::size_t limit_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::vector<Reply> waiting_;
  bool stopping_ = false;
  std::jthread thread_;
};

}  // namespace o365fwd
