#pragma once
// Capped exponential backoff with full jitter: attempt n waits uniform(0, min(cap, base * 2^n)),
// never less than `floor` (so a storm of retries cannot hammer a server), and at least a server's
// Retry-After when one was given. Pure: randomness comes from the Random passed in.
#include <chrono>
#include <optional>

#include "core/random.h"

namespace o365fwd {

struct BackoffPolicy {
  std::chrono::milliseconds base{500};
  std::chrono::milliseconds cap{std::chrono::seconds(60)};
  std::chrono::milliseconds floor{100};
};

std::chrono::milliseconds backoffDelay(const BackoffPolicy& policy, int attempt, Random& random,
                                       std::optional<std::chrono::seconds> retry_after = std::nullopt);

}  // namespace o365fwd
