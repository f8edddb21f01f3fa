#pragma once
// The composition root's connector half: one HTTP transport, and per tenant its rate limiter,
// token provider, API client, subscription manager, content lister and ContentSource adapter,
// built from the configuration. Used by `run`, `replay`, `subscriptions` and `validate`.
// Owns everything it builds; the destructor shuts the transport down (cancelling transfers)
// before the objects that use it go away. Thread-safe after create().
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "app/connector_content_source.h"
#include "connector/api_client_impl.h"
#include "connector/api_stats.h"
#include "connector/auth/token_provider.h"
#include "connector/content_lister.h"
#include "connector/graph/graph_client.h"
#include "connector/http/curl_multi_transport.h"
#include "connector/rate_limiter.h"
#include "connector/request_gate.h"
#include "connector/subscription_manager.h"
#include "core/clock.h"
#include "core/config/config.h"
#include "core/random.h"

namespace o365fwd {

struct TenantRuntime {
  const TenantConfig* config = nullptr;  // points at own_config
  std::unique_ptr<ApiStats> stats;       // this tenant's traffic with Microsoft, for /metrics
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<TokenProvider> tokens;
  std::unique_ptr<ApiClientImpl> api;
  std::unique_ptr<SubscriptionManager> subscriptions;
  std::unique_ptr<ContentLister> lister;
  std::unique_ptr<ConnectorContentSource> source;
  // Microsoft 365 service health (service_health: true only): a token for the Graph host from
  // the same credential (a second scope), and the Graph client on the tenant's request budget.
  std::unique_ptr<TokenProvider> graph_tokens;
  std::unique_ptr<GraphClient> graph;
  TenantConfig own_config;  // a copy: the tenant may outlive the configuration it came from
};

class Runtime {
 public:
  // `build_tenants` false (cluster mode): no tenant is built now; they come with buildTenant().
  static Result<std::unique_ptr<Runtime>> create(const Config& config, Clock& clock, Random& random,
                                                 bool build_tenants = true);
  ~Runtime();

  // Start-up only (before any tenant is added or released live).
  const std::vector<std::unique_ptr<TenantRuntime>>& tenants() const { return tenants_; }
  TenantRuntime* tenant(const std::string& name) const;

  // Live tenant changes (app/tenant_fleet.h), from any thread: one tenant's connector objects
  // are built on the shared transport, adopted, or released (the caller destroys them once no
  // stream uses them any more).
  std::unique_ptr<TenantRuntime> buildTenant(const TenantConfig& config);
  TenantRuntime* adoptTenant(std::unique_ptr<TenantRuntime> tenant);
  std::unique_ptr<TenantRuntime> releaseTenant(const std::string& name);
  HttpTransport& transport() { return *transport_; }
  // Each tenant's adaptive request rate, for the status report (any thread).
  std::vector<std::pair<std::string, RateLimiterState>> requestRates() const;
  // SIGHUP: the next token refresh reads the secret or certificate again.
  void reloadCredentials();

 private:
  Runtime(const CollectionConfig& collection, Clock& clock, Random& random)
      : collection_(collection), clock_(clock), random_(random) {}

  CollectionConfig collection_;
  Clock& clock_;
  Random& random_;
  std::unique_ptr<CurlMultiTransport> transport_;
  // collection.max_concurrent_setup_requests, for every tenant together: one gate for token
  // requests, one for subscription requests (a subscription request may need a token, so one
  // shared gate could be filled by subscription requests waiting for tokens).
  std::unique_ptr<RequestGate> token_gate_;
  std::unique_ptr<RequestGate> subscription_gate_;
  mutable std::mutex mu_;  // guards tenants_ against live changes
  std::vector<std::unique_ptr<TenantRuntime>> tenants_;
};

}  // namespace o365fwd
