#include "app/status/status_history.h"

#include "app/status/fleet_health.h"

namespace o365fwd {

std::uint64_t recordsForwardedThisRun(const StatusReport& report) {
  std::uint64_t total = 0;
  for (const StreamReport& s : report.streams) total += s.events_forwarded_run;
  return total;
}

void StatusHistory::record(WallTime at, std::uint64_t records_total,
                           std::optional<std::int64_t> oldest_lag, std::uint32_t problem_streams) {
  std::lock_guard lock(mutex_);
  HistoryPoint p;
  p.at = at;
  p.oldest_lag_seconds = oldest_lag;
  p.problem_streams = problem_streams;
  if (!points_.empty()) {
    p.records = records_total >= last_total_ ? records_total - last_total_ : 0;
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(at - points_.back().at).count();
    p.seconds = secs > 0 ? static_cast<std::uint32_t>(secs) : 0;
  }
  last_total_ = records_total;
  points_.push_back(p);
  while (points_.size() > capacity_) points_.pop_front();
}

void StatusHistory::record(const StatusReport& report) {
  HealthSummary h = summarizeHealth(report);
  record(report.generated_at, recordsForwardedThisRun(report), h.oldest_lag_seconds,
         static_cast<std::uint32_t>(h.streams_error + h.streams_lagging + h.streams_disabled));
}

std::vector<HistoryPoint> StatusHistory::points() const {
  std::lock_guard lock(mutex_);
  return {points_.begin(), points_.end()};
}

std::optional<std::uint64_t> StatusHistory::perMinute(WallTime now,
                                                      std::uint64_t records_total) const {
  std::lock_guard lock(mutex_);
  if (points_.empty()) return std::nullopt;
  const HistoryPoint& last = points_.back();
  const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now - last.at).count();
  if (since >= 10'000 || last.seconds == 0) {
    if (since <= 0) return 0;
    const std::uint64_t delta = records_total >= last_total_ ? records_total - last_total_ : 0;
    return delta * 60'000 / static_cast<std::uint64_t>(since);
  }
  return last.records * 60 / last.seconds;
}

void HistorySampler::start() {
  thread_ = std::jthread([this](std::stop_token stop) {
    do {
      history_.record(snapshot_());
    } while (clock_.sleepFor(interval_, stop));
  });
}

void HistorySampler::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

}  // namespace o365fwd
