#include "app/validate/validate_scope.h"

#include <algorithm>
#include <filesystem>

#include "core/config/config_fleet.h"

namespace o365fwd {
namespace {

std::string canonical(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

bool aboutTenants(const ConfigIssue& issue) {
  return issue.path.rfind("tenants[", 0) == 0;
}

}  // namespace

void narrowToScope(LoadedConfig& loaded, const std::string& tenant,
                   const std::string& tenants_file) {
  if (tenant.empty() && tenants_file.empty()) return;
  Config& config = loaded.config;
  const std::string main = config.source_path;
  std::string file;              // the tenants file in scope ("" = none)
  std::string main_tenant_path;  // "tenants[i]" of a tenant of the main file
  if (!tenants_file.empty()) {
    auto in_dir =
        std::find_if(loaded.tenant_files.begin(), loaded.tenant_files.end(),
                     [&](const auto& f) { return canonical(f.path) == canonical(tenants_file); });
    if (in_dir != loaded.tenant_files.end()) {
      file = in_dir->path;
    } else {
      file = tenants_file;
      mergeTenantFile(loaded, tenants_file);
    }
  }
  std::vector<TenantConfig> kept;
  for (size_t i = 0; i < config.tenants.size(); ++i) {
    const TenantConfig& t = config.tenants[i];
    bool in_file = file.empty() || t.source_file == file;
    bool named = tenant.empty() || t.name == tenant;
    if (!in_file || !named) continue;
    if (t.source_file.empty()) main_tenant_path = "tenants[" + std::to_string(i) + "]";
    if (file.empty() && !t.source_file.empty()) file = t.source_file;
    kept.push_back(t);
  }
  std::vector<ConfigIssue> issues;
  for (ConfigIssue& issue : loaded.issues) {
    bool keep = issue.file == main
                    ? !aboutTenants(issue) || (!main_tenant_path.empty() &&
                                               (issue.path == main_tenant_path ||
                                                issue.path.rfind(main_tenant_path + ".", 0) == 0))
                    : issue.file == file;
    // A tenant not found may sit in a broken file: show those files' problems.
    if (!keep && kept.empty() && !tenant.empty() && issue.file != main) keep = true;
    if (keep) issues.push_back(std::move(issue));
  }
  if (kept.empty() && !tenant.empty())
    issues.push_back(ConfigIssue{main, "", 0,
                                 "--tenant " + tenant +
                                     ": no valid tenant of that name in the configuration or its "
                                     "tenants_dir files",
                                 false});
  loaded.issues = std::move(issues);
  config.tenants = std::move(kept);
}

}  // namespace o365fwd
