#pragma once
// The production ApiClient (see connector/api_client.h for the contract): one per tenant, built
// by the composition root from the tenant's TokenProvider, RateLimiter and ApiStats and the
// process's HttpTransport. Holds references only; thread-safe; call() blocks the calling worker.
//
// Per call: the URL is resolved once (a relative path is joined to
// <api_url>/api/v1.0/<tenant GUID>/activity/feed/; an absolute URL must pass checkApiUrl(), else
// Error "untrusted_uri" and nothing is sent), PublisherIdentifier is appended, then each attempt
// waits for the tenant budget, takes a token and sends the request:
// - 2xx: returned.
// - 401, or AF10001: the token is invalidated and the request repeated once with a new token
//   (this extra attempt is not counted); a second refusal is returned.
// - AF429 / 429: the whole tenant is paused (RateLimiter::penalize) for the backoff delay
//   (Retry-After honoured, capped at max_retry_after), then retried.
// - other retryable errors (5xx, 408, transport): capped exponential backoff with jitter.
// - permanent errors: returned at once.
// After max_attempts the last error is returned (still retryable: the caller retries next cycle).
// Every response's Date header updates clockSkew(). Sleeps go through Clock and honour `stop`.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "connector/api_client.h"
#include "connector/api_stats.h"
#include "connector/auth/token_provider.h"
#include "connector/http/http_transport.h"
#include "connector/rate_limiter.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/random.h"

namespace o365fwd {

struct ApiClientOptions {
  std::string api_url;       // "https://manage.office.com" (the tenant's cloud)
  std::string publisher_id;  // PublisherIdentifier; empty = the tenant GUID
  int max_attempts = 8;
  BackoffPolicy backoff;
  std::chrono::seconds max_retry_after{300};  // cap on a server's Retry-After
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(300)};
  std::chrono::milliseconds low_speed_time{std::chrono::seconds(60)};
  std::uint64_t max_list_bytes = 16ull * 1024 * 1024;    // subscription and content listings
  std::uint64_t max_blob_bytes = 1024ull * 1024 * 1024;  // collection.max_blob_size
};

class ApiClientImpl final : public ApiClient {
 public:
  // The tenant (GUID, or a domain resolved through the token's tid claim) comes from `tokens`.
  ApiClientImpl(ApiClientOptions options, HttpTransport& transport, TokenProvider& tokens,
                RateLimiter& limiter, Clock& clock, Random& random, ApiStats& stats);

  Result<HttpResponse> call(ApiCall call, const std::string& method, const std::string& url,
                            std::stop_token stop) override;
  Result<HttpResponse> callWithBudget(ApiCall call, const std::string& method,
                                      const std::string& url, std::stop_token stop,
                                      BodyBudget* body_budget) override;
  std::string tenantGuid() const override { return tokens_.tenantGuid(); }
  std::chrono::seconds clockSkew() const override {
    return std::chrono::seconds(skew_seconds_.load(std::memory_order_relaxed));
  }

  // "<api_url>/api/v1.0/<tenant>/activity/feed/"
  std::string feedRoot(const std::string& tenant_guid) const;

 private:
  // Joins, guards and tags `url`; Error "untrusted_uri" when it must not receive the token.
  Result<std::string> resolveUrl(ApiCall call, const std::string& url,
                                 const std::string& tenant_guid) const;
  void noteServerDate(const HttpResponse& response);
  void warnThrottled(ApiCall call, std::chrono::milliseconds pause, const Error& error);
  // A timeout is returned to the caller at once (not retried here: a hung host must show in
  // the status within one stall timeout). The first one of each phase, until that phase
  // succeeds again, is a WARN naming the host and the phase.
  void noteTimeout(const char* phase, const std::string& url, const Error& error);
  void noteAnswered(const char* phase);

  const ApiClientOptions options_;
  HttpTransport& transport_;
  TokenProvider& tokens_;
  RateLimiter& limiter_;
  Clock& clock_;
  Random& random_;
  ApiStats& stats_;
  std::atomic<long long> skew_seconds_{0};
  std::atomic<long long> last_throttle_warning_ns_{0};  // steady clock, rate-limits the WARN

  std::mutex timeout_mu_;
  std::set<std::string> timed_out_phases_;  // guarded by timeout_mu_
};

}  // namespace o365fwd
