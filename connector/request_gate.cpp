#include "connector/request_gate.h"

#include <algorithm>

namespace o365fwd {

RequestGate::RequestGate(int limit, Clock& clock) : limit_(std::max(1, limit)), clock_(clock) {}

RequestGate::Permit::~Permit() {
  if (gate_ != nullptr) gate_->release();
}

std::optional<RequestGate::Permit> RequestGate::enter(std::stop_token stop, SteadyTime deadline) {
  std::unique_lock lock(mu_);
  if (in_use_ >= limit_) ++waits_;
  while (in_use_ >= limit_) {
    if (stop.stop_requested() || clock_.steadyNow() >= deadline) return std::nullopt;
    // The deadline is on the Clock (FakeClock in tests): look at it again at least every 50 ms.
    cv_.wait_for(lock, stop, std::chrono::milliseconds(50), [&] { return in_use_ < limit_; });
  }
  if (stop.stop_requested()) return std::nullopt;
  ++in_use_;
  return Permit(this);
}

void RequestGate::release() {
  {
    std::lock_guard lock(mu_);
    --in_use_;
  }
  cv_.notify_one();
}

int RequestGate::inUse() const {
  std::lock_guard lock(mu_);
  return in_use_;
}

std::uint64_t RequestGate::waits() const {
  std::lock_guard lock(mu_);
  return waits_;
}

Error setupGateError(const std::stop_token& stop) {
  if (stop.stop_requested()) return Error::retryableError(ErrorKind::kCancelled, "stopping");
  return Error::retryableError(ErrorKind::kTransport,
                               "no place for a token or subscription request within the request "
                               "timeout (collection.max_concurrent_setup_requests are all busy)",
                               "setup_gate_timeout");
}

}  // namespace o365fwd
