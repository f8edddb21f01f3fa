#include "app/status/cluster_json.h"

namespace o365fwd {
namespace {

using json_members::read::count;
using json_members::read::text;
using json_members::read::texts;
using json_members::read::when;

std::vector<int> ints(const rapidjson::Value& o, const char* key) {
  std::vector<int> out;
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& v : it->value.GetArray())
    if (v.IsInt()) out.push_back(v.GetInt());
  return out;
}

}  // namespace

std::string readCluster(const rapidjson::Value& doc, StatusReport& report) {
  auto it = doc.FindMember("cluster");
  if (it == doc.MemberEnd() || it->value.IsNull()) return {};
  if (!it->value.IsObject()) return "cluster is not an object";
  const rapidjson::Value& o = it->value;
  ClusterReport c;
  c.group = text(o, "group");
  c.brokers = text(o, "brokers");
  c.client_id = text(o, "client_id");
  c.member_id = text(o, "member_id");
  c.role = text(o, "role");
  c.partitions_total = count(o, "partitions_total");
  c.partitions = ints(o, "partitions");
  c.tenants_total = count(o, "tenants_total");
  c.tenants = texts(o, "tenants");
  c.state_store = text(o, "state_store");
  c.broker_state = text(o, "broker_state");
  if (auto e = o.FindMember("last_error"); e != o.MemberEnd() && e->value.IsObject())
    c.last_error = ErrorInfo{when(e->value, "at").value_or(WallTime{}), text(e->value, "code"),
                             text(e->value, "message")};
  c.rebalances = count(o, "rebalances");
  c.last_rebalance = when(o, "last_rebalance");
  c.group_state = text(o, "group_state");
  c.members_at = when(o, "members_at");
  c.members_total = count(o, "members_total");
  if (auto m = o.FindMember("members"); m != o.MemberEnd() && m->value.IsArray())
    for (const auto& v : m->value.GetArray()) {
      if (!v.IsObject()) return "cluster.members holds a non-object";
      c.members.push_back(ClusterMemberReport{text(v, "client_id"), text(v, "member_id"),
                                              text(v, "host"), ints(v, "partitions"),
                                              count(v, "tenants")});
    }
  c.unheld_partitions = ints(o, "unheld_partitions");
  if (auto e = o.FindMember("exactly_once"); e != o.MemberEnd() && e->value.IsObject()) {
    c.exactly_once = true;
    c.transactions_committed = count(e->value, "transactions_committed");
    c.transactions_aborted = count(e->value, "transactions_aborted");
    c.blobs_dropped_fenced = count(e->value, "blobs_dropped_fenced");
    c.fenced_partitions = ints(e->value, "fenced_partitions");
    c.fenced_error = text(e->value, "fenced_error");
  }
  report.cluster = std::move(c);
  return {};
}

}  // namespace o365fwd
