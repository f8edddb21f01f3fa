#include "app/validate/validate_access.h"

#include <algorithm>

#include "app/validate/check_steps.h"

namespace o365fwd {
namespace {

using namespace validate_steps;

constexpr const char* kConsentRemedy =
    "in Entra ID > App registrations > API permissions, add Office 365 Management APIs > "
    "Application permissions > ActivityFeed.Read, then grant admin consent for the tenant";
constexpr const char* kDelegatedRemedy =
    "add the Office 365 Management APIs permissions as Application permissions (not Delegated), "
    "then grant admin consent";

// subscriptions/list answered 404 (a proxy or mock without the route): start each content type,
// as the daemon does (idempotent; AF20024 = already on), and say so once.
void startEach(ValidationContext& ctx, TenantRuntime& tr, const TenantConfig& t,
               std::stop_token stop, std::set<std::string>& enabled) {
  Timer note_timer(ctx.clock);
  CheckResult note = make("subscription", t.name);
  note.status = CheckResult::kWarn;
  note.code = "list_unavailable";
  note.detail = subscriptionListFallbackNote();
  note.remedy =
      "nothing to do for a proxy or test server; the Microsoft API answers subscriptions/list, "
      "so against it check api_url";
  push(ctx, std::move(note), note_timer);
  for (const std::string& ct : t.content_types) {
    Timer timer(ctx.clock);
    CheckResult c = make("subscription", t.name + " " + ct);
    Status st = tr.subscriptions->start(ct, stop);
    if (st.ok()) {
      c.detail = ct + " enabled (subscriptions/start answered)";
      enabled.insert(ct);
    } else {
      c.code = st.error().code;
      fail(c, ct + ": starting it failed: " + st.error().describe(),
           subscriptionRemedy(st.error()));
    }
    push(ctx, std::move(c), timer);
  }
}

}  // namespace

std::string subscriptionRemedy(const Error& e) {
  if (e.code == "AF10001")
    return "grant admin consent for the app's ActivityFeed.Read Application permission";
  if (e.code == "AuditingDisabled")
    return "turn on unified audit logging (Purview > Audit > Start recording, or "
           "Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true); it may take hours";
  if (e.code == "AF20023")
    return "the subscription is disabled by an administrator: start it with "
           "`o365fwd subscriptions start` or `o365fwd validate --fix`";
  if (e.code == "AF429")
    return "throttled: lower collection.max_requests_per_minute, and check that publisher_id "
           "(PublisherIdentifier) is the tenant GUID so the tenant's own quota is used";
  return "see the message above";
}

// The token's `roles` decide (present in Microsoft's JWTs).
void checkPermissionsFromRoles(ValidationContext& ctx, const TenantConfig& t, const TokenInfo& info,
                               bool& ok) {
  Timer timer(ctx.clock);
  CheckResult c = make("permissions", t.name);
  auto has = [&](const char* r) {
    return std::find(info.roles.begin(), info.roles.end(), r) != info.roles.end();
  };
  bool dlp =
      std::find(t.content_types.begin(), t.content_types.end(), "DLP.All") != t.content_types.end();
  if (!has("ActivityFeed.Read")) {
    ok = false;
    fail(c, "roles " + join(info.roles) + ": ActivityFeed.Read missing",
         "add the Application permission Office 365 Management APIs > ActivityFeed.Read and "
         "grant admin consent");
  } else if (dlp && !has("ActivityFeed.ReadDlp")) {
    fail(c,
         "roles " + join(info.roles) +
             ": DLP.All is configured but ActivityFeed.ReadDlp is "
             "missing",
         "add the Application permission ActivityFeed.ReadDlp and grant admin consent, or remove "
         "DLP.All from content_types");
  } else {
    c.detail = "roles " + join(info.roles);
  }
  push(ctx, std::move(c), timer);
}

// No roles to read (an opaque token, or none granted): the API's answer to subscriptions/list
// decides. AF10001 means no consent; success means the API accepts the token.
void checkPermissionsFromApi(ValidationContext& ctx, const TenantConfig& t, const TokenInfo& info,
                             const Result<std::vector<SubscriptionInfo>>& list, bool& ok) {
  Timer timer(ctx.clock);
  CheckResult c = make("permissions", t.name);
  std::string token = info.readable ? "the token carries no roles" : "opaque access token";
  if (list.ok()) {
    c.detail = token + "; the API accepts it (subscriptions/list answered)";
    if (std::find(t.content_types.begin(), t.content_types.end(), "DLP.All") !=
        t.content_types.end())
      c.detail += "; ActivityFeed.ReadDlp is checked by the DLP.All listing";
  } else if (list.error().code == "AF10001") {
    ok = false;
    c.code = "AF10001";
    if (info.delegated)
      fail(c,
           "the token carries delegated permissions (scp), no application roles, and the API "
           "answered AF10001",
           kDelegatedRemedy);
    else
      fail(c, token + " and the API answered AF10001: admin consent is missing", kConsentRemedy);
  } else {
    c.status = CheckResult::kSkip;
    c.detail = token + "; the API did not say (subscriptions/list: " +
               (isSubscriptionListMissing(list.error()) ? std::string("HTTP 404")
                                                        : list.error().describe()) +
               "); the checks below tell";
  }
  push(ctx, std::move(c), timer);
}

// One "subscription" check per content type; returns the enabled ones in `enabled`. A content
// type never started (absent from the list) is the normal state of a new tenant: a warning.
void checkSubscriptions(ValidationContext& ctx, TenantRuntime& tr, const TenantConfig& t,
                        const SubscriptionList& list, std::stop_token stop, bool& ok,
                        std::set<std::string>& enabled) {
  Timer list_timer(ctx.clock);
  if (!list.ok() && isSubscriptionListMissing(list.error()))
    return startEach(ctx, tr, t, stop, enabled);
  if (!list.ok()) {
    ok = false;
    CheckResult c = make("subscription", t.name);
    c.code = list.error().code;
    fail(c, "listing subscriptions failed: " + list.error().describe(),
         subscriptionRemedy(list.error()));
    push(ctx, std::move(c), list_timer);
    return;
  }
  for (const std::string& ct : t.content_types) {
    Timer timer(ctx.clock);
    CheckResult c = make("subscription", t.name + " " + ct);
    auto it = std::find_if(list->begin(), list->end(),
                           [&](const SubscriptionInfo& s) { return s.content_type == ct; });
    std::string status = it == list->end() ? "not started" : it->status;
    if (status == "enabled") {
      c.detail = ct + " enabled";
      enabled.insert(ct);
    } else if (ctx.options.fix) {
      Status st = tr.subscriptions->start(ct, stop);
      if (st.ok()) {
        c.detail = ct + " was " + status + ", started by --fix: enabled";
        enabled.insert(ct);
      } else {
        c.code = st.error().code;
        fail(c, ct + " " + status + "; starting it failed: " + st.error().describe(),
             subscriptionRemedy(st.error()));
      }
    } else if (it == list->end()) {
      c.status = CheckResult::kWarn;
      c.code = "not_started";
      c.detail = ct + " not started yet";
      c.remedy = "`o365fwd run` starts them; `validate --fix` starts them now";
    } else {
      c.code = "disabled";
      fail(c, ct + " " + status,
           "run with --fix or `o365fwd subscriptions start` to enable the subscription");
    }
    push(ctx, std::move(c), timer);
  }
}

}  // namespace o365fwd
