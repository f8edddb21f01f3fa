#pragma once
// Request budgets of the Management API: one token bucket per tenant for requests that carry
// PublisherIdentifier, and one much smaller bucket shared by every request without it (the
// documented "shared pool"). A bucket holds up to per_minute requests and refills at
// per_minute/60 per second. Thread-safe.
#include <mutex>
#include <vector>

#include "core/clock.h"

namespace o365fwd::sim {

class Throttle {
 public:
  Throttle(Clock& clock, size_t tenants);
  // Takes one request from the right bucket; false when it is empty (answer AF429).
  bool allow(size_t tenant, bool with_publisher, int tenant_per_minute, int shared_per_minute);

 private:
  struct Bucket {
    double tokens = -1;  // < 0: not initialised (starts full)
    SteadyTime last{};
  };
  bool take(Bucket& b, int per_minute);
  Clock& clock_;
  std::mutex mu_;
  std::vector<Bucket> tenants_;
  Bucket shared_;
};

}  // namespace o365fwd::sim
