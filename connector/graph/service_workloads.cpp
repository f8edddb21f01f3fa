#include "connector/graph/service_workloads.h"

#include <array>
#include <cctype>

namespace o365fwd {
namespace {

enum Affects : unsigned {
  kAad = 1u << 0,
  kExchange = 1u << 1,
  kSharePoint = 1u << 2,
  kGeneral = 1u << 3,
  kDlp = 1u << 4,
  kAll = kAad | kExchange | kSharePoint | kGeneral | kDlp,
};

struct KnownService {
  const char* name;
  unsigned affects;
};

constexpr std::array<KnownService, 25> kKnownServices = {{
    {"Exchange Online", kExchange},
    {"SharePoint Online", kSharePoint},
    {"OneDrive for Business", kSharePoint},
    {"Microsoft Entra", kAad},
    {"Microsoft Entra ID", kAad},
    {"Azure Active Directory", kAad},
    {"Identity Service", kAad},
    {"Microsoft Purview", kDlp | kGeneral},
    {"Security & Compliance Center", kDlp | kGeneral},
    {"Microsoft 365 suite", kAll},
    {"Microsoft Teams", kGeneral},
    {"Power BI", kGeneral},
    {"Dynamics 365", kGeneral},
    {"Planner", kGeneral},
    {"Microsoft Forms", kGeneral},
    {"Sway", kGeneral},
    {"Viva Engage", kGeneral},
    {"Yammer Enterprise", kGeneral},
    {"Microsoft Stream", kGeneral},
    {"Power Apps", kGeneral},
    {"Power Automate", kGeneral},
    {"Microsoft Defender XDR", kGeneral},
    {"Microsoft Defender for Office 365", kGeneral},
    {"Microsoft Intune", kGeneral},
    {"Microsoft Viva", kGeneral},
}};

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

const KnownService* find(std::string_view service) {
  for (const KnownService& k : kKnownServices)
    if (equalsIgnoreCase(service, k.name)) return &k;
  return nullptr;
}

}  // namespace

std::vector<std::string> contentTypesAffectedBy(std::string_view service) {
  std::vector<std::string> out;
  const KnownService* known = find(service);
  if (!known) return out;
  // kContentTypes order: Audit.AzureActiveDirectory, Audit.Exchange, Audit.SharePoint,
  // Audit.General, DLP.All.
  if (known->affects & kAad) out.emplace_back("Audit.AzureActiveDirectory");
  if (known->affects & kExchange) out.emplace_back("Audit.Exchange");
  if (known->affects & kSharePoint) out.emplace_back("Audit.SharePoint");
  if (known->affects & kGeneral) out.emplace_back("Audit.General");
  if (known->affects & kDlp) out.emplace_back("DLP.All");
  return out;
}

std::string serviceMetricLabel(std::string_view service) {
  const KnownService* known = find(service);
  return known ? known->name : "other";
}

std::string classificationLabel(std::string_view classification) {
  if (equalsIgnoreCase(classification, "incident")) return "incident";
  if (equalsIgnoreCase(classification, "advisory")) return "advisory";
  return "other";
}

}  // namespace o365fwd
