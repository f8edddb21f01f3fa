#include "sim/throttle.h"

#include <algorithm>

namespace o365fwd::sim {

Throttle::Throttle(Clock& clock, size_t tenants) : clock_(clock), tenants_(tenants) {}

bool Throttle::allow(size_t tenant, bool with_publisher, int tenant_per_minute,
                     int shared_per_minute) {
  std::lock_guard lock(mu_);
  return with_publisher ? take(tenants_.at(tenant), tenant_per_minute)
                        : take(shared_, shared_per_minute);
}

bool Throttle::take(Bucket& b, int per_minute) {
  const double capacity = std::max(per_minute, 1);
  SteadyTime now = clock_.steadyNow();
  if (b.tokens < 0) {
    b.tokens = capacity;
  } else {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(capacity, b.tokens + elapsed * capacity / 60.0);
  }
  b.last = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

}  // namespace o365fwd::sim
