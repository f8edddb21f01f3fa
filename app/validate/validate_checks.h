#pragma once
// The network stages of `o365fwd validate` (docs/VALIDATE.md "Network checks"): state directory,
// per tenant host reach / token / permissions / subscriptions / content listing, per sink
// healthcheck. Each appends CheckResults to ctx.report; none prints, none throws, none stops the
// run. Called from runValidation() on its thread after checkCredentials(), only when
// ctx.options.offline is false and the configuration is valid. Secrets never enter a check: the
// token is used but never shown, error messages come from the connector, which scrubs them.
#include "app/validate/validate_command.h"

namespace o365fwd {

// Opens the state store in config.state_dir (taking its lock) and closes it at once: "state"
// check; fails when the directory is not writable or another instance holds the lock.
void checkStateDirectory(ValidationContext& ctx);
// "reach" once per distinct login or API host (target: its URL), then per tenant, on up to
// ctx.options.parallel workers: "token", "permissions", "subscription" (one per content type;
// starts missing ones when ctx.options.fix), "listing" (the last hour, one per content type).
// A failed stage skips the tenant's later stages; a tenant whose host did not answer gets one
// skipped "reach" check (code host_unreachable). Checks are appended in configuration order
// whatever the schedule, each with its `tenant`.
void checkTenants(ValidationContext& ctx);
// Per sink: makeSink, start, healthcheck(5 s), stop: one "sink" check each.
void checkSinks(ValidationContext& ctx);

}  // namespace o365fwd
