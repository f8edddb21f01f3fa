#include "connector/api_stats.h"

#include <cctype>

namespace o365fwd {
namespace {

constexpr ApiCall kAllCalls[] = {ApiCall::kSubscriptionStart, ApiCall::kSubscriptionStop,
                                 ApiCall::kSubscriptionList, ApiCall::kContentList, ApiCall::kBlob};
constexpr ApiOutcome kAllOutcomes[] = {ApiOutcome::k2xx,       ApiOutcome::k3xx,
                                       ApiOutcome::k4xx,       ApiOutcome::k5xx,
                                       ApiOutcome::kTransport, ApiOutcome::kCancelled};

// A code becomes a metric label only if it is short and plain; anything else is "other".
bool isPlainCode(const std::string& code) {
  if (code.empty() || code.size() > 32) return false;
  for (char c : code)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ' ' && c != '_' && c != '-')
      return false;
  return true;
}

}  // namespace

const char* toString(ApiOutcome outcome) {
  switch (outcome) {
    case ApiOutcome::k2xx: return "2xx";
    case ApiOutcome::k3xx: return "3xx";
    case ApiOutcome::k4xx: return "4xx";
    case ApiOutcome::k5xx: return "5xx";
    case ApiOutcome::kTransport: return "transport";
    case ApiOutcome::kCancelled: return "cancelled";
  }
  return "unknown";
}

ApiOutcome outcomeOfStatus(int status) {
  if (status >= 200 && status < 300) return ApiOutcome::k2xx;
  if (status >= 300 && status < 400) return ApiOutcome::k3xx;
  if (status >= 500) return ApiOutcome::k5xx;
  return ApiOutcome::k4xx;  // 4xx and anything nonsensical (1xx never reaches us)
}

void ApiStats::recordResponse(ApiCall call, int status, std::uint64_t body_bytes) {
  auto index = static_cast<std::size_t>(call) * kOutcomes +
               static_cast<std::size_t>(outcomeOfStatus(status));
  requests_[index].fetch_add(1, std::memory_order_relaxed);
  bytes_received_.fetch_add(body_bytes, std::memory_order_relaxed);
}

void ApiStats::recordTransportError(ApiCall call, bool cancelled) {
  auto outcome = cancelled ? ApiOutcome::kCancelled : ApiOutcome::kTransport;
  auto index = static_cast<std::size_t>(call) * kOutcomes + static_cast<std::size_t>(outcome);
  requests_[index].fetch_add(1, std::memory_order_relaxed);
  if (!cancelled) transport_errors_.fetch_add(1, std::memory_order_relaxed);
}

void ApiStats::recordError(ApiCall call, const std::string& code) {
  std::string label = isPlainCode(code) ? code : "other";
  std::lock_guard lock(mu_);
  auto key = std::make_pair(static_cast<int>(call), label);
  auto it = errors_.find(key);
  if (it == errors_.end() && errors_.size() >= kMaxErrorCodes) {
    key.second = "other";
    it = errors_.find(key);
  }
  if (it == errors_.end()) {
    errors_.emplace(key, 1);
  } else {
    ++it->second;
  }
}

ApiStatsSnapshot ApiStats::snapshot() const {
  ApiStatsSnapshot s;
  for (ApiCall call : kAllCalls) {
    for (ApiOutcome outcome : kAllOutcomes) {
      auto index = static_cast<std::size_t>(call) * kOutcomes + static_cast<std::size_t>(outcome);
      std::uint64_t n = requests_[index].load(std::memory_order_relaxed);
      if (n != 0) s.requests.push_back({call, outcome, n});
    }
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, n] : errors_)
      s.errors.push_back({static_cast<ApiCall>(key.first), key.second, n});
  }
  s.throttled = throttled_.load(std::memory_order_relaxed);
  s.retries = retries_.load(std::memory_order_relaxed);
  s.token_refreshes = token_refreshes_.load(std::memory_order_relaxed);
  s.token_failures = token_failures_.load(std::memory_order_relaxed);
  s.transport_errors = transport_errors_.load(std::memory_order_relaxed);
  s.bytes_received = bytes_received_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace o365fwd
