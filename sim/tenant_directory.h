#pragma once
// The simulated tenants and their apps as configured, with each app's registered certificates
// loaded (thumbprints and public keys). Built once at start; immutable afterwards, so any
// thread may read it. Run-time changeable tenant settings live in SimState.
#include <optional>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "sim/auth/client_assertion.h"
#include "sim/scenario.h"

namespace o365fwd::sim {

struct AppEntry {
  AppConfig config;
  std::vector<CertKey> keys;  // one per certificate file
};

struct TenantEntry {
  TenantConfig config;
  std::vector<AppEntry> apps;
};

class TenantDirectory {
 public:
  // Fails (with the file named) when a certificate file cannot be read.
  static Result<TenantDirectory> load(const std::vector<TenantConfig>& tenants);

  size_t size() const { return tenants_.size(); }
  const TenantEntry& at(size_t i) const { return tenants_[i]; }
  // A token-endpoint path segment: the tenant GUID or its domain, case-insensitively.
  std::optional<size_t> findBySegment(std::string_view segment) const;
  // Exact tenant GUID (case-insensitive).
  std::optional<size_t> findById(std::string_view tenant_id) const;
  const AppEntry* findApp(size_t tenant, std::string_view client_id) const;

 private:
  std::vector<TenantEntry> tenants_;
};

}  // namespace o365fwd::sim
