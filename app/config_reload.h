#pragma once
// SIGHUP (`systemctl reload o365fwd`): what a reload applies and what it cannot. The running
// daemon re-reads client secrets and certificates at the next token refresh and applies the new
// log level; everything else is fixed at start. reloadReport() compares the running
// configuration with the file as it is now and names each section whose change needs a restart,
// so an edit is never ignored silently. Pure function, any thread.
#include <string>
#include <vector>

#include "core/config/config.h"

namespace o365fwd {

// Setting paths whose change needs `systemctl restart o365fwd` ("tenants[contoso].content_types",
// "sinks", "collection.poll_interval", "state_dir", "health", "log.format", "cluster"), in file
// order.
std::vector<std::string> changesNeedingRestart(const Config& running, const Config& reloaded);

// Same connector settings (ids, secret source, endpoints, content types): a running tenant whose
// settings differ is re-created by a live reload (app/tenant_fleet.h).
bool sameTenantSettings(const TenantConfig& a, const TenantConfig& b);

}  // namespace o365fwd
