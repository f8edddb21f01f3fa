#include "connector/listing_windows.h"

#include <algorithm>

namespace o365fwd {

WallTime floorToSecond(WallTime t) {
  return std::chrono::floor<std::chrono::seconds>(t);
}

WallTime ceilToSecond(WallTime t) {
  return std::chrono::ceil<std::chrono::seconds>(t);
}

WindowPlan planWindows(const WindowPlanInput& input) {
  using std::chrono::milliseconds;
  WindowPlan plan;
  const milliseconds max_window = std::chrono::floor<std::chrono::seconds>(
      std::clamp<milliseconds>(input.max_window, std::chrono::seconds(1), std::chrono::hours(24)));
  const milliseconds overlap = std::max<milliseconds>(input.overlap, milliseconds(0));

  // hi rounds down: [hi, now) is listed by the next cycle, nothing is skipped.
  const WallTime hi = floorToSecond(input.server_now);
  // The oldest start the API accepts, with margin; rounded up so the clamp never exceeds it.
  const WallTime oldest = ceilToSecond(input.server_now - input.retention + input.retention_margin);

  std::optional<WallTime> watermark = input.watermark;
  if (watermark && *watermark > input.server_now) {
    plan.watermark_in_future = true;
    watermark = input.server_now;
  }

  // lo rounds down: a start earlier by < 1 s only re-lists, it never skips.
  WallTime lo =
      floorToSecond(watermark ? *watermark - overlap : input.server_now - input.initial_lookback);
  if (lo < oldest) {
    if (watermark) {
      const WallTime wm = floorToSecond(*watermark);
      if (wm < oldest) plan.unrecoverable_gap = ListingWindow{wm, oldest};
      if (lo < wm) plan.overlap_cut = ListingWindow{lo, std::min(wm, oldest)};
    }
    lo = oldest;
  }

  for (WallTime start = lo; start < hi;) {
    const WallTime end = hi - start > max_window ? start + max_window : hi;
    plan.windows.push_back(ListingWindow{start, end});
    start = end;
  }
  return plan;
}

}  // namespace o365fwd
