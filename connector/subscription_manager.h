#pragma once
// One tenant's Management Activity API subscriptions (one per content type): list, start, stop,
// and "make sure this content type is enabled" for the stream workers.
//
// Owner: the tenant's collector (one instance per tenant) and the `subscriptions` CLI command.
// Threads: any; the stream workers of one tenant share it. Requests are serialised (they are
// rare: a list every few minutes, a start per content type at most every 15 minutes); a caller
// waiting behind another's request is released when that request returns, which ApiClient
// promises on a stop request.
//
// Promises:
// - A start request for a content type is never sent within 15 minutes of the previous one
//   (the API's rule); such a call returns a retryable Error with code "start_throttled" and
//   retry_after. Stop is not throttled.
// - AF20024 ("already enabled, no property change") on start is success.
// - When subscriptions/list answers HTTP 404 (a proxy or API mock without that route),
//   ensureEnabled() falls back to starting the content type (idempotent, AF20024 = already on)
//   and says so once per tenant in the log (WARN); the stream is not failed for it.
// - Errors keep their ErrorKind, retryable flag and code; messages for AF20023, AF10001 and
//   disabled auditing say what the operator must do (annotateSubscriptionError).
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "connector/api_client.h"
#include "connector/request_gate.h"
#include "core/clock.h"
#include "core/result.h"

namespace o365fwd {

struct SubscriptionInfo {
  std::string content_type;
  std::string status;    // "enabled", "disabled", ...; "unknown" when the entry has none
  bool webhook = false;  // a webhook object is attached
};

class SubscriptionManager {
 public:
  struct Options {
    std::chrono::seconds list_cache_ttl{std::chrono::minutes(5)};   // ensureEnabled trusts a list
    std::chrono::seconds start_interval{std::chrono::minutes(15)};  // the API's start throttle
    // Caps list/start/stop requests together with every other tenant's subscription requests
    // (nullptr: no cap); waits at most gate_wait for a place.
    RequestGate* gate = nullptr;
    std::chrono::milliseconds gate_wait{std::chrono::seconds(300)};
  };

  SubscriptionManager(ApiClient& api, Clock& clock, std::string tenant_name);
  SubscriptionManager(ApiClient& api, Clock& clock, std::string tenant_name, Options options);

  // GET subscriptions/list, always from the API; refreshes the cache ensureEnabled uses.
  Result<std::vector<SubscriptionInfo>> list(std::stop_token stop);

  // Ok when the content type is enabled: known from a list or start younger than
  // list_cache_ttl, else from a fresh list, else after a start request. A list answered HTTP 404
  // is not an error here: a start this manager sent is trusted (until noteMissing()), otherwise
  // the content type is started; the list is not asked again within list_cache_ttl.
  Status ensureEnabled(const std::string& content_type, std::stop_token stop);

  // POST subscriptions/start (no webhook). Ok on 200 with status "enabled" (or no status) and on
  // AF20024; an explicit other status is a permanent Error with code "subscription_status".
  Status start(const std::string& content_type, std::stop_token stop);

  // POST subscriptions/stop. Content made available while stopped is never retrievable later.
  Status stop(const std::string& content_type, std::stop_token stop);

  // The API said there is no subscription (AF20022): forget that the content type was enabled so
  // that the next ensureEnabled() starts it instead of trusting the cached list.
  void noteMissing(const std::string& content_type);

  const std::string& tenantName() const { return tenant_name_; }

  // True once subscriptions/list answered HTTP 404 (see ensureEnabled).
  bool listUnavailable() const;

 private:
  struct Known {
    bool enabled = false;
    SteadyTime at{};  // when this was learned
  };

  Result<std::vector<SubscriptionInfo>> listLocked(std::stop_token stop);
  Status startLocked(const std::string& content_type, std::stop_token stop);
  std::optional<bool> knownEnabled(const std::string& content_type) const;  // needs mu_
  void remember(const std::string& content_type, bool enabled);             // needs mu_
  // api_.call behind options_.gate.
  Result<HttpResponse> gatedCall(ApiCall call, const std::string& method, const std::string& url,
                                 std::stop_token stop);

  ApiClient& api_;
  Clock& clock_;
  const std::string tenant_name_;
  const Options options_;

  std::mutex op_mu_;  // serialises API requests; taken before mu_, held across the request
  mutable std::mutex mu_;
  std::map<std::string, Known> known_;            // by content type
  std::optional<SteadyTime> listed_at_;           // last successful list
  std::map<std::string, SteadyTime> last_start_;  // by content type: when a start was sent

  // subscriptions/list answered 404: when it last did; whether the fallback was logged.
  std::optional<SteadyTime> list_missing_at_;
  bool list_missing_logged_ = false;
};

// True for the error of a subscriptions/list that the endpoint does not implement (HTTP 404).
bool isSubscriptionListMissing(const Error& error);
// What o365fwd does then, for logs and `validate`: "subscriptions/list answered HTTP 404 ...;
// starting each subscription instead (idempotent: AF20024 means it is already on)".
std::string subscriptionListFallbackNote();

// Replaces the message of subscription-related API errors (AF20023, AF10001,
// "AuditingDisabled") with one naming the tenant, content type and the operator's remedy; other
// errors get only the context prefix `what + " failed: "`. Code, kind and retryable are
// kept. `content_type` may be empty (a tenant-wide request). `what` names the request, e.g.
// "Starting the Audit.Exchange subscription of tenant contoso".
Error annotateSubscriptionError(Error error, const std::string& what,
                                const std::string& tenant_name, const std::string& content_type);

// Percent-encodes a query parameter value (RFC 3986 unreserved characters stay as they are).
std::string encodeQueryValue(std::string_view value);

}  // namespace o365fwd
