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

std::vector<FleetIssue> fleetIssues(const StatusReport& report) {
  std::map<std::string, FleetIssue> by_id;
  for (const ServiceHealthReport& h : report.service_health)
    for (const ServiceIssueReport& i : h.open_issues) {
      FleetIssue& f = by_id[i.id];
      if (!f.issue) f.issue = &i;
      ++f.tenants;
    }
  std::vector<FleetIssue> out;
  for (auto& [id, f] : by_id) out.push_back(f);
  std::stable_sort(out.begin(), out.end(), [](const FleetIssue& a, const FleetIssue& b) {
    const bool ai = a.issue->classification == "incident",
               bi = b.issue->classification == "incident";
    if (ai != bi) return ai;
    return a.tenants > b.tenants;
  });
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
  if (!out.empty()) {
    out = "\nMicrosoft 365 service health (open issues next to the streams they affect):\n" + out;
  } else if (tenant.empty()) {
    const std::vector<FleetIssue> issues = fleetIssues(report);
    constexpr std::size_t kMaxIssues = 10;
    for (std::size_t k = 0; k < issues.size() && k < kMaxIssues; ++k)
      out += "  Microsoft " + describeIssue(*issues[k].issue) + " — " +
             std::to_string(issues[k].tenants) + (issues[k].tenants == 1 ? " tenant" : " tenants") +
             "\n";
    if (issues.size() > kMaxIssues)
      out += "  ... and " + std::to_string(issues.size() - kMaxIssues) + " more issue(s)\n";
    if (!out.empty())
      out = "\nMicrosoft 365 service health: " + std::to_string(issues.size()) +
            " open issue(s) (`--tenant NAME` shows them next to the tenant's streams):\n" + out;
  }
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
