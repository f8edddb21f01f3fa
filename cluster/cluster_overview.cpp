#include "cluster/cluster_overview.h"

#include <algorithm>
#include <set>
#include <sstream>

namespace o365fwd {
namespace {

constexpr std::size_t kNamesShown = 6;

std::string plural(std::size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::vector<std::string> tenantsOf(const ClusterOverview& o, const std::vector<int>& partitions) {
  std::vector<std::string> out;
  for (int p : partitions)
    if (auto it = o.tenants_by_partition.find(p); it != o.tenants_by_partition.end())
      out.insert(out.end(), it->second.begin(), it->second.end());
  return out;
}

std::string someNames(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kNamesShown; ++i)
    out += (i ? ", " : "") + names[i];
  if (names.size() > kNamesShown)
    out += ", +" + std::to_string(names.size() - kNamesShown) + " more";
  return out;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s + "  ";
}

}  // namespace

bool clusterOverviewOk(const ClusterOverview& o) {
  return o.members.has_value() &&
         std::all_of(o.topics.begin(), o.topics.end(), [](const auto& t) { return t.ok(); });
}

std::string renderClusterOverview(const ClusterOverview& o) {
  std::ostringstream out;
  std::size_t tenants = 0;
  for (const auto& [p, names] : o.tenants_by_partition) tenants += names.size();
  out << "Cluster group " << o.group << " on " << o.brokers << ": " << o.partitions
      << " partitions, " << plural(tenants, "tenant") << " in this configuration\n";
  out << "Topics:\n";
  for (const ClusterTopicCheck& t : o.topics)
    out << "  " << (t.ok() ? "ok      " : "PROBLEM ") << t.topic << ": " << t.message << "\n";
  if (!o.members) {
    out << "Members: unknown (" << o.members_error << ")\n";
    return out.str();
  }
  const GroupDescription& g = *o.members;
  if (g.members.empty()) {
    out << "Members: none (group " << (g.state.empty() ? "Empty" : g.state)
        << "): start `o365fwd run` with this configuration on each host; until then no tenant "
           "is collected\n";
    return out.str();
  }
  out << "Members: " << g.members.size() << " (group " << g.state << ")\n";
  std::size_t id_width = 6, host_width = 4, part_width = 10;
  for (const GroupMember& m : g.members) {
    id_width = std::max(id_width, m.client_id.size());
    host_width = std::max(host_width, m.host.size());
    part_width = std::max(part_width, partitionRanges(m.partitions).size());
  }
  out << "  " << pad("MEMBER", id_width) << pad("HOST", host_width) << pad("PARTITIONS", part_width)
      << "TENANTS\n";
  std::set<int> held;
  for (const GroupMember& m : g.members) {
    held.insert(m.partitions.begin(), m.partitions.end());
    std::vector<std::string> names = tenantsOf(o, m.partitions);
    out << "  " << pad(m.client_id, id_width) << pad(m.host, host_width)
        << pad(partitionRanges(m.partitions), part_width) << names.size()
        << (names.empty() ? "" : ": " + someNames(names)) << "\n";
  }
  std::vector<int> orphaned;
  for (const auto& [p, names] : o.tenants_by_partition)
    if (!held.count(p)) orphaned.push_back(p);
  if (!orphaned.empty()) {
    std::vector<std::string> names = tenantsOf(o, orphaned);
    out << "Not held by any member: partitions " << partitionRanges(orphaned) << " with "
        << plural(names.size(), "tenant") << " (" << someNames(names)
        << "): a rebalance is in progress, or the members run another configuration\n";
  }
  return out.str();
}

}  // namespace o365fwd
