#pragma once
// Pure planning of the /subscriptions/content listing windows of one stream for one poll cycle.
// No state, no I/O, no clock: the caller passes the server's "now" (local now + ApiClient skew).
// Any thread may call it.
//
// Promises: windows are consecutive, [start, end) with start inclusive and end exclusive (the
// API's t0 <= contentCreated < t1), whole seconds (the API time format has no fraction), each at
// most max_window (<= 24 h, the API limit beyond which results are silently partial), and none
// starts earlier than server_now - retention + retention_margin (the API's 7-day limit).
#include <chrono>
#include <optional>
#include <vector>

#include "core/clock.h"

namespace o365fwd {

struct ListingWindow {
  WallTime start;  // inclusive
  WallTime end;    // exclusive
  bool operator==(const ListingWindow&) const = default;
};

struct WindowPlanInput {
  // Every listed blob created before it is acknowledged; nullopt on the stream's first start.
  std::optional<WallTime> watermark;
  std::chrono::milliseconds overlap{std::chrono::hours(12)};  // re-listed behind the watermark
  std::chrono::milliseconds initial_lookback{std::chrono::hours(24)};  // first start only
  WallTime server_now;  // local wall time + ApiClient::clockSkew()
  std::chrono::milliseconds retention{std::chrono::hours(24 * 7)};  // how far back the API lists
  std::chrono::milliseconds retention_margin{std::chrono::minutes(10)};  // slack for slow calls
  std::chrono::milliseconds max_window{std::chrono::hours(24)};          // clamped to [1 s, 24 h]
};

struct WindowPlan {
  // Oldest first; empty when there is nothing to list (e.g. overlap 0 and watermark == now).
  std::vector<ListingWindow> windows;
  // [watermark, oldest listable instant): never listed and now beyond the API's retention, so
  // content created there is lost. Report it at ERROR. Only set when a watermark exists.
  std::optional<ListingWindow> unrecoverable_gap;
  // Part of the re-list margin [watermark - overlap, watermark) that the retention clamp cut off:
  // it was listed before, but late content there can no longer be caught. Worth a WARN.
  std::optional<ListingWindow> overlap_cut;
  // The watermark was later than server_now (the clock moved back); it was treated as server_now.
  bool watermark_in_future = false;
};

WindowPlan planWindows(const WindowPlanInput& input);

// Whole seconds toward the past / the future.
WallTime floorToSecond(WallTime t);
WallTime ceilToSecond(WallTime t);

}  // namespace o365fwd
