#include "app/validate/validate_checks.h"

#include "app/validate/check_steps.h"
#include "app/validate/validate_access.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "app/runtime.h"
#include "core/random.h"
#include "core/time_format.h"
#include "pipeline/state_store.h"
#include "sinks/sink_factory.h"

namespace o365fwd {
namespace {

using namespace validate_steps;

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
    std::string roles = !info.roles.empty() ? join(info.roles)
                        : info.readable     ? std::string("none")
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
      checkPermissionsFromApi(ctx, t, info, list, ok);
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
