#pragma once
// The credential-expiry parts of the status views (issue 13 part 3), from
// StatusReport::credentials: the text of `o365fwd status` and the page's section and tenant
// line. A credential shared by 1,000 tenants is one row naming a few of them and the count. Pure
// functions, any thread; the caller redacts (the views' render functions do).
#include <map>
#include <string>
#include <string_view>

#include "app/status/status_report.h"

namespace o365fwd {

// `o365fwd status`: credentials at warning or worse, each with what to do, then one line on the
// next expiry. With `tenant` set: only that tenant's credential. "" when there is nothing to say.
std::string credentialText(const StatusReport& report, const std::string& tenant = "");

// The page's "Credentials" section (id="credentials", one row per credential, soonest first, at
// most kPageRows); "" when no credential has an expiry.
inline constexpr std::size_t kCredentialPageRows = 50;
std::string credentialPageSection(const StatusReport& report);

// Tenant name -> its credential's report (points into `report`).
std::map<std::string_view, const CredentialReport*> credentialOfTenant(const StatusReport& report);
// One line of a tenant's detail on the page: "Credential mssp-app (certificate) expires on ...".
std::string credentialTenantLine(const CredentialReport& credential, WallTime now);

}  // namespace o365fwd
