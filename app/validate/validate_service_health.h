#pragma once
// The "service_health" stage of `o365fwd validate` for a tenant with `service_health: true`
// (docs/VALIDATE.md): a token for the Graph host from the tenant's credential, then one
// GET .../serviceAnnouncement/healthOverviews; a 403 fails with the remedy (add the Microsoft
// Graph application permission ServiceHealth.Read.All and grant admin consent). Called by
// checkTenant() on the validating thread; appends one CheckResult to ctx.report. Nothing for a
// tenant without service health.
#include "app/runtime.h"
#include "app/validate/validate_command.h"

namespace o365fwd {

void checkServiceHealth(ValidationContext& ctx, TenantRuntime& tr);

}  // namespace o365fwd
