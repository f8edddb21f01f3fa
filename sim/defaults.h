#pragma once
// The built-in demo tenant (used when neither --scenario nor --tenants is given) and the
// generator of N fake tenants for --tenants. All values are the simulator's own fake
// credentials; none belongs to a real tenant. Pure functions.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenario.h"

namespace o365fwd::sim {

inline constexpr const char* kDemoTenantId = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14";
inline constexpr const char* kDemoClientId = "a3e5c7d9-1b2f-4a6c-8e0d-2f4b6a8c0e12";
inline constexpr const char* kDemoDomain = "contoso.onmicrosoft.com";
// Documented in docs/SIMULATOR.md; contains '~', '.', '+', '/', '=' on purpose so that clients
// must URL-encode it.
inline constexpr const char* kDemoClientSecret = "Zx8Q~o365fwdSimDemo.Secret+with/chars=";

TenantConfig demoTenant();

// Tenants "tenant1".."tenantN" with ids, client ids and secrets derived from `seed`.
std::vector<TenantConfig> generatedTenants(int count, std::uint64_t seed);

}  // namespace o365fwd::sim
