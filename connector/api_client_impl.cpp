#include "connector/api_client_impl.h"

#include <algorithm>
#include <optional>

#include "connector/api_errors.h"
#include "connector/http/url_guard.h"
#include "core/logging.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

constexpr std::chrono::seconds kThrottleWarningInterval{60};

Error cancelled() {
  return Error::permanent(ErrorKind::kCancelled, "request cancelled");
}

// The phase a call belongs to, as logs and the status name it.
const char* phaseOf(ApiCall call) {
  switch (call) {
    case ApiCall::kSubscriptionStart:
    case ApiCall::kSubscriptionStop:
    case ApiCall::kSubscriptionList: return "subscriptions";
    case ApiCall::kContentList: return "listing";
    case ApiCall::kBlob: return "blob";
  }
  return "api";
}

std::string trimSlashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

ApiClientImpl::ApiClientImpl(ApiClientOptions options, HttpTransport& transport,
                             TokenProvider& tokens, RateLimiter& limiter, Clock& clock,
                             Random& random, ApiStats& stats)
    : options_(std::move(options)),
      transport_(transport),
      tokens_(tokens),
      limiter_(limiter),
      clock_(clock),
      random_(random),
      stats_(stats) {}

std::string ApiClientImpl::feedRoot(const std::string& tenant_guid) const {
  return trimSlashes(options_.api_url) + "/api/v1.0/" + tenant_guid + "/activity/feed/";
}

Result<std::string> ApiClientImpl::resolveUrl(ApiCall call, const std::string& url,
                                              const std::string& tenant_guid) const {
  std::string full;
  if (url.find("://") != std::string::npos) {
    full = url;
  } else {
    std::size_t skip = url.find_first_not_of('/');
    full = feedRoot(tenant_guid) + (skip == std::string::npos ? std::string() : url.substr(skip));
  }
  Status allowed = checkApiUrl(full, options_.api_url, tenant_guid);
  if (!allowed) {
    Error e = allowed.error();
    e.message = std::string(toString(call)) + ": " + e.message;
    return e;
  }
  return withPublisherIdentifier(
      full, options_.publisher_id.empty() ? tenant_guid : options_.publisher_id);
}

void ApiClientImpl::noteServerDate(const HttpResponse& response) {
  auto date = response.header("Date");
  if (!date) return;
  auto server = parseHttpDate(*date);
  if (!server) return;
  auto skew = std::chrono::duration_cast<std::chrono::seconds>(*server - clock_.wallNow());
  skew_seconds_.store(skew.count(), std::memory_order_relaxed);
}

void ApiClientImpl::noteTimeout(const char* phase, const std::string& url, const Error& error) {
  auto parts = parseUrl(url);
  const std::string host = parts.ok() ? parts->host + ":" + parts->port : "(unknown)";
  bool first = false;
  {
    std::lock_guard lock(timeout_mu_);
    first = timed_out_phases_.insert(phase).second;
  }
  auto log = getLogger("connector.api");
  if (first) {
    log->warn("No answer in time; retried next cycle. tenant={} phase={} host={} error={}",
              tokens_.tenantGuid(), phase, host, error.describe());
  } else {
    log->debug("timeout tenant={} phase={} host={}", tokens_.tenantGuid(), phase, host);
  }
}

void ApiClientImpl::noteAnswered(const char* phase) {
  std::lock_guard lock(timeout_mu_);
  timed_out_phases_.erase(phase);
}

void ApiClientImpl::warnThrottled(ApiCall call, std::chrono::milliseconds pause,
                                  const Error& error) {
  const long long now = clock_.steadyNow().time_since_epoch().count();
  long long last = last_throttle_warning_ns_.load(std::memory_order_relaxed);
  const long long interval =
      std::chrono::duration_cast<SteadyTime::duration>(kThrottleWarningInterval).count();
  auto log = getLogger("connector.api");
  if ((last == 0 || now - last >= interval) &&
      last_throttle_warning_ns_.compare_exchange_strong(last, now)) {
    log->warn(
        "throttled by the Management API; pausing the tenant tenant={} call={} pause_ms={} "
        "error={}",
        tokens_.tenantGuid(), toString(call), pause.count(), error.describe());
  } else {
    log->debug("throttled tenant={} call={} pause_ms={}", tokens_.tenantGuid(), toString(call),
               pause.count());
  }
}

Result<HttpResponse> ApiClientImpl::call(ApiCall call, const std::string& method,
                                         const std::string& url, std::stop_token stop) {
  return callWithBudget(call, method, url, stop, nullptr);
}

Result<HttpResponse> ApiClientImpl::callWithBudget(ApiCall call, const std::string& method,
                                                   const std::string& url, std::stop_token stop,
                                                   BodyBudget* body_budget) {
  const int max_attempts = std::max(1, options_.max_attempts);
  std::string target;  // resolved URL; empty until the tenant GUID is known
  if (std::string tenant = tokens_.tenantGuid(); !tenant.empty()) {
    auto resolved = resolveUrl(call, url, tenant);
    if (!resolved) {
      stats_.recordError(call, resolved.error().code);
      return resolved.error();
    }
    target = std::move(*resolved);
  }

  bool token_renewed = false;  // the single extra attempt after 401 / AF10001 is spent
  std::optional<Error> last;
  int attempt = 0;
  // Counts a failed attempt; sleeps `delay` before the next one. False: stop, or no attempts left.
  auto nextAttempt = [&](std::chrono::milliseconds delay) {
    if (++attempt >= max_attempts) return false;
    stats_.recordRetry();
    getLogger("connector.api")
        ->debug("retrying call={} attempt={} delay_ms={} error={}", toString(call), attempt + 1,
                delay.count(), last->describe());
    return clock_.sleepFor(delay, stop);
  };
  auto backoff = [&](const Error& e) {
    std::optional<std::chrono::seconds> retry_after = e.retry_after;
    if (retry_after) retry_after = std::min(*retry_after, options_.max_retry_after);
    return backoffDelay(options_.backoff, attempt, random_, retry_after);
  };

  for (;;) {
    if (stop.stop_requested() || !limiter_.acquire(stop)) return cancelled();
    auto token = tokens_.token(stop);
    if (!token) {
      last = token.error();
      if (last->kind == ErrorKind::kCancelled || !last->retryable) return *last;
      if (last->code == "timeout") return *last;  // TokenProvider logged it with the login host
      if (!nextAttempt(backoff(*last))) break;
      continue;
    }
    if (target.empty()) {
      std::string tenant = tokens_.tenantGuid();
      if (tenant.empty())
        return Error::permanent(ErrorKind::kConfig,
                                "the tenant GUID is unknown: the token carries no tid claim; set "
                                "tenant_id to the Directory (tenant) ID GUID");
      auto resolved = resolveUrl(call, url, tenant);
      if (!resolved) {
        stats_.recordError(call, resolved.error().code);
        return resolved.error();
      }
      target = std::move(*resolved);
    }

    HttpRequest request;
    request.method = method;
    request.url = target;
    request.headers = {{"Accept", "application/json"}};
    request.bearer_token = *token;
    request.connect_timeout = options_.connect_timeout;
    request.timeout = options_.request_timeout;
    request.low_speed_time = options_.low_speed_time;
    request.max_response_bytes =
        call == ApiCall::kBlob ? options_.max_blob_bytes : options_.max_list_bytes;
    request.stop = stop;
    request.body_budget = body_budget;
    auto result = executeBlocking(transport_, std::move(request));
    if (!result) {
      last = result.error();
      stats_.recordTransportError(call, last->kind == ErrorKind::kCancelled);
      if (last->kind == ErrorKind::kCancelled || !last->retryable) return *last;
      // The in-flight budget took the body's memory back: the collector fetches it again when
      // it is the oldest download (InflightBudget::waitUntilOldest), not after a backoff that
      // counts attempts.
      if (last->code == "memory_budget") return *last;
      if (last->code == "timeout") {
        last->message = std::string(phaseOf(call)) + " request: " + last->message;
        noteTimeout(phaseOf(call), target, *last);
        return *last;
      }
      if (!nextAttempt(backoff(*last))) break;
      continue;
    }

    HttpResponse& response = *result;
    stats_.recordResponse(call, response.status, response.body.size());
    noteServerDate(response);
    noteAnswered(phaseOf(call));
    if (response.status >= 200 && response.status < 300) return std::move(response);

    Error error = classifyApiResponse(call, response, clock_.wallNow());
    stats_.recordError(call,
                       error.code.empty() ? "HTTP " + std::to_string(response.status) : error.code);
    const bool refused_token =
        (response.status == 401 && error.kind == ErrorKind::kAuth) || error.code == "AF10001";
    if (refused_token) {
      if (token_renewed) return error;  // refused again with a fresh token
      token_renewed = true;
      tokens_.invalidate(*token);
      stats_.recordRetry();
      last = std::move(error);
      continue;
    }
    if (!error.retryable) return error;
    last = std::move(error);
    auto delay = backoff(*last);
    if (last->kind == ErrorKind::kThrottled) {
      stats_.recordThrottled();
      limiter_.throttled();
      limiter_.penalize(delay);
      warnThrottled(call, delay, *last);
    }
    if (!nextAttempt(delay)) break;
  }
  if (stop.stop_requested()) return cancelled();
  return *last;
}

}  // namespace o365fwd
