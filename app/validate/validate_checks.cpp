#include "app/validate/validate_checks.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "app/runtime.h"
#include "core/crypto.h"
#include "core/random.h"
#include "core/time_format.h"
#include "pipeline/state_store.h"
#include "sinks/sink_factory.h"

namespace o365fwd {
namespace {

using std::chrono::milliseconds;

class Timer {
 public:
  explicit Timer(Clock& clock) : clock_(clock), start_(clock.steadyNow()) {}
  milliseconds elapsed() const {
    return std::chrono::duration_cast<milliseconds>(clock_.steadyNow() - start_);
  }
  std::string ms() const { return std::to_string(elapsed().count()) + " ms"; }

 private:
  Clock& clock_;
  SteadyTime start_;
};

CheckResult make(std::string name, std::string target) {
  CheckResult c;
  c.name = std::move(name);
  c.target = std::move(target);
  return c;
}

void fail(CheckResult& c, std::string detail, std::string remedy) {
  c.status = CheckResult::kFail;
  c.detail = std::move(detail);
  c.remedy = std::move(remedy);
}

void push(ValidationContext& ctx, CheckResult c, const Timer& t) {
  c.duration = t.elapsed();
  ctx.report.checks.push_back(std::move(c));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// What the access token itself says, when it says anything: Microsoft documents access tokens
// as opaque to clients, and proxies and test servers issue opaque ones.
struct TokenClaims {
  bool readable = false;   // a JWT whose payload is a JSON object
  bool delegated = false;  // carries delegated scopes (`scp`)
};

TokenClaims readClaims(const std::string& token) {
  TokenClaims out;
  size_t a = token.find('.'), b = a == std::string::npos ? a : token.find('.', a + 1);
  if (b == std::string::npos) return out;
  auto payload = crypto::base64UrlDecode(std::string_view(token).substr(a + 1, b - a - 1));
  if (!payload.ok()) return out;
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(payload->data(), payload->size());
  out.readable = !doc.HasParseError() && doc.IsObject();
  out.delegated = out.readable && doc.HasMember("scp");
  return out;
}

// Remedy for a token error the provider did not explain; its message usually already does.
std::string tokenRemedy(const Error& e) {
  if (e.code == "AADSTS7000215")
    return "the client secret is wrong: paste the secret's Value (not its Secret ID) from Entra "
           "ID > App registrations > Certificates & secrets into the configured source";
  if (e.code == "AADSTS7000222")
    return "the client secret has expired: create a new secret in Entra ID > App registrations > "
           "Certificates & secrets and store its Value";
  if (e.code == "AADSTS700016")
    return "no application with this client_id in the tenant: check client_id and tenant_id, or "
           "grant admin consent so the app has a service principal in the tenant";
  if (e.code == "AADSTS90002")
    return "the tenant was not found: check tenant_id and the tenant's cloud (cloud: setting)";
  if (e.kind == ErrorKind::kAuth) return "see the message above; then run `o365fwd validate` again";
  return "check DNS, the proxy (HTTPS_PROXY) and the firewall towards the login host";
}

void checkReach(ValidationContext& ctx, Runtime& rt, const TenantConfig& t, bool& ok) {
  const std::pair<const char*, std::string> hosts[] = {{"login host ", t.login_url},
                                                        {"API host ", t.api_url}};
  for (const auto& [role, url] : hosts) {
    Timer timer(ctx.clock);
    CheckResult c = make("reach", t.name);
    HttpRequest req;
    req.url = url + "/";
    req.connect_timeout = std::chrono::seconds(10);
    req.timeout = std::chrono::seconds(20);
    req.max_response_bytes = 256 * 1024;
    auto res = executeBlocking(rt.transport(), std::move(req));
    if (res.ok()) {
      c.detail = role + url + " answered HTTP " + std::to_string(res->status) + " in " + timer.ms();
    } else {
      ok = false;
      fail(c, role + url + " unreachable: " + res.error().describe(),
           "check DNS, the proxy (HTTPS_PROXY), the firewall and TLS inspection towards this "
           "host; with a TLS interception proxy install its CA in the system store");
    }
    push(ctx, std::move(c), timer);
  }
}

constexpr const char* kConsentRemedy =
    "in Entra ID > App registrations > API permissions, add Office 365 Management APIs > "
    "Application permissions > ActivityFeed.Read, then grant admin consent for the tenant";
constexpr const char* kDelegatedRemedy =
    "add the Office 365 Management APIs permissions as Application permissions (not Delegated), "
    "then grant admin consent";

// The token's `roles` decide (present in Microsoft's JWTs).
void checkPermissionsFromRoles(ValidationContext& ctx, const TenantConfig& t, const TokenInfo& info,
                               bool& ok) {
  Timer timer(ctx.clock);
  CheckResult c = make("permissions", t.name);
  auto has = [&](const char* r) {
    return std::find(info.roles.begin(), info.roles.end(), r) != info.roles.end();
  };
  bool dlp = std::find(t.content_types.begin(), t.content_types.end(), "DLP.All") !=
             t.content_types.end();
  if (!has("ActivityFeed.Read")) {
    ok = false;
    fail(c, "roles " + join(info.roles) + ": ActivityFeed.Read missing",
         "add the Application permission Office 365 Management APIs > ActivityFeed.Read and "
         "grant admin consent");
  } else if (dlp && !has("ActivityFeed.ReadDlp")) {
    fail(c, "roles " + join(info.roles) + ": DLP.All is configured but ActivityFeed.ReadDlp is "
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
void checkPermissionsFromApi(ValidationContext& ctx, const TenantConfig& t, TokenClaims claims,
                             const Result<std::vector<SubscriptionInfo>>& list, bool& ok) {
  Timer timer(ctx.clock);
  CheckResult c = make("permissions", t.name);
  std::string token = claims.readable ? "the token carries no roles" : "opaque access token";
  if (list.ok()) {
    c.detail = token + "; the API accepts it (subscriptions/list answered)";
    if (std::find(t.content_types.begin(), t.content_types.end(), "DLP.All") !=
        t.content_types.end())
      c.detail += "; ActivityFeed.ReadDlp is checked by the DLP.All listing";
  } else if (list.error().code == "AF10001") {
    ok = false;
    c.code = "AF10001";
    if (claims.delegated)
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

std::string subscriptionRemedy(const Error& e) {
  if (e.code == "AF10001")
    return "grant admin consent for the app's ActivityFeed.Read Application permission";
  if (e.code == "AuditingDisabled")
    return "turn on unified audit logging (Purview > Audit > Start recording, or "
           "Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true); it may take hours";
  if (e.code == "AF20023") return "the subscription is disabled by an administrator: start it with "
                                  "`o365fwd subscriptions start` or `o365fwd validate --fix`";
  if (e.code == "AF429")
    return "throttled: lower collection.max_requests_per_minute, and check that publisher_id "
           "(PublisherIdentifier) is the tenant GUID so the tenant's own quota is used";
  return "see the message above";
}

using SubscriptionList = Result<std::vector<SubscriptionInfo>>;

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

// The API client retries AF429 for minutes; validate gives one listing this long.
constexpr auto kListingDeadline = std::chrono::seconds(20);

void checkListing(ValidationContext& ctx, TenantRuntime& tr, const TenantConfig& t,
                  const std::set<std::string>& enabled) {
  WallTime end = ctx.clock.wallNow();
  WallTime start = end - std::chrono::hours(1);
  for (const std::string& ct : t.content_types) {
    Timer timer(ctx.clock);
    CheckResult c = make("listing", t.name + " " + ct);
    if (!enabled.count(ct)) {
      c.status = CheckResult::kSkip;
      c.code = "no_enabled_subscription";
      c.detail = "the one-hour listing check needs an enabled subscription; " + ct + " has none";
      push(ctx, std::move(c), timer);
      continue;
    }
    std::string path = "subscriptions/content?contentType=" + encodeQueryValue(ct) +
                       "&startTime=" + encodeQueryValue(formatApiTime(start)) +
                       "&endTime=" + encodeQueryValue(formatApiTime(end));
    std::uint64_t throttled_before = tr.stats->snapshot().throttled;
    std::stop_source deadline;
    std::jthread timer_thread([&deadline](std::stop_token cancel) {
      std::mutex mu;
      std::condition_variable_any cv;
      std::unique_lock lock(mu);
      if (!cv.wait_for(lock, cancel, kListingDeadline, [] { return false; }))
        if (!cancel.stop_requested()) deadline.request_stop();
    });
    auto res = tr.api->call(ApiCall::kContentList, "GET", path, deadline.get_token());
    timer_thread.request_stop();
    timer_thread.join();
    bool throttled = tr.stats->snapshot().throttled > throttled_before;
    if (!res.ok()) {
      Error e = res.error();
      if (throttled) e.code = "AF429";
      std::string what = e.code == "AF429"
                             ? "throttled (AF429) while listing the last hour: "
                             : "listing the last hour failed: ";
      if (e.kind == ErrorKind::kCancelled)
        e.message = "no answer within " + std::to_string(kListingDeadline.count()) + " s";
      fail(c, what + e.describe(), subscriptionRemedy(e));
    } else {
      rapidjson::Document doc;
      doc.Parse<rapidjson::kParseIterativeFlag>(res->body.data(), res->body.size());
      size_t blobs = !doc.HasParseError() && doc.IsArray() ? doc.Size() : 0;
      bool more = res->header("NextPageUri").has_value();
      c.detail = std::to_string(blobs) + " blob" + (blobs == 1 ? "" : "s") +
                 (more ? " on the first page (more pages follow)" : "") +
                 " in the last hour, listed in " + timer.ms();
    }
    push(ctx, std::move(c), timer);
  }
}

}  // namespace

void checkStateDirectory(ValidationContext& ctx) {
  Timer timer(ctx.clock);
  const std::string& dir = ctx.loaded.config.state_dir;
  CheckResult c = make("state", dir);
  {
    auto store = openSqliteStateStore(dir);
    if (store.ok()) {
      c.detail = "writable and not locked, opened in " + timer.ms();
    } else {
      fail(c, store.error().describe(),
           "make " + dir + " writable by the service user, and stop any other o365fwd using it "
           "(systemctl stop o365fwd) before running a second instance");
    }
  }  // closed (and unlocked) here
  push(ctx, std::move(c), timer);
}

void checkTenants(ValidationContext& ctx) {
  const Config& config = ctx.loaded.config;
  Random random(Random::seedFromDevice());
  auto runtime = Runtime::create(config, ctx.clock, random);
  if (!runtime.ok()) {
    CheckResult c = make("connector", "");
    fail(c, runtime.error().describe(), "see the message above");
    ctx.report.checks.push_back(std::move(c));
    return;
  }
  std::stop_source stop;
  for (const auto& tr : (*runtime)->tenants()) {
    const TenantConfig& t = *tr->config;
    if (!ctx.secrets.count(t.name) && !ctx.certificates.count(t.name)) continue;
    bool ok = true;
    checkReach(ctx, **runtime, t, ok);
    if (!ok) continue;
    Timer timer(ctx.clock);
    CheckResult c = make("token", t.name);
    auto token = tr->tokens->token(stop.get_token());
    if (!token.ok()) {
      fail(c, token.error().describe(), tokenRemedy(token.error()));
      push(ctx, std::move(c), timer);
      continue;
    }
    TokenInfo info = tr->tokens->info().value_or(TokenInfo{});
    TokenClaims claims = readClaims(*token);
    std::string roles = !info.roles.empty() ? join(info.roles)
                        : claims.readable   ? std::string("none")
                                            : std::string("not readable (opaque token)");
    c.detail = "token acquired in " + timer.ms() + ", expires " + formatApiTime(info.expires_at) +
               "Z, roles " + roles;
    push(ctx, std::move(c), timer);
    // Roles decide when the token has them; otherwise the API's answer to the list does.
    SubscriptionList list = Error::permanent(ErrorKind::kInternal, "not asked");
    if (!info.roles.empty()) {
      checkPermissionsFromRoles(ctx, t, info, ok);
      if (!ok) continue;
      list = tr->subscriptions->list(stop.get_token());
    } else {
      list = tr->subscriptions->list(stop.get_token());
      checkPermissionsFromApi(ctx, t, claims, list, ok);
      if (!ok) continue;
    }
    std::set<std::string> enabled;
    checkSubscriptions(ctx, *tr, t, list, stop.get_token(), ok, enabled);
    if (!ok) continue;
    checkListing(ctx, *tr, t, enabled);
  }
}

void checkSinks(ValidationContext& ctx) {
  Random random(Random::seedFromDevice());
  for (const SinkConfig& sc : ctx.loaded.config.sinks) {
    Timer timer(ctx.clock);
    CheckResult c = make("sink", sc.name);
    std::string remedy = std::string("check the ") + toString(sc.type) +
                         " sink settings and that the destination is reachable and writable by "
                         "the service user";
    auto sink = makeSink(sc, ctx.clock, random);
    if (!sink.ok()) {
      fail(c, sink.error().describe(), remedy);
    } else if (Status st = (*sink)->start(); !st.ok()) {
      fail(c, "start failed: " + st.error().describe(), remedy);
    } else {
      Status health = (*sink)->healthcheck(std::chrono::seconds(5));
      if (health.ok())
        c.detail = std::string(toString(sc.type)) + " sink healthy, checked in " + timer.ms();
      else
        fail(c, "healthcheck failed: " + health.error().describe(), remedy);
      (*sink)->stop();
    }
    push(ctx, std::move(c), timer);
  }
}

}  // namespace o365fwd
