#pragma once
// The deep sweep (collection.sweep_interval) and blob lateness, as pure pieces the Collector
// drives: which windows a sweep lists, when the next one is due, how late a newly listed blob is,
// and a bounded memory of the blobs already seen (so a re-listed blob is measured once).
// No I/O, no clock: callers pass the times. planSweep() and sweepDue() are pure (any thread);
// FirstListings and LatenessHistogram are plain values owned and locked by their users.
//
// Promises: planSweep() returns consecutive whole-second windows of at most 24 h covering
// [max(floor, oldest listable instant), watermark - overlap) — exactly the part of the retention
// the live listing no longer re-lists — and nothing when that range is empty.
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "connector/listing_windows.h"
#include "core/clock.h"

namespace o365fwd {

struct SweepPlanInput {
  WallTime watermark;             // the stream's stored watermark (a sweep needs one)
  std::optional<WallTime> floor;  // the stream's first listed instant; none: the whole retention
  std::chrono::milliseconds overlap{std::chrono::hours(12)};
  WallTime server_now;
  std::chrono::milliseconds retention{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds retention_margin{std::chrono::minutes(10)};
};

std::vector<ListingWindow> planSweep(const SweepPlanInput& input);

// A sweep is due when none completed yet or the last one started `interval` or more before `now`
// (local wall time). interval 0 disables the sweep: never due.
bool sweepDue(std::optional<WallTime> last_sweep, WallTime now, std::chrono::milliseconds interval);

// Upper bounds (seconds) of the lateness histogram buckets: 5m 15m 1h 6h 12h 24h 48h 72h 120h 168h.
inline constexpr std::array<std::int64_t, 10> kLatenessBoundsSeconds = {
    300, 900, 3600, 21600, 43200, 86400, 172800, 259200, 432000, 604800};

// Lateness (first listed − contentCreated) of newly listed blobs. counts[i] holds the observations
// in (bound[i-1], bound[i]]; the last entry those above the last bound (+Inf). Not cumulative.
struct LatenessHistogram {
  std::array<std::uint64_t, kLatenessBoundsSeconds.size() + 1> counts{};
  double sum_seconds = 0;
  std::uint64_t count = 0;
  void observe(std::chrono::milliseconds lateness);
  void add(const LatenessHistogram& other);
  bool operator==(const LatenessHistogram&) const = default;
};

// Content ids already measured, the oldest forgotten first beyond `capacity` (a blob re-listed
// after a failed download, usually minutes later, is not measured twice).
class FirstListings {
 public:
  explicit FirstListings(std::size_t capacity = 50'000) : capacity_(capacity) {}
  // True the first time `content_id` is passed (while remembered).
  bool firstTime(const std::string& content_id);

 private:
  std::size_t capacity_;
  std::unordered_set<std::string> seen_;
  std::deque<std::string> order_;
};

}  // namespace o365fwd
