#pragma once
// The access stages of `o365fwd validate` for one tenant (docs/VALIDATE.md "Network checks"):
// "permissions" (from the token's roles, or from the API's answer when the token has none, e.g.
// an opaque token) and "subscription" (one per content type; never started = warn, disabled =
// fail; a subscriptions/list 404 falls back to starting each, as the daemon does). Called by
// checkTenants() on the validating thread; each appends CheckResults to ctx.report.
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "app/runtime.h"
#include "app/validate/validate_command.h"
#include "connector/auth/token_provider.h"
#include "connector/subscription_manager.h"

namespace o365fwd {

using SubscriptionList = Result<std::vector<SubscriptionInfo>>;

// The token's roles decide: ActivityFeed.Read (sets ok = false when missing), ReadDlp for DLP.All.
void checkPermissionsFromRoles(ValidationContext& ctx, const TenantConfig& t, const TokenInfo& info,
                               bool& ok);
// No roles to read: the API's answer to subscriptions/list decides (AF10001 = no consent, sets
// ok = false; success passes; anything else is a skip left to the subscription check).
void checkPermissionsFromApi(ValidationContext& ctx, const TenantConfig& t, const TokenInfo& info,
                             const SubscriptionList& list, bool& ok);
// One "subscription" check per content type from `list`; the enabled ones go into `enabled`.
// A failed list (other than 404) sets ok = false.
void checkSubscriptions(ValidationContext& ctx, TenantRuntime& tr, const TenantConfig& t,
                        const SubscriptionList& list, std::stop_token stop, bool& ok,
                        std::set<std::string>& enabled);
// The operator's remedy for a subscription or listing error.
std::string subscriptionRemedy(const Error& e);

}  // namespace o365fwd
