#include "app/validate/validate_checks.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <stop_token>
#include <thread>

#include "app/runtime.h"
#include "app/validate/check_steps.h"
#include "app/validate/validate_service_health.h"
#include "app/validate/validate_access.h"
#include "app/validate/validate_filters.h"
#include "core/random.h"
#include "core/time_format.h"
#include "pipeline/state/state_store.h"
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

// Each distinct login and API host is asked once, however many tenants use it: one "reach" check
// per host (target: its URL). Returns the hosts that did not answer.
std::set<std::string> checkHosts(ValidationContext& ctx, Runtime& rt,
                                 const std::vector<const TenantConfig*>& tenants) {
  std::map<std::string, std::pair<std::set<std::string>, std::size_t>> hosts;  // roles, tenants
  for (const TenantConfig* t : tenants) {
    auto& login = hosts[t->login_url];
    login.first.insert("login");
    ++login.second;
    auto& api = hosts[t->api_url];
    api.first.insert("API");
    if (t->api_url != t->login_url) ++api.second;
  }
  std::set<std::string> unreachable;
  for (const auto& [url, use] : hosts) {
    Timer timer(ctx.clock);
    CheckResult c = make("reach", url);
    const std::string role =
        (use.first.size() == 2 ? std::string("login and API") : *use.first.begin()) + " host of " +
        std::to_string(use.second) + " tenant" + (use.second == 1 ? "" : "s");
    HttpRequest req;
    req.url = url + "/";
    req.connect_timeout = std::chrono::seconds(10);
    req.timeout = std::chrono::seconds(20);
    req.max_response_bytes = 256 * 1024;
    auto res = executeBlocking(rt.transport(), std::move(req));
    if (res.ok()) {
      c.detail = role + " answered HTTP " + std::to_string(res->status) + " in " + timer.ms();
    } else {
      unreachable.insert(url);
      fail(c, role + " unreachable: " + res.error().describe(),
           "check DNS, the proxy (HTTPS_PROXY), the firewall and TLS inspection towards this "
           "host; with a TLS interception proxy install its CA in the system store");
    }
    push(ctx, std::move(c), timer);
  }
  return unreachable;
}

// The API client retries AF429 for minutes; validate gives one listing this long.
constexpr auto kListingDeadline = std::chrono::seconds(20);

// Also collects the blobs the filters check samples (only when the tenant has filters).
void checkListing(ValidationContext& ctx, TenantRuntime& tr, const TenantConfig& t,
                  const std::set<std::string>& enabled, std::vector<SampleBlob>& sample) {
  const bool sampling = !t.filters.admitsAll();
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
      std::string what = e.code == "AF429" ? "throttled (AF429) while listing the last hour: "
                                           : "listing the last hour failed: ";
      if (e.kind == ErrorKind::kCancelled)
        e.message = "no answer within " + std::to_string(kListingDeadline.count()) + " s";
      fail(c, what + e.describe(), subscriptionRemedy(e));
    } else {
      rapidjson::Document doc;
      doc.Parse<rapidjson::kParseIterativeFlag>(res->body.data(), res->body.size());
      size_t blobs = !doc.HasParseError() && doc.IsArray() ? doc.Size() : 0;
      bool more = res->header("NextPageUri").has_value();
      if (sampling && sample.size() < kFilterSampleBlobs)
        for (std::string& uri : sampleContentUris(
                 res->body,
                 std::min(kFilterSampleBlobsPerType, kFilterSampleBlobs - sample.size())))
          sample.push_back({ct, std::move(uri)});
      c.detail = std::to_string(blobs) + " blob" + (blobs == 1 ? "" : "s") +
                 (more ? " on the first page (more pages follow)" : "") +
                 " in the last hour, listed in " + timer.ms();
    }
    push(ctx, std::move(c), timer);
  }
}

// One tenant after its hosts answered: token, permissions, subscriptions, listing. Runs on a
// validate worker; appends to `ctx` (the tenant's own context) only.
void checkTenant(ValidationContext& ctx, TenantRuntime& tr) {
  const TenantConfig& t = *tr.config;
  std::stop_source stop;
  bool ok = true;
  Timer timer(ctx.clock);
  CheckResult c = make("token", t.name);
  auto token = tr.tokens->token(stop.get_token());
  if (!token.ok()) {
    fail(c, token.error().describe(), tokenRemedy(token.error()));
    push(ctx, std::move(c), timer);
    return;
  }
  TokenInfo info = tr.tokens->info().value_or(TokenInfo{});
  std::string roles = !info.roles.empty() ? join(info.roles)
                      : info.readable     ? std::string("none")
                                          : std::string("not readable (opaque token)");
  c.detail = "token acquired in " + timer.ms() + ", expires " + formatApiTime(info.expires_at) +
             "Z, roles " + roles;
  push(ctx, std::move(c), timer);
  checkServiceHealth(ctx, tr);  // service_health: true only; independent of the audit checks
  // Roles decide when the token has them; otherwise the API's answer to the list does.
  SubscriptionList list = Error::permanent(ErrorKind::kInternal, "not asked");
  if (!info.roles.empty()) {
    checkPermissionsFromRoles(ctx, t, info, ok);
    if (!ok) return;
    list = tr.subscriptions->list(stop.get_token());
  } else {
    list = tr.subscriptions->list(stop.get_token());
    checkPermissionsFromApi(ctx, t, info, list, ok);
    if (!ok) return;
  }
  std::set<std::string> enabled;
  checkSubscriptions(ctx, tr, t, list, stop.get_token(), ok, enabled);
  if (!ok) return;
  std::vector<SampleBlob> sample;
  checkListing(ctx, tr, t, enabled, sample);
  checkFilterSample(ctx, tr, t, sample);
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
           "make " + dir +
               " writable by the service user, and stop any other o365fwd using it "
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
  std::vector<TenantRuntime*> tenants;
  std::vector<const TenantConfig*> configs;
  for (const auto& tr : (*runtime)->tenants()) {
    if (!ctx.secrets.count(tr->config->name) && !ctx.certificates.count(tr->config->name)) continue;
    tenants.push_back(tr.get());
    configs.push_back(tr->config);
  }
  const std::set<std::string> unreachable = checkHosts(ctx, **runtime, configs);
  // Tenants run on a bounded set of workers, each into its own list of checks; the lists are
  // appended in configuration order, so the report does not depend on the schedule.
  std::vector<std::vector<CheckResult>> results(tenants.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < tenants.size(); i = next++) {
      ValidationContext one{ctx.options, ctx.clock, {}, {}, {}, {}, {}};
      const TenantConfig& t = *tenants[i]->config;
      for (const std::string* url : {&t.login_url, &t.api_url})
        if (unreachable.count(*url)) {
          Timer timer(ctx.clock);
          CheckResult c = make("reach", t.name);
          c.status = CheckResult::kSkip;
          c.code = "host_unreachable";
          c.detail = "not checked: " + *url + " is unreachable (see above)";
          push(one, std::move(c), timer);
          break;
        }
      if (one.report.checks.empty()) checkTenant(one, *tenants[i]);
      for (CheckResult& c : one.report.checks) c.tenant = t.name;
      results[i] = std::move(one.report.checks);
    }
  };
  const std::size_t workers =
      std::min<std::size_t>(tenants.size(), std::max(1, ctx.options.parallel));
  {
    std::vector<std::jthread> pool;
    for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(work);
    work();
  }  // joined
  for (auto& checks : results)
    for (CheckResult& c : checks) ctx.report.checks.push_back(std::move(c));
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
