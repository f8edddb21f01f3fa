#include "sim/defaults.h"

#include "sim/det_hash.h"

namespace o365fwd::sim {

TenantConfig demoTenant() {
  TenantConfig t;
  t.name = "contoso";
  t.tenant_id = kDemoTenantId;
  t.domain = kDemoDomain;
  AppConfig app;
  app.client_id = kDemoClientId;
  app.client_secret = kDemoClientSecret;
  t.apps.push_back(std::move(app));
  return t;
}

std::vector<TenantConfig> generatedTenants(int count, std::uint64_t seed) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-+/";
  std::vector<TenantConfig> out;
  for (int i = 1; i <= count; ++i) {
    std::string label = "o365fwd-sim/" + std::to_string(seed) + "/tenant/" + std::to_string(i);
    TenantConfig t;
    t.name = "tenant" + std::to_string(i);
    t.tenant_id = guidFromLabel(label);
    t.domain = t.name + ".onmicrosoft.com";
    AppConfig app;
    app.client_id = guidFromLabel(label + "/app");
    std::uint64_t h = hashString(label + "/secret");
    std::string secret = "Sim8Q~";
    for (int c = 0; c < 34; ++c) {
      h = mix64(h + static_cast<std::uint64_t>(c));
      secret.push_back(kAlphabet[h % 68]);
    }
    app.client_secret = secret;
    t.apps.push_back(std::move(app));
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace o365fwd::sim
