#include "connector/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace o365fwd {
namespace {

constexpr double kNanosPerMinute = 60e9;

RateLimiterOptions fixedRate(int per_minute) {
  RateLimiterOptions o;
  o.start_per_minute = std::max(1, per_minute);
  o.ceiling_per_minute = o.start_per_minute;
  return o;
}

bool adaptive(const RateLimiterOptions& o) {
  return o.ceiling_per_minute > o.start_per_minute;
}

}  // namespace

RateLimiter::RateLimiter(int per_minute, Clock& clock)
    : RateLimiter(fixedRate(per_minute), clock) {}

RateLimiter::RateLimiter(const RateLimiterOptions& options, Clock& clock)
    : clock_(clock),
      options_(options),
      floor_(options.floor_per_minute > 0 ? options.floor_per_minute
                                          : std::max(1, std::min(options.start_per_minute, 60))),
      rate_(std::max(1, options.start_per_minute)),
      refilled_(clock.steadyNow()),
      interval_start_(refilled_) {
  std::lock_guard lock(mu_);
  setRateLocked(rate_, refilled_);
  slots_ = burst_;
}

void RateLimiter::setRateLocked(double per_minute, SteadyTime now) {
  refillLocked(now);
  rate_ = per_minute;
  const int whole = std::max(1, static_cast<int>(per_minute));
  // About three seconds' worth of the rate, at least one slot; a full bucket plus one minute of
  // refill must not exceed the rate.
  burst_ = std::max(1, whole / 20);
  slots_per_ns_ = static_cast<double>(std::max(1, whole - burst_)) / kNanosPerMinute;
  slots_ = std::min<double>(slots_, burst_);
}

void RateLimiter::refillLocked(SteadyTime now) {
  if (now <= refilled_) return;
  auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - refilled_).count();
  slots_ = std::min<double>(burst_, slots_ + static_cast<double>(elapsed) * slots_per_ns_);
  refilled_ = now;
}

double RateLimiter::grantedRateLocked(SteadyTime now) const {
  const double seconds =
      std::chrono::duration<double>(now - interval_start_ + options_.adjust_interval).count();
  if (seconds <= 0) return rate_;
  return static_cast<double>(previous_grants_ + interval_grants_) * 60.0 / seconds;
}

void RateLimiter::adjustLocked(SteadyTime now) {
  if (!adaptive(options_) || now - interval_start_ < options_.adjust_interval) return;
  if (waited_ && !throttled_now_ && rate_ < options_.ceiling_per_minute) {
    double next = throttled_ever_ ? rate_ + std::max(1.0, options_.additive_fraction * cut_rate_)
                                  : rate_ * options_.probe_factor;
    setRateLocked(std::min<double>(next, options_.ceiling_per_minute), now);
    ++raises_;
  }
  // After a quiet spell longer than two intervals nothing recent was granted.
  previous_grants_ = now - interval_start_ < 2 * options_.adjust_interval ? interval_grants_ : 0;
  interval_grants_ = 0;
  waited_ = false;
  throttled_now_ = false;
  interval_start_ = now;
}

bool RateLimiter::acquire(std::stop_token stop, SteadyTime* granted_at) {
  for (;;) {
    if (stop.stop_requested()) return false;
    SteadyTime deadline;
    {
      std::lock_guard lock(mu_);
      SteadyTime now = clock_.steadyNow();
      adjustLocked(now);
      if (now >= paused_until_) {
        refillLocked(now);
        if (slots_ >= 1.0) {
          slots_ -= 1.0;
          ++granted_;
          ++interval_grants_;
          if (granted_at) *granted_at = now;
          return true;
        }
        waited_ = true;  // the budget, not the work, is the limit
        // Nanoseconds until the bucket holds one whole slot (rounded up, at least 1 ns).
        double missing = (1.0 - slots_) / slots_per_ns_;
        deadline = now + std::chrono::nanoseconds(
                             std::max<long long>(1, static_cast<long long>(std::ceil(missing))));
        // Wake for the next adjustment too: the rate may rise before the slot is due.
        if (adaptive(options_))
          deadline = std::min(deadline, interval_start_ + options_.adjust_interval);
        deadline = std::max(deadline, now + std::chrono::nanoseconds(1));
      } else {
        deadline = paused_until_;
      }
    }
    // Another waiter may take the slot first; then we compute a new deadline and sleep again.
    if (!clock_.sleepUntil(deadline, stop)) return false;
  }
}

void RateLimiter::throttled() {
  if (!adaptive(options_)) return;
  std::lock_guard lock(mu_);
  SteadyTime now = clock_.steadyNow();
  throttled_now_ = true;  // no raise for the interval this closes
  adjustLocked(now);
  throttled_now_ = true;
  if (throttled_ever_ && now - last_cut_ < options_.cut_hold) return;  // the same episode
  const double from = std::min(rate_, std::max(grantedRateLocked(now), rate_ / 4));
  throttled_ever_ = true;
  cut_rate_ = from;
  last_cut_ = now;
  setRateLocked(std::max<double>(floor_, from * options_.decrease_factor), now);
  ++cuts_;
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

int RateLimiter::perMinute() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(rate_);
}

int RateLimiter::burst() const {
  std::lock_guard lock(mu_);
  return burst_;
}

RateLimiterState RateLimiter::state() const {
  std::lock_guard lock(mu_);
  RateLimiterState s;
  s.per_minute = static_cast<int>(rate_);
  s.start = options_.start_per_minute;
  s.ceiling = std::max(options_.start_per_minute, options_.ceiling_per_minute);
  s.raises = raises_;
  s.cuts = cuts_;
  s.adaptive = adaptive(options_);
  return s;
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
