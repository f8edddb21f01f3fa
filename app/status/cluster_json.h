#pragma once
// The cluster part of the status document (/status, `o365fwd status --json`; docs/STATUS.md
// "Cluster"): written by statusToJson, read back by statusFromJson. "cluster" is null on a single
// node, else {group, brokers, client_id, member_id, role, partitions_total, partitions: [...],
// tenants_total, tenants: [...], state_store, broker_state, last_error, rebalances,
// last_rebalance, group_state, members_at, members_total, members: [{client_id, member_id, host,
// partitions: [...], tenants}], unheld_partitions: [...], exactly_once: null or
// {transactions_committed, transactions_aborted, blobs_dropped_fenced, fenced_partitions: [...],
// fenced_error}}. Pure; any thread.
#include <rapidjson/document.h>

#include <string>

#include "app/status/json_members.h"
#include "app/status/status_report.h"
#include "core/time_format.h"

namespace o365fwd {

namespace cluster_json {

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
  using namespace json_members;
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
  count(w, "partitions_total", c.partitions_total);
  ints(w, "partitions", c.partitions);
  count(w, "tenants_total", c.tenants_total);
  strings(w, "tenants", c.tenants);
  string(w, "state_store", c.state_store);
  string(w, "broker_state", c.broker_state);
  lastError(w, c.last_error);
  count(w, "rebalances", c.rebalances);
  optionalTime(w, "last_rebalance", c.last_rebalance);
  string(w, "group_state", c.group_state);
  optionalTime(w, "members_at", c.members_at);
  count(w, "members_total", c.members_total);
  w.Key("members");
  w.StartArray();
  for (const ClusterMemberReport& m : c.members) {
    w.StartObject();
    string(w, "client_id", m.client_id);
    string(w, "member_id", m.member_id);
    string(w, "host", m.host);
    ints(w, "partitions", m.partitions);
    count(w, "tenants", m.tenants);
    w.EndObject();
  }
  w.EndArray();
  ints(w, "unheld_partitions", c.unheld_partitions);
  w.Key("exactly_once");
  if (!c.exactly_once) {
    w.Null();
  } else {
    w.StartObject();
    count(w, "transactions_committed", c.transactions_committed);
    count(w, "transactions_aborted", c.transactions_aborted);
    count(w, "blobs_dropped_fenced", c.blobs_dropped_fenced);
    ints(w, "fenced_partitions", c.fenced_partitions);
    string(w, "fenced_error", c.fenced_error);
    w.EndObject();
  }
  w.EndObject();
}

// Reads "cluster" (absent or null: a single node, or a document of an older version). Returns the
// first problem, empty when none.
std::string readCluster(const rapidjson::Value& doc, StatusReport& report);

}  // namespace o365fwd
