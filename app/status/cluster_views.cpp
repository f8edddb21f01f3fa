#include "app/status/cluster_views.h"

#include "app/status/status_table.h"
#include "cluster/partition_ranges.h"
#include "core/html_escape.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

std::string shortTime(WallTime t) {
  return formatIsoMillis(t).substr(0, 19) + "Z";
}

std::string someNames(const std::vector<std::string>& names, std::uint64_t total,
                      std::size_t shown) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < shown; ++i)
    out += (out.empty() ? "" : ", ") + names[i];
  if (total > shown) out += ", ... +" + groupedCount(total - shown) + " more";
  return out.empty() ? "-" : out;
}

std::string brokerText(const ClusterReport& c) {
  if (c.broker_state == "down")
    return "DOWN" + (c.last_error
                         ? " since " + shortTime(c.last_error->at) + ": " + c.last_error->message
                         : std::string());
  return c.broker_state;
}

}  // namespace

std::string clusterRoleText(const ClusterReport& c) {
  const std::string of = " of " + std::to_string(c.partitions_total) + " partitions";
  if (c.role == "joining") return "joining the group (no assignment yet)";
  if (c.role == "loading") return "loading the state of the partitions gained";
  if (c.role == "leaving") return "leaving the group (draining its tenants)";
  if (c.role == "standby")
    return "standby: holds no partition (more members than partitions with work); takes over "
           "when a member leaves";
  return "holds " + std::to_string(c.partitions.size()) + of + " (" +
         partitionRanges(c.partitions) + ")";
}

// Exactly-once (layer 5): how records reach the Kafka sink.
std::string deliveryText(const ClusterReport& c) {
  if (!c.exactly_once)
    return "at-least-once (no Kafka sink on the cluster's brokers: a failed instance's in-flight "
           "blobs may be forwarded again)";
  return "exactly-once into Kafka: " + groupedCount(c.transactions_committed) +
         " transactions committed, " + groupedCount(c.transactions_aborted) + " aborted" +
         (c.blobs_dropped_fenced
              ? ", " + groupedCount(c.blobs_dropped_fenced) + " blob commits dropped after a fence"
              : std::string());
}

std::string fencedText(const ClusterReport& c) {
  return "partitions " + partitionRanges(c.fenced_partitions) + " fenced: " + c.fenced_error;
}

std::string clusterText(const StatusReport& r) {
  if (!r.cluster) return "";
  const ClusterReport& c = *r.cluster;
  std::string out =
      "\nCluster group " + c.group + " on " + c.brokers + ": " + clusterRoleText(c) + "\n";
  out += "  member " + c.client_id + (c.member_id.empty() ? "" : " (" + c.member_id + ")") + "\n";
  out += "  tenants here: " + groupedCount(c.tenants_total) + ": " +
         someNames(c.tenants, c.tenants_total, 8) + "\n";
  out += "  brokers: " + brokerText(c) + "\n";
  if (c.last_error && c.broker_state != "down") out += "  problem: " + c.last_error->message + "\n";
  out += "  rebalances: " + groupedCount(c.rebalances) +
         (c.last_rebalance ? ", last at " + shortTime(*c.last_rebalance) : std::string()) + "\n";
  if (c.state_store == "local")
    out +=
        "  state: local SQLite store (does not follow a moved tenant: it may be forwarded "
        "again)\n";
  out += "  delivery: " + deliveryText(c) + "\n";
  if (!c.fenced_partitions.empty()) out += "  problem: " + fencedText(c) + "\n";
  if (!c.group_state.empty()) {
    out += "  members: " + groupedCount(c.members_total) + " (group " + c.group_state +
           (c.members_at ? ", as of " + shortTime(*c.members_at) : std::string()) + ")\n";
    for (const ClusterMemberReport& m : c.members)
      out += "    " + m.client_id + (m.client_id == c.client_id ? " (this instance)" : "") + " " +
             m.host + " partitions " + partitionRanges(m.partitions) + ", " +
             groupedCount(m.tenants) + " tenants\n";
    if (c.members_total > c.members.size())
      out += "    ... +" + groupedCount(c.members_total - c.members.size()) + " more\n";
    if (!c.unheld_partitions.empty())
      out += "  partitions with tenants no member holds: " + partitionRanges(c.unheld_partitions) +
             " (a rebalance is under way, or no instance runs: start o365fwd run)\n";
  }
  return out;
}

std::string clusterPageSection(const StatusReport& r) {
  if (!r.cluster) return "";
  const ClusterReport& c = *r.cluster;
  std::string out = "<h2>Cluster</h2>\n<div id=\"cluster\" data-role=\"" + htmlEscape(c.role) +
                    "\" data-broker=\"" + htmlEscape(c.broker_state) + "\">\n";
  out += "<p>Group <b>" + htmlEscape(c.group) + "</b> on " + htmlEscape(c.brokers) +
         ": this instance <b class=\"member\">" + htmlEscape(c.client_id) + "</b> " +
         htmlEscape(clusterRoleText(c)) + ".</p>\n";
  out += "<p class=\"broker " + htmlEscape(c.broker_state) +
         "\">Brokers: " + htmlEscape(brokerText(c)) + "</p>\n";
  if (c.last_error && c.broker_state != "down")
    out += "<p class=\"problem\">" + htmlEscape(c.last_error->message) + "</p>\n";
  out += "<p>Tenants here: <span class=\"tenants\" data-count=\"" +
         std::to_string(c.tenants_total) + "\">" + groupedCount(c.tenants_total) + ": " +
         htmlEscape(someNames(c.tenants, c.tenants_total, 20)) +
         "</span>. Rebalances: " + groupedCount(c.rebalances) +
         (c.last_rebalance ? ", the last at " + shortTime(*c.last_rebalance) : std::string()) +
         ".</p>\n";
  if (c.state_store == "local")
    out +=
        "<p class=\"problem\">State: local SQLite store; a tenant that moves here is "
        "collected from this instance's own state and may be forwarded again.</p>\n";
  out += "<p class=\"delivery\" data-exactly-once=\"" + std::string(c.exactly_once ? "1" : "0") +
         "\">Delivery: " + htmlEscape(deliveryText(c)) + ".</p>\n";
  if (!c.fenced_partitions.empty())
    out += "<p class=\"problem fenced\">" + htmlEscape(fencedText(c)) + "</p>\n";
  if (!c.group_state.empty()) {
    out +=
        "<table id=\"cluster-members\"><thead><tr><th>Member</th><th>Host</th>"
        "<th>Partitions</th><th>Tenants</th></tr></thead>\n<tbody>\n";
    std::size_t rows = 0;
    for (const ClusterMemberReport& m : c.members) {
      if (rows++ == kClusterMemberRows) break;
      out += "<tr" + std::string(m.client_id == c.client_id ? " class=\"self\"" : "") + "><td>" +
             htmlEscape(m.client_id) + "</td><td>" + htmlEscape(m.host) + "</td><td>" +
             htmlEscape(partitionRanges(m.partitions)) + "</td><td>" + groupedCount(m.tenants) +
             "</td></tr>\n";
    }
    out += "</tbody></table>\n<p>" + groupedCount(c.members_total) + " members, group " +
           htmlEscape(c.group_state) +
           (c.members_at ? ", as of " + shortTime(*c.members_at) : std::string()) + ".";
    if (!c.unheld_partitions.empty())
      out += " Partitions with tenants no member holds: " +
             htmlEscape(partitionRanges(c.unheld_partitions)) + ".";
    out += "</p>\n";
  }
  return out + "</div>\n";
}

}  // namespace o365fwd
