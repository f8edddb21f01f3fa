#pragma once
// One tenant's door to the Management Activity API. Owns nothing but references; thread-safe:
// lister and download workers call it concurrently and block in it.
//
// Every call: waits for the tenant's request budget (max_requests_per_minute, shared by all
// requests of the tenant), attaches a fresh token (refreshing it after a 401), adds
// PublisherIdentifier, refuses any URL whose scheme/host/port differ from the configured API URL
// (the token never leaves for another host), retries AF429 (403 or 429), 5xx, 408 and transport
// errors with capped exponential backoff and jitter (Retry-After honoured), and classifies what
// remains by the body's error.code first and the HTTP status second.
#include <chrono>
#include <optional>
#include <stop_token>
#include <string>

#include "connector/http/http_transport.h"
#include "core/clock.h"
#include "core/result.h"

namespace o365fwd {

enum class ApiCall {
  kSubscriptionStart,
  kSubscriptionStop,
  kSubscriptionList,
  kContentList,
  kBlob
};
const char* toString(ApiCall call);

class ApiClient {
 public:
  virtual ~ApiClient() = default;
  // `url` is absolute (a contentUri or NextPageUri from the API) or a path below the feed root
  // ("subscriptions/list"). Returns the 2xx response, or the classified Error after retries.
  // Query parameters in `url` are kept; PublisherIdentifier is appended when absent.
  virtual Result<HttpResponse> call(ApiCall call, const std::string& method, const std::string& url,
                                    std::stop_token stop) = 0;
  // As call(), with the decoded response body counted against `body_budget` while it arrives
  // (blob bodies; see BodyBudget). Clients that cannot count ignore the budget.
  virtual Result<HttpResponse> callWithBudget(ApiCall call, const std::string& method,
                                              const std::string& url, std::stop_token stop,
                                              BodyBudget* body_budget) {
    (void)body_budget;
    return this->call(call, method, url, stop);
  }
  // The tenant GUID used in API URLs (resolved from a configured domain on first use); empty
  // until resolved.
  virtual std::string tenantGuid() const = 0;
  // Server time minus local time, from the last response's Date header (0 until one arrived).
  virtual std::chrono::seconds clockSkew() const = 0;
};

}  // namespace o365fwd
