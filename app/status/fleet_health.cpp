#include "app/status/fleet_health.h"

#include <algorithm>
#include <map>

#include "app/status/status_table.h"

namespace o365fwd {
namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool containsFolded(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == lower(needle[j])) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

bool passes(StreamHealth health, std::string_view state) {
  if (state.empty() || state == "all") return true;
  if (state == "problems") return health != StreamHealth::kHealthy;
  return state == toString(health);
}

std::string plural(std::uint64_t n, const char* one, const char* many) {
  return groupedCount(n) + " " + (n == 1 ? one : many);  // "1 stream", "5 streams"
}

}  // namespace

const char* toString(StreamHealth health) {
  switch (health) {
    case StreamHealth::kHealthy: return "healthy";
    case StreamHealth::kLagging: return "lagging";
    case StreamHealth::kDisabled: return "disabled";
    case StreamHealth::kError: return "error";
  }
  return "healthy";
}

StreamHealth streamHealth(const StreamReport& s) {
  if (s.state == "error") return StreamHealth::kError;
  if (s.state == "disabled") return StreamHealth::kDisabled;
  if (s.lag_level != LagLevel::kOk) return StreamHealth::kLagging;
  return StreamHealth::kHealthy;
}

HealthSummary summarizeHealth(const StatusReport& r) {
  HealthSummary h;
  std::map<std::string_view, StreamHealth> tenants;
  for (const StreamReport& s : r.streams) {
    const StreamHealth health = streamHealth(s);
    ++h.streams;
    if (health == StreamHealth::kError) ++h.streams_error;
    if (health == StreamHealth::kLagging) ++h.streams_lagging;
    if (health == StreamHealth::kDisabled) ++h.streams_disabled;
    auto [it, added] = tenants.emplace(s.tenant, health);
    if (!added) it->second = std::max(it->second, health);
    if (health != StreamHealth::kDisabled && s.lag_seconds &&
        (!h.oldest_lag_seconds || *s.lag_seconds > *h.oldest_lag_seconds)) {
      h.oldest_lag_seconds = s.lag_seconds;
      h.oldest_lag_stream = s.tenant + "/" + s.content_type;
    }
  }
  h.tenants = tenants.size();
  for (const auto& [name, health] : tenants) {
    if (health == StreamHealth::kHealthy) ++h.tenants_healthy;
    if (health == StreamHealth::kLagging) ++h.tenants_lagging;
    if (health == StreamHealth::kDisabled) ++h.tenants_disabled;
    if (health == StreamHealth::kError) ++h.tenants_error;
  }
  for (const SinkReport& k : r.sinks)
    if (k.state != "up") ++h.sinks_down;
  for (const CredentialReport& c : r.credentials)
    if (c.level == "critical" || c.level == "expired") ++h.credentials_expiring;
  const bool degraded = h.streams_error + h.streams_lagging + h.streams_disabled + h.sinks_down +
                            h.credentials_expiring >
                        0;
  h.state = degraded ? "degraded" : "ok";
  return h;
}

std::string healthHeadline(const HealthSummary& h) {
  if (h.state == "ok")
    return "OK: " + plural(h.streams, "stream", "streams") + " of " +
           plural(h.tenants, "tenant", "tenants") + " collecting";
  std::string parts;  // the first count names its unit: "5 streams in error, 2 lagging"
  for (auto [n, what] :
       {std::pair{h.streams_error, "in error"}, std::pair{h.streams_lagging, "lagging"},
        std::pair{h.streams_disabled, "disabled"}}) {
    if (n == 0) continue;
    parts += parts.empty() ? plural(n, "stream ", "streams ") + what
                           : ", " + groupedCount(n) + " " + what;
  }
  std::string out = "Degraded: " + parts;
  if (h.sinks_down > 0)
    out += (parts.empty() ? "" : "; ") + plural(h.sinks_down, "sink", "sinks") + " not up";
  if (h.credentials_expiring > 0)
    out += std::string(parts.empty() && h.sinks_down == 0 ? "" : "; ") +
           plural(h.credentials_expiring, "credential", "credentials") +
           " expiring within 7 days or expired: renew, then `systemctl reload o365fwd`";
  return out;
}

bool naturalLess(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (isDigit(a[i]) && isDigit(b[j])) {
      std::size_t i0 = i, j0 = j;
      while (i0 < a.size() && a[i0] == '0') ++i0;  // leading zeros do not count
      while (j0 < b.size() && b[j0] == '0') ++j0;
      std::size_t i1 = i0, j1 = j0;
      while (i1 < a.size() && isDigit(a[i1])) ++i1;
      while (j1 < b.size() && isDigit(b[j1])) ++j1;
      if (i1 - i0 != j1 - j0) return i1 - i0 < j1 - j0;
      if (int c = a.substr(i0, i1 - i0).compare(b.substr(j0, j1 - j0)); c != 0) return c < 0;
      if (i1 - i != j1 - j) return i1 - i < j1 - j;  // 7 < 07
      i = i1;
      j = j1;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

bool validStateFilter(std::string_view state) {
  for (std::string_view s : {"", "all", "problems", "healthy", "lagging", "disabled", "error"})
    if (state == s) return true;
  return false;
}

std::vector<TenantGroup> tenantsProblemsFirst(const StatusReport& report,
                                              const TenantFilter& filter) {
  std::map<std::string_view, std::size_t> index;
  std::vector<TenantGroup> groups;
  for (const StreamReport& s : report.streams) {
    if (!containsFolded(s.tenant, filter.query)) continue;
    auto [it, added] = index.emplace(s.tenant, groups.size());
    if (added) {
      groups.emplace_back();
      groups.back().tenant = s.tenant;
    }
    TenantGroup& g = groups[it->second];
    const StreamHealth health = streamHealth(s);
    g.streams.push_back(&s);
    g.records += s.events_forwarded;
    if (health != StreamHealth::kDisabled && s.lag_seconds &&
        (!g.oldest_lag_seconds || *s.lag_seconds > *g.oldest_lag_seconds))
      g.oldest_lag_seconds = s.lag_seconds;
    if (health != StreamHealth::kHealthy &&
        (!g.first_problem || health > streamHealth(*g.first_problem)))
      g.first_problem = &s;
    g.health = std::max(g.health, health);
  }
  std::erase_if(groups, [&](const TenantGroup& g) { return !passes(g.health, filter.state); });
  std::sort(groups.begin(), groups.end(), [](const TenantGroup& a, const TenantGroup& b) {
    if (a.health != b.health) return a.health > b.health;
    return naturalLess(a.tenant, b.tenant);
  });
  return groups;
}

}  // namespace o365fwd
