#include "app/validate/validate_service_health.h"

#include <stop_token>

#include "app/validate/check_steps.h"

namespace o365fwd {

using namespace validate_steps;

void checkServiceHealth(ValidationContext& ctx, TenantRuntime& tr) {
  if (!tr.graph || !tr.graph_tokens) return;
  const TenantConfig& t = *tr.config;
  Timer timer(ctx.clock);
  CheckResult c = make("service_health", t.name);
  std::stop_source stop;
  auto token = tr.graph_tokens->token(stop.get_token());
  if (!token.ok()) {
    c.code = token.error().code;
    fail(c, "no token for Microsoft Graph (" + t.graph_url + "): " + token.error().describe(),
         "the tenant's credential must be able to get a token for " + t.graph_url +
             "/.default; check graph_url (the cloud's Graph host) or set service_health: false");
    push(ctx, std::move(c), timer);
    return;
  }
  TokenInfo info = tr.graph_tokens->info().value_or(TokenInfo{});
  auto overviews = tr.graph->healthOverviews(stop.get_token());
  if (!overviews.ok()) {
    const Error& e = overviews.error();
    c.code = e.code;
    if (e.kind == ErrorKind::kPermission) {
      fail(c,
           "Microsoft Graph refused the service health request (403); token roles: " +
               (info.roles.empty() ? std::string("none readable") : join(info.roles)),
           "add the Microsoft Graph Application permission ServiceHealth.Read.All to the "
           "application (Entra admin center > App registrations > API permissions > Add a "
           "permission > Microsoft Graph > Application permissions) and select \"Grant admin "
           "consent\"; or set service_health: false for this tenant");
    } else {
      fail(c, "Microsoft Graph service health: " + e.describe(),
           "check that " + t.graph_url +
               " is reachable from this host (proxy, firewall) and is the Graph host of the "
               "tenant's cloud; audit collection does not depend on it");
    }
    push(ctx, std::move(c), timer);
    return;
  }
  std::size_t degraded = 0;
  for (const ServiceOverview& o : overviews->services) degraded += o.status != "serviceOperational";
  c.detail =
      "Graph token and ServiceHealth.Read.All ok: " + std::to_string(overviews->services.size()) +
      " services, " + std::to_string(degraded) + " not operational, in " + timer.ms();
  push(ctx, std::move(c), timer);
}

}  // namespace o365fwd
