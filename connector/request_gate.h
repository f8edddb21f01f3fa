#pragma once
// A cap on how many requests of one kind run at once across every tenant of the process: the
// composition root owns one gate for token and subscription requests
// (collection.max_concurrent_setup_requests), shared by every tenant's TokenProvider and
// SubscriptionManager, so a fleet starting up never has more than that many requests at the
// login endpoint or on the subscription routes together.
//
// Threads: any; enter() blocks the calling worker. Promises: at most limit() permits are held at
// once; a permit is released exactly once (when the Permit is destroyed); enter() returns nullopt,
// without a permit, when `stop` is requested or `deadline` (steady time of the Clock) passes first.
// Waiters are not served in strict FIFO order.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>

#include "core/clock.h"
#include "core/result.h"

namespace o365fwd {

class RequestGate {
 public:
  // limit < 1 is treated as 1.
  RequestGate(int limit, Clock& clock);
  RequestGate(const RequestGate&) = delete;
  RequestGate& operator=(const RequestGate&) = delete;

  class Permit {
   public:
    Permit(Permit&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Permit& operator=(Permit&& other) noexcept {
      if (this != &other) {
        if (gate_ != nullptr) gate_->release();
        gate_ = other.gate_;
        other.gate_ = nullptr;
      }
      return *this;
    }
    ~Permit();

   private:
    friend class RequestGate;
    explicit Permit(RequestGate* gate) : gate_(gate) {}
    RequestGate* gate_;
  };

  std::optional<Permit> enter(std::stop_token stop, SteadyTime deadline);

  int limit() const { return limit_; }
  int inUse() const;
  std::uint64_t waits() const;  // enter() calls that found the gate full

 private:
  void release();

  const int limit_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  int in_use_ = 0;
  std::uint64_t waits_ = 0;
};

// What a request that got no permit returns: kCancelled when `stop` was requested, else a
// retryable error with code "setup_gate_timeout".
Error setupGateError(const std::stop_token& stop);

}  // namespace o365fwd
