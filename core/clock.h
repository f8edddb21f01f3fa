#pragma once
// The only source of time. Components take a Clock& so tests can drive time with FakeClock.
// Thread-safe: any thread may call any method.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace o365fwd {

using WallTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallTime wallNow() const = 0;      // API windows, checkpoint stamps
  virtual SteadyTime steadyNow() const = 0;  // timeouts, backoff deadlines
  // Sleeps until `deadline`. Returns false, early, when `stop` is requested; never sleeps past it.
  virtual bool sleepUntil(SteadyTime deadline, std::stop_token stop) = 0;
  bool sleepFor(std::chrono::steady_clock::duration d, std::stop_token stop) {
    return sleepUntil(steadyNow() + d, std::move(stop));
  }
};

class SystemClock final : public Clock {
 public:
  WallTime wallNow() const override;
  SteadyTime steadyNow() const override;
  bool sleepUntil(SteadyTime deadline, std::stop_token stop) override;
};

// Time moves only through advance()/setWall(). Sleepers wake when their deadline has passed.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime(std::chrono::seconds(1'736'856'000)));
  WallTime wallNow() const override;
  SteadyTime steadyNow() const override;
  bool sleepUntil(SteadyTime deadline, std::stop_token stop) override;
  void advance(std::chrono::steady_clock::duration d);
  void setWall(WallTime t);  // jumps wall time only (simulates a clock step)
  // When true, sleepUntil() advances time to the deadline itself instead of blocking.
  void setAutoAdvance(bool on);

 private:
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  WallTime wall_;
  SteadyTime steady_;
  bool auto_advance_ = false;
};

}  // namespace o365fwd
