#pragma once
// One tenant's request budget, shared by every request of the tenant: subscription calls,
// listings and blob downloads. Owned per tenant by the composition root; thread-safe: any worker
// calls acquire() and blocks in it; ApiClientImpl reports throttled answers with throttled().
//
// A token bucket holding at most `burst` slots (about 3 s worth of the rate), refilled at
// (rate - burst) per minute. So the rate is a hard ceiling: in any 60-second window at most
// `rate` acquisitions succeed (for rate >= 2; with rate == 1, at most 2). The sustained rate is
// ~5 % below the figure.
//
// Adaptive rate (issue 14 part 5): the rate starts at `start_per_minute` (the composition root:
// kStartRequestsPerMinute, or the ceiling when lower) and is learned between a floor and
// `ceiling_per_minute` (collection.max_requests_per_minute; equal to the start: fixed):
// - raised once per `adjust_interval` in which workers had to wait for a slot (the budget, not
//   the work, was the limit) and no answer was throttled: until the first throttled answer by
//   `probe_factor` (a fast start, so a backlog does not wait minutes for the rate), after it by
//   `additive_fraction` of the rate at the last cut (additive increase);
// - cut on a throttled answer (AF429 / HTTP 429) to `decrease_factor` x the lower of the rate
//   and the rate actually granted over the last two intervals (multiplicative decrease), at most
//   once per `cut_hold`: the requests already in flight when the budget ran out come back
//   throttled together and are one signal, not many. The granted rate counts at least a quarter
//   of the rate, so a throttled answer after a quiet spell does not drop it to the floor.
// Never above the ceiling, never below the floor.
//
// penalize() pauses the whole tenant (after an AF429, for the backoff delay or Retry-After) so
// every worker backs off together; slots do not accumulate during a pause, so requests resume at
// the steady rate, not in a burst.
// Time comes only from the Clock; waits go through Clock::sleepUntil and honour the stop token.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stop_token>

#include "core/clock.h"

namespace o365fwd {

// Where an adaptive rate starts: Microsoft's documented baseline of ~2,000 requests a minute per
// tenant, less 10 % (the default max_requests_per_minute before the rate was adaptive).
inline constexpr int kStartRequestsPerMinute = 1800;

struct RateLimiterOptions {
  int start_per_minute = 1800;
  int ceiling_per_minute = 1800;  // <= start: a fixed rate
  int floor_per_minute = 0;       // 0: min(start, 60)
  std::chrono::milliseconds adjust_interval{std::chrono::seconds(1)};
  double probe_factor = 1.25;
  double additive_fraction = 0.01;
  double decrease_factor = 0.7;
  std::chrono::milliseconds cut_hold{std::chrono::seconds(1)};
};

// What the controller has learned, for /status and /metrics.
struct RateLimiterState {
  int per_minute = 0;  // the current rate
  int start = 0;
  int ceiling = 0;
  std::uint64_t raises = 0;
  std::uint64_t cuts = 0;
  bool adaptive = false;
};

class RateLimiter {
 public:
  // A fixed rate: per_minute < 1 is treated as 1.
  RateLimiter(int per_minute, Clock& clock);
  RateLimiter(const RateLimiterOptions& options, Clock& clock);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Blocks until a slot is free (and any penalty has passed), takes it and returns true; returns
  // false, without taking a slot, as soon as `stop` is requested. `granted_at`, when given,
  // receives the steady time at which the slot was taken (for metrics and tests).
  bool acquire(std::stop_token stop, SteadyTime* granted_at = nullptr);

  // Pauses every acquire() of this tenant until now + pause (a longer pending pause wins).
  void penalize(std::chrono::milliseconds pause);
  // A throttled answer (AF429 / HTTP 429): cuts an adaptive rate (see above).
  void throttled();

  int perMinute() const;
  int burst() const;
  RateLimiterState state() const;
  // Steady time until which the tenant is paused (epoch of the steady clock when never).
  SteadyTime pausedUntil() const;
  std::uint64_t granted() const;

 private:
  void refillLocked(SteadyTime now);
  void setRateLocked(double per_minute, SteadyTime now);
  void adjustLocked(SteadyTime now);
  double grantedRateLocked(SteadyTime now) const;  // per minute, over the last two intervals

  Clock& clock_;
  const RateLimiterOptions options_;
  const int floor_;

  mutable std::mutex mu_;
  double rate_ = 1;          // per minute
  int burst_ = 1;            // slots
  double slots_per_ns_ = 0;  // refill rate
  double slots_ = 0;         // available slots, <= burst_
  SteadyTime refilled_;      // time of the last refill
  SteadyTime paused_until_{};
  std::uint64_t granted_ = 0;

  // The controller's interval bookkeeping.
  SteadyTime interval_start_;
  std::uint64_t interval_grants_ = 0;
  std::uint64_t previous_grants_ = 0;
  bool waited_ = false;          // a worker waited for a slot in this interval
  bool throttled_now_ = false;   // a throttled answer in this interval
  bool throttled_ever_ = false;  // past the fast start
  double cut_rate_ = 0;          // the rate the last cut started from
  SteadyTime last_cut_{};
  std::uint64_t raises_ = 0;
  std::uint64_t cuts_ = 0;
};

}  // namespace o365fwd
