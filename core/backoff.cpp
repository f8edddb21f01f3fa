#include "core/backoff.h"

#include <algorithm>
#include <cstdint>

namespace o365fwd {

std::chrono::milliseconds backoffDelay(const BackoffPolicy& policy, int attempt, Random& random,
                                       std::optional<std::chrono::seconds> retry_after) {
  using std::chrono::milliseconds;
  std::int64_t ceiling = policy.base.count();
  for (int i = 0; i < attempt && ceiling < policy.cap.count(); ++i) ceiling *= 2;
  ceiling = std::min<std::int64_t>(ceiling, policy.cap.count());
  auto jittered = static_cast<std::int64_t>(random.uniform() * static_cast<double>(ceiling));
  milliseconds delay(std::max<std::int64_t>(jittered, policy.floor.count()));
  if (retry_after) delay = std::max<milliseconds>(delay, *retry_after);
  return delay;
}

}  // namespace o365fwd
