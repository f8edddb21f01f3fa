#pragma once
// One tenant's request budget (collection.max_requests_per_minute), shared by every request of
// the tenant: subscription calls, listings and blob downloads. Owned per tenant by the composition
// root; thread-safe: any worker calls acquire() and blocks in it.
//
// A token bucket holding at most `burst` slots (about 3 s worth of the budget), refilled at
// (per_minute - burst) per minute. So the budget is a hard ceiling: in any 60-second window at
// most `per_minute` acquisitions succeed (for per_minute >= 2; with per_minute == 1, at most 2).
// The sustained rate is therefore ~5 % below the configured figure, which leaves headroom under
// Microsoft's ~2,000/min per tenant.
//
// penalize() pauses the whole tenant (after an AF429) so every worker backs off together; slots
// do not accumulate during a pause, so requests resume at the steady rate, not in a burst.
// Time comes only from the Clock; waits go through Clock::sleepUntil and honour the stop token.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stop_token>

#include "core/clock.h"

namespace o365fwd {

class RateLimiter {
 public:
  // per_minute < 1 is treated as 1.
  RateLimiter(int per_minute, Clock& clock);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Blocks until a slot is free (and any penalty has passed), takes it and returns true; returns
  // false, without taking a slot, as soon as `stop` is requested. `granted_at`, when given,
  // receives the steady time at which the slot was taken (for metrics and tests).
  bool acquire(std::stop_token stop, SteadyTime* granted_at = nullptr);

  // Pauses every acquire() of this tenant until now + pause (a longer pending pause wins).
  void penalize(std::chrono::milliseconds pause);

  int perMinute() const { return per_minute_; }
  int burst() const { return burst_; }
  // Steady time until which the tenant is paused (epoch of the steady clock when never).
  SteadyTime pausedUntil() const;
  std::uint64_t granted() const;

 private:
  void refillLocked(SteadyTime now);

  Clock& clock_;
  const int per_minute_;
  const int burst_;
  const double slots_per_ns_;  // refill rate

  mutable std::mutex mu_;
  double slots_;         // available slots, <= burst_
  SteadyTime refilled_;  // time of the last refill
  SteadyTime paused_until_{};
  std::uint64_t granted_ = 0;
};

}  // namespace o365fwd
