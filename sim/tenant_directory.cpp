#include "sim/tenant_directory.h"

#include <cctype>

#include "core/secrets/crypto.h"

namespace o365fwd::sim {
namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

Result<TenantDirectory> TenantDirectory::load(const std::vector<TenantConfig>& tenants) {
  TenantDirectory dir;
  for (const auto& t : tenants) {
    TenantEntry entry{t, {}};
    for (const auto& app : t.apps) {
      AppEntry a{app, {}};
      for (const auto& file : app.certificate_files) {
        auto cert = crypto::Certificate::fromPemFile(file);
        if (!cert.ok()) {
          return Error::permanent(ErrorKind::kConfig, "tenant " + t.name + " app " + app.client_id +
                                                          ": cannot load certificate " + file +
                                                          ": " + cert.error().message);
        }
        a.keys.push_back(CertKey{cert->x5t(), cert->x5tS256(), cert->publicKeyPem()});
      }
      entry.apps.push_back(std::move(a));
    }
    dir.tenants_.push_back(std::move(entry));
  }
  return dir;
}

std::optional<size_t> TenantDirectory::findBySegment(std::string_view segment) const {
  for (size_t i = 0; i < tenants_.size(); ++i) {
    const auto& c = tenants_[i].config;
    if (equalsIgnoreCase(c.tenant_id, segment) || equalsIgnoreCase(c.domain, segment)) return i;
  }
  return std::nullopt;
}

std::optional<size_t> TenantDirectory::findById(std::string_view tenant_id) const {
  for (size_t i = 0; i < tenants_.size(); ++i)
    if (equalsIgnoreCase(tenants_[i].config.tenant_id, tenant_id)) return i;
  return std::nullopt;
}

const AppEntry* TenantDirectory::findApp(size_t tenant, std::string_view client_id) const {
  for (const auto& a : tenants_[tenant].apps)
    if (equalsIgnoreCase(a.config.client_id, client_id)) return &a;
  return nullptr;
}

}  // namespace o365fwd::sim
