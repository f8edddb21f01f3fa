#include "connector/subscription_manager.h"

#include <rapidjson/document.h>

#include "core/logging.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

constexpr const char* kCodeAf20023 = "AF20023";
constexpr const char* kCodeAf20024 = "AF20024";
constexpr const char* kCodeAf10001 = "AF10001";
constexpr const char* kCodeAuditingDisabled = "AuditingDisabled";

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string describeWait(std::chrono::seconds s) {
  if (s.count() >= 120) return std::to_string(s.count() / 60) + " min";
  return std::to_string(s.count()) + " s";
}

// The "status" member of a JSON object body, if any.
std::optional<std::string> statusOf(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
  auto it = doc.FindMember("status");
  if (it == doc.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

std::string encodeQueryValue(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

Error annotateSubscriptionError(Error error, const std::string& what,
                                const std::string& tenant_name, const std::string& content_type) {
  // For these codes the API's text is a fixed sentence (or a .NET stack trace) and ApiClient's
  // generic remedy lacks the tenant and content type, so the message is replaced as a whole;
  // the code (shown by Error::describe()) keeps what the API said.
  const std::string cli = "`o365fwd subscriptions start --tenant " + tenant_name +
                          (content_type.empty() ? "" : " --content-type " + content_type) + "`";
  if (error.code == kCodeAf20023) {
    error.message = what +
                    " failed: the subscription was disabled by a tenant or service administrator. "
                    "Re-enable it in the tenant or run " +
                    cli + ".";
  } else if (error.code == kCodeAuditingDisabled) {
    error.message = what + " failed: unified audit logging is turned off for tenant " +
                    tenant_name +
                    " (the API reports the tenant as not existing for auditing). Turn on unified "
                    "audit logging (Microsoft Purview → Audit); it takes up to 60 minutes to take "
                    "effect.";
  } else if (error.code == kCodeAf10001) {
    error.message = what +
                    " failed: the app registration lacks the ActivityFeed.Read permission. In "
                    "Entra ID → App registrations → API permissions add Office 365 Management "
                    "APIs → Application permissions → ActivityFeed.Read (ActivityFeed.ReadDlp for "
                    "DLP.All) and grant admin consent.";
  } else {
    error.message = what + " failed: " + error.message;
  }
  return error;
}

bool isSubscriptionListMissing(const Error& error) {
  return error.code == "HTTP 404";
}

std::string subscriptionListFallbackNote() {
  return "subscriptions/list answered HTTP 404 (a proxy or API mock without that route); "
         "starting each subscription instead (idempotent: AF20024 means it is already on)";
}

SubscriptionManager::SubscriptionManager(ApiClient& api, Clock& clock, std::string tenant_name)
    : SubscriptionManager(api, clock, std::move(tenant_name), Options{}) {}

SubscriptionManager::SubscriptionManager(ApiClient& api, Clock& clock, std::string tenant_name,
                                         Options options)
    : api_(api), clock_(clock), tenant_name_(std::move(tenant_name)), options_(options) {}

Result<HttpResponse> SubscriptionManager::gatedCall(ApiCall call, const std::string& method,
                                                    const std::string& url, std::stop_token stop) {
  std::optional<RequestGate::Permit> permit;
  if (options_.gate != nullptr) {
    permit = options_.gate->enter(stop, clock_.steadyNow() + options_.gate_wait);
    if (!permit) return setupGateError(stop);
  }
  return api_.call(call, method, url, std::move(stop));
}

std::optional<bool> SubscriptionManager::knownEnabled(const std::string& content_type) const {
  const SteadyTime now = clock_.steadyNow();
  auto it = known_.find(content_type);
  if (it != known_.end() && now - it->second.at < options_.list_cache_ttl)
    return it->second.enabled;
  // A fresh list that does not mention the content type: not subscribed.
  if (it == known_.end() && listed_at_ && now - *listed_at_ < options_.list_cache_ttl) return false;
  return std::nullopt;
}

void SubscriptionManager::remember(const std::string& content_type, bool enabled) {
  known_[content_type] = Known{enabled, clock_.steadyNow()};
}

void SubscriptionManager::noteMissing(const std::string& content_type) {
  std::lock_guard lock(mu_);
  remember(content_type, false);
}

Result<std::vector<SubscriptionInfo>> SubscriptionManager::list(std::stop_token stop) {
  std::lock_guard op(op_mu_);
  return listLocked(std::move(stop));
}

Result<std::vector<SubscriptionInfo>> SubscriptionManager::listLocked(std::stop_token stop) {
  const std::string what = "Listing the subscriptions of tenant " + tenant_name_;
  auto response = gatedCall(ApiCall::kSubscriptionList, "GET", "subscriptions/list", stop);
  if (!response) {
    return annotateSubscriptionError(std::move(response).takeError(), what, tenant_name_, "");
  }

  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(response->body.data(), response->body.size());
  if (doc.HasParseError() || !doc.IsArray()) {
    return Error::permanent(ErrorKind::kCorrupt,
                            what +
                                " failed: the response is not a JSON array; the API or a proxy "
                                "returned something else");
  }
  std::vector<SubscriptionInfo> infos;
  std::size_t skipped = 0;
  for (const auto& entry : doc.GetArray()) {
    if (!entry.IsObject()) {
      ++skipped;
      continue;
    }
    auto ct = entry.FindMember("contentType");
    if (ct == entry.MemberEnd() || !ct->value.IsString()) {
      ++skipped;
      continue;
    }
    SubscriptionInfo info;
    info.content_type.assign(ct->value.GetString(), ct->value.GetStringLength());
    auto status = entry.FindMember("status");
    info.status = status != entry.MemberEnd() && status->value.IsString() &&
                          status->value.GetStringLength() > 0
                      ? std::string(status->value.GetString(), status->value.GetStringLength())
                      : "unknown";
    auto webhook = entry.FindMember("webhook");
    info.webhook = webhook != entry.MemberEnd() && !webhook->value.IsNull();
    infos.push_back(std::move(info));
  }
  if (skipped > 0) {
    getLogger("connector.subscriptions")
        ->warn("Ignored subscription list entries without a contentType. tenant={} entries={}",
               tenant_name_, skipped);
  }

  std::lock_guard lock(mu_);
  std::map<std::string, Known> previous;
  previous.swap(known_);
  for (const auto& info : infos) {
    if (info.status == "unknown") {
      // No status: keep what a start told us (enabled), refreshed; otherwise nothing is known.
      auto it = previous.find(info.content_type);
      if (it != previous.end() && it->second.enabled) remember(info.content_type, true);
      continue;
    }
    remember(info.content_type, equalsIgnoreCase(info.status, "enabled"));
  }
  listed_at_ = clock_.steadyNow();
  return infos;
}

Status SubscriptionManager::ensureEnabled(const std::string& content_type, std::stop_token stop) {
  {
    std::lock_guard lock(mu_);
    if (knownEnabled(content_type) == true) return okStatus();
  }
  std::lock_guard op(op_mu_);
  std::optional<bool> known;
  {
    std::lock_guard lock(mu_);
    known = knownEnabled(content_type);  // another worker may have listed meanwhile
  }
  bool list_missing = false;
  {
    std::lock_guard lock(mu_);
    list_missing =
        list_missing_at_ && clock_.steadyNow() - *list_missing_at_ < options_.list_cache_ttl;
  }
  if (!known && !list_missing) {
    auto listed = listLocked(stop);
    if (listed) {
      std::lock_guard lock(mu_);
      known = knownEnabled(content_type);
    } else if (isSubscriptionListMissing(listed.error())) {
      list_missing = true;
      std::lock_guard lock(mu_);
      list_missing_at_ = clock_.steadyNow();
      if (!list_missing_logged_) {
        list_missing_logged_ = true;
        getLogger("connector.subscriptions")
            ->warn("{}. tenant={}", subscriptionListFallbackNote(), tenant_name_);
      }
    } else {
      return std::move(listed).takeError();
    }
  }
  if (!known && list_missing) {
    // No list to ask: trust what a start (or noteMissing) told this manager, at any age.
    std::lock_guard lock(mu_);
    auto it = known_.find(content_type);
    if (it != known_.end()) {
      known = it->second.enabled;
      remember(content_type, it->second.enabled);
    }
  }
  if (known == true) return okStatus();
  return startLocked(content_type, std::move(stop));
}

bool SubscriptionManager::listUnavailable() const {
  std::lock_guard lock(mu_);
  return list_missing_at_.has_value();
}

Status SubscriptionManager::start(const std::string& content_type, std::stop_token stop) {
  std::lock_guard op(op_mu_);
  return startLocked(content_type, std::move(stop));
}

Status SubscriptionManager::startLocked(const std::string& content_type, std::stop_token stop) {
  const std::string what =
      "Starting the " + content_type + " subscription of tenant " + tenant_name_;
  {
    std::lock_guard lock(mu_);
    const SteadyTime now = clock_.steadyNow();
    auto last = last_start_.find(content_type);
    if (last != last_start_.end() && now - last->second < options_.start_interval) {
      auto wait =
          std::chrono::ceil<std::chrono::seconds>(options_.start_interval - (now - last->second));
      Error error = Error::retryableError(
          ErrorKind::kThrottled,
          "Not sending another start request for the " + content_type + " subscription of tenant " +
              tenant_name_ + ": the API allows one per content type every " +
              describeWait(options_.start_interval) + "; it may be retried after " +
              formatApiTime(clock_.wallNow() + wait) + " UTC (in " + describeWait(wait) + ")",
          "start_throttled");
      error.retry_after = wait;
      return error;
    }
    last_start_[content_type] = now;
  }

  auto log = getLogger("connector.subscriptions");
  auto response = gatedCall(ApiCall::kSubscriptionStart, "POST",
                            "subscriptions/start?contentType=" + encodeQueryValue(content_type),
                            std::move(stop));
  if (!response) {
    if (response.error().code == kCodeAf20024) {
      log->info("Subscription already enabled. tenant={} content_type={}", tenant_name_,
                content_type);
      std::lock_guard lock(mu_);
      remember(content_type, true);
      return okStatus();
    }
    return annotateSubscriptionError(std::move(response).takeError(), what, tenant_name_,
                                     content_type);
  }
  auto status = statusOf(response->body);
  if (status && !equalsIgnoreCase(*status, "enabled")) {
    return Error::permanent(ErrorKind::kApi,
                            what + " failed: the API answered with status \"" + *status +
                                "\" instead of \"enabled\"; check the subscription in the tenant "
                                "and retry with `o365fwd subscriptions start`",
                            "subscription_status");
  }
  log->info("Subscription started. tenant={} content_type={}", tenant_name_, content_type);
  std::lock_guard lock(mu_);
  remember(content_type, true);
  return okStatus();
}

Status SubscriptionManager::stop(const std::string& content_type, std::stop_token stop) {
  std::lock_guard op(op_mu_);
  const std::string what =
      "Stopping the " + content_type + " subscription of tenant " + tenant_name_;
  auto response = gatedCall(ApiCall::kSubscriptionStop, "POST",
                            "subscriptions/stop?contentType=" + encodeQueryValue(content_type),
                            std::move(stop));
  if (!response) {
    return annotateSubscriptionError(std::move(response).takeError(), what, tenant_name_,
                                     content_type);
  }
  getLogger("connector.subscriptions")
      ->info("Subscription stopped. tenant={} content_type={}", tenant_name_, content_type);
  std::lock_guard lock(mu_);
  remember(content_type, false);
  return okStatus();
}

}  // namespace o365fwd
