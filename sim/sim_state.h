#pragma once
// The simulator's run-time state that requests read and change: per-tenant settings (auditing,
// forced token error, throttle, subscription states), global knobs (faults, token lifetime,
// page size, clock skew) and per-blob fetch counters for the invalid-JSON knob. Initialised
// from the SimConfig; changed by subscription calls and POST /_sim/config.
// Thread-safe: every method may be called from any server thread.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "sim/scenario.h"

namespace o365fwd::sim {

struct TenantRuntime {
  bool auditing_enabled = true;
  int forced_token_error = 0;
  ThrottleConfig throttle;
  std::array<SubscriptionState, kContentTypeCount> subscriptions{};
};

struct GlobalRuntime {
  FaultConfig faults;
  int token_lifetime = 3599;
  int page_size = 100;
  int shared_throttle_per_minute = 200;
};

class SimState {
 public:
  SimState(const SimConfig& config, Clock& clock);

  // The simulator's "now": the real clock plus the configured skew.
  WallTime now() const;
  std::int64_t nowMs() const;
  std::int64_t nowSeconds() const { return nowMs() / 1000; }

  GlobalRuntime global() const;
  TenantRuntime tenant(size_t i) const;
  size_t tenantCount() const;
  void setSubscription(size_t tenant, size_t content_type, SubscriptionState s);

  // Counts a fetch of a blob and returns how many fetches it has had, this one included.
  int countFetch(size_t tenant, size_t content_type, size_t blob);

  // Applies a POST /_sim/config document (see docs/SIMULATOR.md). `tenant_ids` maps the
  // "tenant" selector (GUID, domain or name) to indices. Sets *expire_tokens when the document
  // asks to expire every issued token now.
  Status applyUpdate(std::string_view json, const std::vector<TenantConfig>& tenants,
                     bool* expire_tokens);
  // The current run-time settings as JSON (GET /_sim/config).
  std::string describe(const std::vector<TenantConfig>& tenants) const;

 private:
  Clock& clock_;
  std::atomic<std::int64_t> skew_ms_;
  mutable std::mutex mu_;
  GlobalRuntime global_;
  std::vector<TenantRuntime> tenants_;
  std::map<std::tuple<size_t, size_t, size_t>, int> fetches_;
};

}  // namespace o365fwd::sim
