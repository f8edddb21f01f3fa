#include "core/clock.h"

namespace o365fwd {

WallTime SystemClock::wallNow() const { return std::chrono::system_clock::now(); }
SteadyTime SystemClock::steadyNow() const { return std::chrono::steady_clock::now(); }

bool SystemClock::sleepUntil(SteadyTime deadline, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  // wait_until with a stop_token returns early when stop is requested.
  cv.wait_until(lock, stop, deadline, [] { return false; });
  return !stop.stop_requested();
}

FakeClock::FakeClock(WallTime start) : wall_(start), steady_(std::chrono::hours(1000)) {}

WallTime FakeClock::wallNow() const {
  std::lock_guard lock(mu_);
  return wall_;
}

SteadyTime FakeClock::steadyNow() const {
  std::lock_guard lock(mu_);
  return steady_;
}

bool FakeClock::sleepUntil(SteadyTime deadline, std::stop_token stop) {
  std::unique_lock lock(mu_);
  if (auto_advance_ && deadline > steady_) {
    wall_ += deadline - steady_;
    steady_ = deadline;
    cv_.notify_all();
  }
  cv_.wait(lock, stop, [&] { return steady_ >= deadline; });
  return !stop.stop_requested();
}

void FakeClock::advance(std::chrono::steady_clock::duration d) {
  {
    std::lock_guard lock(mu_);
    steady_ += d;
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  }
  cv_.notify_all();
}

void FakeClock::setWall(WallTime t) {
  std::lock_guard lock(mu_);
  wall_ = t;
}

void FakeClock::setAutoAdvance(bool on) {
  std::lock_guard lock(mu_);
  auto_advance_ = on;
}

}  // namespace o365fwd
