#include "connector/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace o365fwd {
namespace {

constexpr double kNanosPerMinute = 60e9;

int burstFor(int per_minute) {
  // About three seconds' worth of the budget, at least one slot.
  return std::max(1, per_minute / 20);
}

double rateFor(int per_minute, int burst) {
  // A full bucket plus one minute of refill must not exceed the budget.
  return static_cast<double>(std::max(1, per_minute - burst)) / kNanosPerMinute;
}

}  // namespace

RateLimiter::RateLimiter(int per_minute, Clock& clock)
    : clock_(clock),
      per_minute_(std::max(1, per_minute)),
      burst_(burstFor(per_minute_)),
      slots_per_ns_(rateFor(per_minute_, burst_)),
      slots_(burst_),
      refilled_(clock.steadyNow()) {}

void RateLimiter::refillLocked(SteadyTime now) {
  if (now <= refilled_) return;
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - refilled_).count();
  slots_ = std::min<double>(burst_, slots_ + static_cast<double>(elapsed) * slots_per_ns_);
  refilled_ = now;
}

bool RateLimiter::acquire(std::stop_token stop, SteadyTime* granted_at) {
  for (;;) {
    if (stop.stop_requested()) return false;
    SteadyTime deadline;
    {
      std::lock_guard lock(mu_);
      SteadyTime now = clock_.steadyNow();
      if (now >= paused_until_) {
        refillLocked(now);
        if (slots_ >= 1.0) {
          slots_ -= 1.0;
          ++granted_;
          if (granted_at) *granted_at = now;
          return true;
        }
        // Nanoseconds until the bucket holds one whole slot (rounded up, at least 1 ns).
        double missing = (1.0 - slots_) / slots_per_ns_;
        deadline = now + std::chrono::nanoseconds(
                             std::max<long long>(1, static_cast<long long>(std::ceil(missing))));
      } else {
        deadline = paused_until_;
      }
    }
    // Another waiter may take the slot first; then we compute a new deadline and sleep again.
    if (!clock_.sleepUntil(deadline, stop)) return false;
  }
}

void RateLimiter::penalize(std::chrono::milliseconds pause) {
  std::lock_guard lock(mu_);
  SteadyTime now = clock_.steadyNow();
  SteadyTime until = now + pause;
  if (until <= paused_until_) return;
  paused_until_ = until;
  // No slots accumulate while paused: the tenant resumes at the steady rate.
  slots_ = 0;
  refilled_ = until;
}

SteadyTime RateLimiter::pausedUntil() const {
  std::lock_guard lock(mu_);
  return paused_until_;
}

std::uint64_t RateLimiter::granted() const {
  std::lock_guard lock(mu_);
  return granted_;
}

}  // namespace o365fwd
