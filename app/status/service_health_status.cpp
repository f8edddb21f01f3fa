#include "app/status/service_health_status.h"

#include <algorithm>
#include <map>

namespace o365fwd {

void attachServiceHealth(StatusReport& report, std::vector<ServiceHealthReport> service_health) {
  std::sort(service_health.begin(), service_health.end(),
            [](const ServiceHealthReport& a, const ServiceHealthReport& b) {
              return a.tenant < b.tenant;
            });
  report.service_health = std::move(service_health);
  std::map<std::string, const ServiceHealthReport*> by_tenant;
  for (const ServiceHealthReport& h : report.service_health) by_tenant[h.tenant] = &h;
  for (StreamReport& s : report.streams) {
    s.service_issues.clear();
    auto it = by_tenant.find(s.tenant);
    if (it == by_tenant.end()) continue;
    for (const ServiceIssueReport& issue : it->second->open_issues)
      if (std::find(issue.content_types.begin(), issue.content_types.end(), s.content_type) !=
          issue.content_types.end())
        s.service_issues.push_back(issue.id);
  }
}

const ServiceHealthReport* serviceHealthOf(const StatusReport& report, const std::string& tenant) {
  for (const ServiceHealthReport& h : report.service_health)
    if (h.tenant == tenant) return &h;
  return nullptr;
}

std::vector<const ServiceIssueReport*> issuesOfStream(const StatusReport& report,
                                                      const StreamReport& stream) {
  std::vector<const ServiceIssueReport*> out;
  if (stream.service_issues.empty()) return out;
  const ServiceHealthReport* h = serviceHealthOf(report, stream.tenant);
  if (!h) return out;
  for (const std::string& id : stream.service_issues)
    for (const ServiceIssueReport& issue : h->open_issues)
      if (issue.id == id) {
        out.push_back(&issue);
        break;
      }
  return out;
}

std::string describeIssue(const ServiceIssueReport& issue) {
  std::string out = (issue.classification.empty() ? std::string("issue") : issue.classification) +
                    " " + issue.id + " (" + issue.service;
  if (!issue.status.empty()) out += ", " + issue.status;
  out += ")";
  if (!issue.title.empty()) out += ": " + issue.title;
  return out;
}

std::string serviceHealthLines(const StatusReport& report,
                               const std::vector<const StreamReport*>& shown,
                               const std::string& tenant) {
  if (report.service_health.empty()) return "";
  std::string out;
  for (const StreamReport* s : shown)
    for (const ServiceIssueReport* issue : issuesOfStream(report, *s))
      out +=
          "  " + s->tenant + "/" + s->content_type + ": Microsoft " + describeIssue(*issue) + "\n";
  if (!out.empty())
    out = "\nMicrosoft 365 service health (open issues next to the streams they affect):\n" + out;
  constexpr std::size_t kMaxNamed = 20;
  std::size_t failing = 0;
  std::string problems;
  for (const ServiceHealthReport& h : report.service_health) {
    if (!h.last_error || (!tenant.empty() && h.tenant != tenant)) continue;
    if (++failing <= kMaxNamed)
      problems += "  " + h.tenant + ": " + h.last_error->code + " " + h.last_error->message + "\n";
  }
  if (failing > kMaxNamed)
    problems += "  ... and " + std::to_string(failing - kMaxNamed) + " more tenant(s)\n";
  if (failing > 0)
    out += "\nService health cannot be read (audit collection is not affected):\n" + problems;
  return out;
}

}  // namespace o365fwd
