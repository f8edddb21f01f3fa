#pragma once
// Counters of traffic with Microsoft (Management API and token endpoint), for /metrics and
// /status. Owned by the composition root (one per tenant, or one shared by all tenants); the
// ApiClientImpl and TokenProvider record into it from any thread. Thread-safe; recording never
// blocks for long (atomics, plus one short mutex for error codes). Label sets are bounded: 5 calls
// x 6 outcomes, and at most kMaxErrorCodes distinct error codes (the rest count as "other").
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "connector/api_client.h"

namespace o365fwd {

// What became of one HTTP exchange.
enum class ApiOutcome { k2xx, k3xx, k4xx, k5xx, kTransport, kCancelled };
const char* toString(ApiOutcome outcome);
ApiOutcome outcomeOfStatus(int status);

struct ApiStatsSnapshot {
  struct Requests {
    ApiCall call;
    ApiOutcome outcome;
    std::uint64_t count;
  };
  struct Errors {
    ApiCall call;
    std::string code;  // "AF429", "AF20022", "AuditingDisabled", "HTTP 503", "other"
    std::uint64_t count;
  };
  std::vector<Requests> requests;      // only non-zero entries
  std::vector<Errors> errors;          // sorted by (call, code)
  std::uint64_t throttled = 0;         // AF429 / HTTP 429 answers
  std::uint64_t retries = 0;           // attempts beyond the first, for any reason
  std::uint64_t token_refreshes = 0;   // successful token acquisitions
  std::uint64_t token_failures = 0;    // failed token endpoint exchanges (incl. transport)
  std::uint64_t transport_errors = 0;  // DNS, connect, TLS, timeout, reset, size cap
  std::uint64_t bytes_received = 0;    // decoded response body bytes from the Management API
};

class ApiStats {
 public:
  static constexpr std::size_t kMaxErrorCodes = 64;

  void recordResponse(ApiCall call, int status, std::uint64_t body_bytes);
  void recordTransportError(ApiCall call, bool cancelled);
  // A classified non-2xx answer (Error::code, or "HTTP <status>" when it has none).
  void recordError(ApiCall call, const std::string& code);
  void recordThrottled() { throttled_.fetch_add(1, std::memory_order_relaxed); }
  void recordRetry() { retries_.fetch_add(1, std::memory_order_relaxed); }
  void recordTokenRefresh(bool ok) {
    (ok ? token_refreshes_ : token_failures_).fetch_add(1, std::memory_order_relaxed);
  }

  ApiStatsSnapshot snapshot() const;

 private:
  static constexpr std::size_t kCalls = 5;
  static constexpr std::size_t kOutcomes = 6;
  std::array<std::atomic<std::uint64_t>, kCalls * kOutcomes> requests_{};
  std::atomic<std::uint64_t> throttled_{0}, retries_{0}, token_refreshes_{0}, token_failures_{0},
      transport_errors_{0}, bytes_received_{0};
  mutable std::mutex mu_;
  std::map<std::pair<int, std::string>, std::uint64_t> errors_;  // guarded by mu_
};

}  // namespace o365fwd
