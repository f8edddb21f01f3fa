#pragma once
// The cluster part of the status document (/status, `o365fwd status --json`; docs/STATUS.md
// "Cluster"): written by statusToJson, read back by statusFromJson. "cluster" is null on a single
// node, else {group, brokers, client_id, member_id, role, partitions_total, partitions: [...],
// tenants_total, tenants: [...], state_store, broker_state, last_error, rebalances,
// last_rebalance, group_state, members_at, members_total, members: [{client_id, member_id, host,
// partitions: [...], tenants}], unheld_partitions: [...]}. Pure; any thread.
#include <rapidjson/document.h>

#include <string>

#include "app/status/status_report.h"
#include "core/time_format.h"

namespace o365fwd {

namespace cluster_json {

template <typename W>
void optionalTime(W& w, const char* key, const std::optional<WallTime>& t) {
  w.Key(key);
  if (t)
    w.String(formatIsoMillis(*t));
  else
    w.Null();
}

template <typename W>
void string(W& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value);
}

template <typename W>
void ints(W& w, const char* key, const std::vector<int>& values) {
  w.Key(key);
  w.StartArray();
  for (int v : values) w.Int(v);
  w.EndArray();
}

}  // namespace cluster_json

template <typename W>
void writeCluster(W& w, const StatusReport& r) {
  using namespace cluster_json;
  w.Key("cluster");
  if (!r.cluster) {
    w.Null();
    return;
  }
  const ClusterReport& c = *r.cluster;
  w.StartObject();
  string(w, "group", c.group);
  string(w, "brokers", c.brokers);
  string(w, "client_id", c.client_id);
  string(w, "member_id", c.member_id);
  string(w, "role", c.role);
  w.Key("partitions_total");
  w.Uint64(c.partitions_total);
  ints(w, "partitions", c.partitions);
  w.Key("tenants_total");
  w.Uint64(c.tenants_total);
  w.Key("tenants");
  w.StartArray();
  for (const std::string& t : c.tenants) w.String(t);
  w.EndArray();
  string(w, "state_store", c.state_store);
  string(w, "broker_state", c.broker_state);
  w.Key("last_error");
  if (c.last_error) {
    w.StartObject();
    string(w, "at", formatIsoMillis(c.last_error->at));
    string(w, "code", c.last_error->code);
    string(w, "message", c.last_error->message);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("rebalances");
  w.Uint64(c.rebalances);
  optionalTime(w, "last_rebalance", c.last_rebalance);
  string(w, "group_state", c.group_state);
  optionalTime(w, "members_at", c.members_at);
  w.Key("members_total");
  w.Uint64(c.members_total);
  w.Key("members");
  w.StartArray();
  for (const ClusterMemberReport& m : c.members) {
    w.StartObject();
    string(w, "client_id", m.client_id);
    string(w, "member_id", m.member_id);
    string(w, "host", m.host);
    ints(w, "partitions", m.partitions);
    w.Key("tenants");
    w.Uint64(m.tenants);
    w.EndObject();
  }
  w.EndArray();
  ints(w, "unheld_partitions", c.unheld_partitions);
  w.EndObject();
}

// Reads "cluster" (absent or null: a single node, or a document of an older version). Returns the
// first problem, empty when none.
std::string readCluster(const rapidjson::Value& doc, StatusReport& report);

}  // namespace o365fwd
