#include "pipeline/deep_sweep.h"

#include <algorithm>

namespace o365fwd {

std::vector<ListingWindow> planSweep(const SweepPlanInput& input) {
  std::vector<ListingWindow> windows;
  const WallTime oldest = ceilToSecond(input.server_now - input.retention + input.retention_margin);
  WallTime lo = oldest;
  if (input.floor) lo = std::max(lo, floorToSecond(*input.floor));
  // The live listing starts at floor(watermark - overlap); the sweep ends there.
  const WallTime watermark = std::min(input.watermark, input.server_now);
  const WallTime hi = floorToSecond(
      watermark - std::max<std::chrono::milliseconds>(input.overlap, std::chrono::milliseconds(0)));
  for (WallTime start = lo; start < hi;) {
    const WallTime end = std::min(hi, start + std::chrono::hours(24));
    windows.push_back(ListingWindow{start, end});
    start = end;
  }
  return windows;
}

bool sweepDue(std::optional<WallTime> last_sweep, WallTime now,
              std::chrono::milliseconds interval) {
  if (interval <= std::chrono::milliseconds(0)) return false;
  return !last_sweep || now - *last_sweep >= interval || *last_sweep > now + interval;
}

void LatenessHistogram::observe(std::chrono::milliseconds lateness) {
  const double s = std::max<double>(0, static_cast<double>(lateness.count()) / 1000.0);
  std::size_t i = 0;
  while (i < kLatenessBoundsSeconds.size() && s > static_cast<double>(kLatenessBoundsSeconds[i]))
    ++i;
  ++counts[i];
  sum_seconds += s;
  ++count;
}

void LatenessHistogram::add(const LatenessHistogram& other) {
  for (std::size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  sum_seconds += other.sum_seconds;
  count += other.count;
}

bool FirstListings::firstTime(const std::string& content_id) {
  if (!seen_.insert(content_id).second) return false;
  order_.push_back(content_id);
  if (order_.size() > capacity_) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

}  // namespace o365fwd
