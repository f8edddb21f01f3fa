#include "sim/api_service.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include "sim/json_text.h"

namespace o365fwd::sim {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* methodOf(const std::string& route) {
  if (route == "audit") return "GetBlob";
  if (route == "subscriptions/content") return "ListContent";
  if (route == "subscriptions/start") return "StartSubscription";
  if (route == "subscriptions/stop") return "StopSubscription";
  if (route == "subscriptions/list") return "ListSubscriptions";
  if (route == "subscriptions/notifications") return "ListNotifications";
  if (route == "resources/dlpSensitiveTypes") return "GetDlpSensitiveTypes";
  return "Unknown";
}

}  // namespace

std::optional<std::string> publisherIdentifier(const httplib::Request& req) {
  for (const auto& [k, v] : req.params)
    if (lower(k) == "publisheridentifier" && !v.empty()) return v;
  return std::nullopt;
}

std::string requestBase(const httplib::Request& req, const std::string& fallback) {
  std::string host = req.get_header_value("Host");
  return host.empty() ? fallback : "http://" + host;
}

ApiService::ApiService(ApiDeps deps, std::string fallback_base)
    : d_(deps), fallback_base_(std::move(fallback_base)) {}

std::string ApiService::routeName(const std::string& rest) {
  if (rest.rfind("audit/", 0) == 0) return "audit";
  static const char* kKnown[] = {"subscriptions/start",         "subscriptions/stop",
                                 "subscriptions/list",          "subscriptions/content",
                                 "subscriptions/notifications", "resources/dlpSensitiveTypes"};
  for (const char* k : kKnown)
    if (rest == k) return k;
  return "api_other";
}

void ApiService::json(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, kJsonType);
}

void ApiService::afError(httplib::Response& res, int status, const std::string& code,
                         const std::string& message) {
  json(res, status, afErrorBody(code, message));
}

void ApiService::handle(const httplib::Request& req, httplib::Response& res,
                        const std::string& version, const std::string& tenant_segment,
                        const std::string& rest) {
  const std::string route = routeName(rest);
  // 1. Bearer token.
  std::string auth = req.get_header_value("Authorization");
  std::optional<IssuedToken> token;
  if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ")
    token = d_.tokens.find(auth.substr(7), d_.state.nowSeconds());
  if (!token) {
    res.set_header("WWW-Authenticate", "Bearer realm=\"\", error=\"invalid_token\"");
    return afError(res, 401, "InvalidAuthenticationToken",
                   "Access token has expired or is not yet valid.");
  }
  // 2. Tenant in the URL: a GUID, and the token's tenant.
  if (!isGuid(tenant_segment))
    return afError(res, 400, "AF20013",
                   "The tenant ID passed in the URL (" + tenant_segment + ") is not a valid GUID.");
  if (lower(tenant_segment) != token->tenant_id)
    return afError(res, 403, "AF20010",
                   "The tenant ID passed in the URL (" + tenant_segment +
                       ") does not match the tenant ID passed in the access token (" +
                       token->tenant_id + ").");
  // 3. Permission.
  if (std::find(token->roles.begin(), token->roles.end(), "ActivityFeed.Read") ==
      token->roles.end()) {
    std::string set;
    for (const auto& r : token->roles) set += (set.empty() ? "" : " ") + r;
    return afError(res, 401, "AF10001",
                   "The permission set (" + set +
                       ") sent in the request does not include the expected permission.");
  }
  Call c{req,
         res,
         token->tenant,
         tenant_segment,
         version,
         publisherIdentifier(req),
         requestBase(req, fallback_base_),
         *token};
  // 4. Budgets.
  const TenantRuntime tr = d_.state.tenant(c.tenant);
  const GlobalRuntime g = d_.state.global();
  if (!c.publisher) d_.stats.withoutPublisher();
  if (!d_.throttle.allow(c.tenant, c.publisher.has_value(), tr.throttle.per_minute,
                         g.shared_throttle_per_minute)) {
    d_.stats.throttled();
    if (tr.throttle.retry_after > 0)
      res.set_header("Retry-After", std::to_string(tr.throttle.retry_after));
    return afError(res, tr.throttle.status, "AF429",
                   std::string("Too many requests. Method=") + methodOf(route) + ", PublisherId=" +
                       c.publisher.value_or("00000000-0000-0000-0000-000000000000"));
  }
  // 5. Transient faults.
  if (g.faults.transient_error_rate > 0 && d_.random.uniform() < g.faults.transient_error_rate) {
    d_.stats.transientError();
    int status = g.faults.transient_statuses[d_.random.next() % g.faults.transient_statuses.size()];
    if (status == 500)
      return afError(res, 500, "AF50000", "An internal error occurred. Retry the request.");
    res.status = status;
    if (status == 503)
      res.set_content("<html><body><h1>503 Service Unavailable</h1></body></html>", "text/html");
    return;
  }
  // 6. The operation.
  const bool post = req.method == "POST";
  auto only = [&](bool want_post) {
    if (post == want_post) return true;
    res.status = 405;
    res.set_header("Allow", want_post ? "POST" : "GET");
    return false;
  };
  if (route == "subscriptions/start") {
    if (only(true)) start(c);
  } else if (route == "subscriptions/stop") {
    if (only(true)) stop(c);
  } else if (route == "subscriptions/list") {
    if (only(false)) list(c);
  } else if (route == "subscriptions/content") {
    if (only(false)) content(c);
  } else if (route == "subscriptions/notifications") {
    if (only(false)) notifications(c);
  } else if (route == "resources/dlpSensitiveTypes") {
    if (only(false)) dlpTypes(c);
  } else if (route == "audit") {
    if (only(false)) blob(c, rest.substr(6));
  } else {
    res.status = 404;
  }
}

std::optional<size_t> ApiService::contentTypeParam(Call& c, bool required) {
  if (!c.req.has_param("contentType")) {
    if (required) afError(c.res, 400, "AF20001", "Missing parameter: contentType.");
    return std::nullopt;
  }
  std::string ct = c.req.get_param_value("contentType");
  auto idx = contentTypeIndex(ct);
  if (!idx) afError(c.res, 400, "AF20020", "The specified content type is not valid: " + ct + ".");
  return idx;
}

bool ApiService::auditingOff(Call& c, const char* method, const std::string& content_type) {
  if (d_.state.tenant(c.tenant).auditing_enabled) return false;
  const std::string& tid = c.token.tenant_id;
  const std::string pub = c.publisher.value_or("00000000-0000-0000-0000-000000000000");
  std::string code = std::string(method) + " [CorrId=" + d_.random.guid() + "][TenantId=" + tid +
                     ",ContentType=" + content_type + ",ApplicationId=" + c.token.client_id +
                     ",PublisherId=" + pub + "][AppId";
  std::string message =
      c.token.client_id +
      "] failed. Exception: Microsoft.Office.Compliance.Audit.DataServiceException: "
      "Tenant " +
      tid +
      " does not exist.\r\n   at Microsoft.Office.Compliance.Audit."
      "API.AuditApiServiceImplementation." +
      method + "(String tenantId)";
  afError(c.res, 400, code, message);
  return true;
}

void ApiService::start(Call& c) {
  auto ct = contentTypeParam(c, true);
  if (!ct) return;
  const std::string name(kContentTypes[*ct]);
  if (auditingOff(c, "StartSubscription", name)) return;
  if (c.req.body.find("\"webhook\"") != std::string::npos) {
    return afError(c.res, 400, "AF20021",
                   "The webhook endpoint could not be validated: o365fwd-sim does not deliver "
                   "webhooks; poll subscriptions/content instead.");
  }
  if (d_.state.tenant(c.tenant).subscriptions[*ct] == SubscriptionState::kEnabled)
    return afError(c.res, 400, "AF20024",
                   "The subscription is already enabled. No property change.");
  d_.state.setSubscription(c.tenant, *ct, SubscriptionState::kEnabled);
  json(c.res, 200,
       "{\"contentType\":" + jsonString(name) + ",\"status\":\"enabled\",\"webhook\":null}");
}

void ApiService::stop(Call& c) {
  auto ct = contentTypeParam(c, true);
  if (!ct) return;
  if (auditingOff(c, "StopSubscription", std::string(kContentTypes[*ct]))) return;
  SubscriptionState s = d_.state.tenant(c.tenant).subscriptions[*ct];
  if (s == SubscriptionState::kNone)
    return afError(c.res, 400, "AF20022", "No subscription found for the specified content type.");
  d_.state.setSubscription(c.tenant, *ct, SubscriptionState::kStopped);
  c.res.status = 200;
}

void ApiService::list(Call& c) {
  if (d_.state.global().faults.subscription_list_404) {
    c.res.status = 404;  // as a mock or proxy that does not implement the route
    c.res.set_content("Not Found", "text/plain");
    return;
  }
  if (auditingOff(c, "ListSubscriptions", "")) return;
  TenantRuntime t = d_.state.tenant(c.tenant);
  std::string out = "[";
  for (size_t i = 0; i < kContentTypeCount; ++i) {
    if (t.subscriptions[i] == SubscriptionState::kNone) continue;
    if (out.size() > 1) out += ",";
    out += "{\"contentType\":" + jsonString(kContentTypes[i]) + ",\"status\":\"" +
           (t.subscriptions[i] == SubscriptionState::kEnabled ? "enabled" : "disabled") +
           "\",\"webhook\":null}";
  }
  json(c.res, 200, out + "]");
}

void ApiService::notifications(Call& c) {
  auto ct = contentTypeParam(c, true);
  if (!ct) return;
  json(c.res, 200, "[]");
}

void ApiService::dlpTypes(Call& c) {
  std::string lang = c.req.get_header_value("Accept-Language");
  if (lang.find(',') != std::string::npos)
    return afError(c.res, 400, "AF20053",
                   "More than one language was specified in Accept-Language.");
  static const std::regex kTag("[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*");
  if (!lang.empty() && !std::regex_match(lang, kTag))
    return afError(c.res, 400, "AF20054", "Invalid Accept-Language header syntax: " + lang + ".");
  json(c.res, 200,
       "[{\"id\":\"50842eb7-edc8-4019-85dd-5a5c1f2bb085\",\"name\":\"Credit Card Number\"},"
       "{\"id\":\"a44669fe-0d48-453d-a9b1-2cc83f2cba77\",\"name\":\"U.S. Social Security Number "
       "(SSN)\"},"
       "{\"id\":\"e7dc4711-11b7-4cb0-b88b-2c394a771f0e\",\"name\":\"International Banking Account "
       "Number (IBAN)\"},"
       "{\"id\":\"cb353f78-2b72-4c3c-8827-92ebe4f69fdf\",\"name\":\"ABA Routing Number\"},"
       "{\"id\":\"178ec42a-18b4-47cc-85c7-d62c92fd67f8\",\"name\":\"EU Debit Card Number\"}]");
}

}  // namespace o365fwd::sim
