#pragma once
// One tenant's door to Microsoft Graph's service announcements (service health): lists
// /v1.0/admin/serviceAnnouncement/issues and /healthOverviews, following @odata.nextLink.
// Owns nothing but references; thread-safe (one service-health poller calls it per tenant, and
// `validate` on its own thread).
//
// Every request: waits for the tenant's request budget (the RateLimiter shared with the
// Management API), attaches a Graph token from a TokenProvider whose resource is the Graph host
// (the tenant's own credential, a second scope), refuses any URL (a nextLink included) whose
// scheme, host or port differ from graph_url or whose path leaves /v1.0/admin/serviceAnnouncement/
// (the token never leaves for another host), retries 429, 5xx and transport errors with backoff
// (Retry-After honoured), renews the token once after a 401, and turns a 403 into a permanent
// kPermission error whose message names the remedy (grant ServiceHealth.Read.All, admin consent).
// Paging is bounded (max_pages); a loop in nextLink ends the listing with an error.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>

#include "connector/graph/service_health_parser.h"
#include "connector/http/http_transport.h"
#include "connector/rate_limiter.h"
#include "connector/auth/token_provider.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/random.h"
#include "core/result.h"

namespace o365fwd {

struct GraphClientOptions {
  std::string graph_url = "https://graph.microsoft.com";  // no trailing slash
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(15)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds low_speed_time{std::chrono::seconds(60)};
  std::uint64_t max_page_bytes = 16ull * 1024 * 1024;
  int max_pages = 50;  // per listing: 50 pages of Graph's 100 issues
  int max_attempts = 3;
  BackoffPolicy backoff{std::chrono::seconds(1), std::chrono::seconds(30),
                        std::chrono::milliseconds(250)};
  std::chrono::seconds max_retry_after{120};
};

// What one listing of the issues found.
struct ServiceIssueListing {
  std::vector<ServiceIssue> issues;
  std::size_t pages = 0;
  std::size_t bad_items = 0;
  std::vector<std::string> problems;  // of the bad items, at most 20
};

// The code of the permission error (403): the application lacks ServiceHealth.Read.All.
inline constexpr const char* kGraphPermissionCode = "ServiceHealth.Read.All";

class GraphClient {
 public:
  GraphClient(GraphClientOptions options, HttpTransport& transport, TokenProvider& tokens,
              RateLimiter& limiter, Clock& clock, Random& random);
  GraphClient(const GraphClient&) = delete;
  GraphClient& operator=(const GraphClient&) = delete;

  Result<ServiceIssueListing> listIssues(std::stop_token stop);
  Result<ServiceOverviewPage> healthOverviews(std::stop_token stop);
  // Requests made (every attempt), for the status.
  std::uint64_t requests() const;
  const std::string& graphUrl() const { return options_.graph_url; }

  // The full URL of a path below graph_url ("/v1.0/admin/serviceAnnouncement/issues").
  std::string urlOf(const std::string& path) const { return options_.graph_url + path; }
  // Whether `url` may carry this tenant's Graph token (same origin, service-announcement path).
  Status checkGraphUrl(const std::string& url) const;

 private:
  Result<HttpResponse> get(const std::string& url, std::stop_token stop);

  const GraphClientOptions options_;
  HttpTransport& transport_;
  TokenProvider& tokens_;
  RateLimiter& limiter_;
  Clock& clock_;
  Random& random_;
  std::atomic<std::uint64_t> requests_{0};
};

// Classifies a Graph error answer ({"error":{"code":"...","message":"..."}}); the message is
// bounded and says what to do.
Error classifyGraphResponse(const HttpResponse& response);

}  // namespace o365fwd
