#pragma once
// The in-memory time series behind the status page's charts (issue 11): one HistoryPoint per
// sample — records forwarded since the previous sample and the oldest lag — at most `capacity`
// points (360: six hours at one a minute), the oldest dropped first. Nothing is persisted; a
// restart starts an empty series. StatusHistory is thread-safe (one mutex, held for a copy):
// HistorySampler's thread records, the health server's render threads read.
// HistorySampler owns one thread that samples a StatusReport every `interval` (the first at
// start()); stop() (idempotent, destructor) joins it; every wait honours the stop token.
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "app/status/status_report.h"
#include "core/clock.h"

namespace o365fwd {

class StatusHistory {
 public:
  static constexpr std::size_t kDefaultCapacity = 360;
  explicit StatusHistory(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  // `records_total` is the process's running total (events_forwarded_run summed).
  void record(WallTime at, std::uint64_t records_total, std::optional<std::int64_t> oldest_lag,
              std::uint32_t problem_streams);
  // A sample from a whole report.
  void record(const StatusReport& report);
  std::vector<HistoryPoint> points() const;
  // Records per minute "now": since the last sample when it is at least 10 s old, else over the
  // last sampled interval; nothing before the first sample.
  std::optional<std::uint64_t> perMinute(WallTime now, std::uint64_t records_total) const;

 private:
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::deque<HistoryPoint> points_;
  std::uint64_t last_total_ = 0;
};

// The running total a report carries (what StatusHistory::record(report) samples).
std::uint64_t recordsForwardedThisRun(const StatusReport& report);

class HistorySampler {
 public:
  HistorySampler(StatusHistory& history, std::function<StatusReport()> snapshot,
                 std::chrono::milliseconds interval, Clock& clock)
      : history_(history), snapshot_(std::move(snapshot)), interval_(interval), clock_(clock) {}
  ~HistorySampler() { stop(); }
  void start();
  void stop();

 private:
  StatusHistory& history_;
  std::function<StatusReport()> snapshot_;
  std::chrono::milliseconds interval_;
  Clock& clock_;
  std::jthread thread_;
};

}  // namespace o365fwd
