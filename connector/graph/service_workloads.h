#pragma once
// Which audit content types a Microsoft 365 service's incidents and advisories affect
// (docs/STATUS.md "Service health"), and the bounded service label of the metrics. Pure; any
// thread.
//
// Mapping (Graph's `service` of an issue, compared case-insensitively):
//   Exchange Online                                        -> Audit.Exchange
//   SharePoint Online, OneDrive for Business               -> Audit.SharePoint
//   Microsoft Entra, Microsoft Entra ID, Azure Active Directory,
//   Identity Service                                       -> Audit.AzureActiveDirectory
//   Microsoft Purview, Security & Compliance Center        -> DLP.All, Audit.General
//   Microsoft 365 suite                                    -> all five (shared infrastructure)
//   Microsoft Teams, Power BI, Dynamics 365, Planner, Microsoft Forms, Sway, Viva Engage /
//   Yammer Enterprise, Microsoft Stream, Power Apps, Power Automate, Microsoft Defender XDR,
//   Microsoft Defender for Office 365, Microsoft Intune,
//   Microsoft Viva                                         -> Audit.General
//   anything else                                          -> none (shown with the tenant only)
#include <string>
#include <string_view>
#include <vector>

namespace o365fwd {

// The content types an issue of `service` affects (subset of the five, in kContentTypes order).
std::vector<std::string> contentTypesAffectedBy(std::string_view service);

// The `service` label of o365fwd_service_health_open_issues: the Graph name when it is one of the
// known services, else "other" (a hostile or new name cannot grow the label set).
std::string serviceMetricLabel(std::string_view service);

// "incident", "advisory" or "other".
std::string classificationLabel(std::string_view classification);

}  // namespace o365fwd
