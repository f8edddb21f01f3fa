#include "app/runtime.h"

#include <algorithm>

#include "core/secrets/secret_loader.h"
#include "core/version.h"

namespace o365fwd {

Result<std::unique_ptr<Runtime>> Runtime::create(const Config& config, Clock& clock, Random& random,
                                                 bool build_tenants) {
  std::unique_ptr<Runtime> rt(new Runtime(config.collection, clock, random));
  CurlTransportOptions transport_options;
  // Downloads plus listing and token requests of every tenant share the transport.
  transport_options.max_concurrent =
      config.collection.max_concurrent_downloads + 4 * static_cast<int>(config.tenants.size()) + 4;
  // As many idle connections kept as can be busy at once (every lister, worker and sweeper with
  // a request in flight; connections are only opened when a request needs one, and idle ones
  // close after libcurl's 118 s): a fleet has ~80 requests in flight, and a cache of 32 closed
  // the surplus connection at every answer and opened another for the next request (5,000 TCP
  // and, against the real API, TLS handshakes in a 1,000-tenant run --once).
  transport_options.connection_cache =
      std::clamp<long>(transport_options.max_concurrent, transport_options.connection_cache, 256);
  transport_options.user_agent = std::string("o365fwd/") + kVersion;
  auto transport = CurlMultiTransport::create(transport_options);
  if (!transport.ok()) return transport.error();
  rt->transport_ = std::move(*transport);
  rt->token_gate_ =
      std::make_unique<RequestGate>(config.collection.max_concurrent_setup_requests, clock);
  rt->subscription_gate_ =
      std::make_unique<RequestGate>(config.collection.max_concurrent_setup_requests, clock);

  if (build_tenants)
    for (const TenantConfig& tc : config.tenants) rt->tenants_.push_back(rt->buildTenant(tc));
  return rt;
}

std::unique_ptr<TenantRuntime> Runtime::buildTenant(const TenantConfig& config) {
  auto t = std::make_unique<TenantRuntime>();
  t->own_config = config;
  t->config = &t->own_config;
  const TenantConfig& tc = t->own_config;
  Clock& clock = clock_;
  t->stats = std::make_unique<ApiStats>();
  // Adaptive (issue 14 part 5): max_requests_per_minute is the ceiling; the rate starts at
  // kStartRequestsPerMinute (or the ceiling when lower) and is learned from the answers.
  RateLimiterOptions rate;
  rate.ceiling_per_minute = collection_.max_requests_per_minute;
  rate.start_per_minute = std::min(rate.ceiling_per_minute, kStartRequestsPerMinute);
  t->limiter = std::make_unique<RateLimiter>(rate, clock);

  TokenProviderOptions token_options;
  token_options.login_url = tc.login_url;
  token_options.tenant = tc.tenant_id;
  token_options.client_id = tc.client_id;
  token_options.api_url = tc.api_url;
  token_options.endpoint = tc.token_endpoint;
  token_options.request_timeout = collection_.request_timeout;
  token_options.stall_timeout = collection_.stall_timeout;
  token_options.gate = token_gate_.get();
  if (tc.certificate_file) {
    token_options.certificate = [&tc, &clock]() -> Result<CertificateCredential> {
      auto loaded = loadCertificate(tc, clock.wallNow());
      if (!loaded.ok()) return loaded.error();
      CertificateCredential credential;
      credential.certificate = std::move(loaded->certificate);
      credential.key = std::move(loaded->key);
      return credential;
    };
  } else {
    token_options.client_secret = [&tc]() -> Result<Secret> {
      auto loaded = loadClientSecret(tc);
      if (!loaded.ok()) return loaded.error();
      return std::move(loaded->secret);
    };
  }
  if (tc.service_health) {
    // The same credential, for the Graph host: scope <graph_url>/.default (v1: resource).
    TokenProviderOptions graph_token_options = token_options;
    graph_token_options.api_url = tc.graph_url;
    t->graph_tokens = std::make_unique<TokenProvider>(std::move(graph_token_options), *transport_,
                                                      clock, random_, t->stats.get());
  }
  t->tokens = std::make_unique<TokenProvider>(std::move(token_options), *transport_, clock, random_,
                                              t->stats.get());

  ApiClientOptions api_options;
  api_options.api_url = tc.api_url;
  api_options.publisher_id = tc.publisher_id;
  api_options.request_timeout = collection_.request_timeout;
  api_options.max_blob_bytes = collection_.max_blob_size;
  api_options.low_speed_time = collection_.stall_timeout;
  t->api = std::make_unique<ApiClientImpl>(api_options, *transport_, *t->tokens, *t->limiter, clock,
                                           random_, *t->stats);
  SubscriptionManager::Options subscription_options;
  subscription_options.gate = subscription_gate_.get();
  subscription_options.gate_wait = collection_.request_timeout;
  t->subscriptions =
      std::make_unique<SubscriptionManager>(*t->api, clock, tc.name, subscription_options);
  t->lister = std::make_unique<ContentLister>(*t->api, *t->subscriptions, clock);
  t->source = std::make_unique<ConnectorContentSource>(*t->api, *t->subscriptions, *t->lister);
  if (t->graph_tokens) {
    GraphClientOptions graph_options;
    graph_options.graph_url = tc.graph_url;
    graph_options.request_timeout =
        std::min<std::chrono::milliseconds>(collection_.request_timeout, std::chrono::seconds(120));
    graph_options.low_speed_time = collection_.stall_timeout;
    t->graph = std::make_unique<GraphClient>(graph_options, *transport_, *t->graph_tokens,
                                             *t->limiter, clock, random_);
  }
  return t;
}

TenantRuntime* Runtime::adoptTenant(std::unique_ptr<TenantRuntime> tenant) {
  std::lock_guard lock(mu_);
  tenants_.push_back(std::move(tenant));
  return tenants_.back().get();
}

std::unique_ptr<TenantRuntime> Runtime::releaseTenant(const std::string& name) {
  std::lock_guard lock(mu_);
  for (auto it = tenants_.begin(); it != tenants_.end(); ++it) {
    if ((*it)->config->name != name) continue;
    std::unique_ptr<TenantRuntime> out = std::move(*it);
    tenants_.erase(it);
    return out;
  }
  return nullptr;
}

Runtime::~Runtime() {
  if (transport_) transport_->shutdown();
}

TenantRuntime* Runtime::tenant(const std::string& name) const {
  std::lock_guard lock(mu_);
  for (const auto& t : tenants_)
    if (t->config->name == name) return t.get();
  return nullptr;
}

std::vector<std::pair<std::string, RateLimiterState>> Runtime::requestRates() const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, RateLimiterState>> out;
  out.reserve(tenants_.size());
  for (const auto& t : tenants_) out.emplace_back(t->config->name, t->limiter->state());
  return out;
}

void Runtime::reloadCredentials() {
  std::lock_guard lock(mu_);
  for (const auto& t : tenants_) {
    t->tokens->reload();
    if (t->graph_tokens) t->graph_tokens->reload();
  }
}

}  // namespace o365fwd
