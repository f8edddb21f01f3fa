#include "tests/support/cluster_instance.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/http_client.h"

namespace o365fwd::testing {

ClusterView readClusterView(const std::string& url) {
  ClusterView v;
  v.body = httpRequest("GET", url + "/status").body;
  rapidjson::Document doc;
  doc.Parse(v.body.c_str());
  if (!doc.IsObject() || !doc.HasMember("cluster") || !doc["cluster"].IsObject()) return v;
  v.answered = true;
  v.ready = doc["ready"].GetBool();
  const auto& c = doc["cluster"];
  v.role = c["role"].GetString();
  v.member_id = c["member_id"].GetString();
  v.broker_state = c["broker_state"].GetString();
  v.members_total = c["members_total"].GetUint64();
  v.rebalances = c["rebalances"].GetUint64();
  for (const auto& p : c["partitions"].GetArray()) v.partitions.insert(p.GetInt());
  for (const auto& s : doc["streams"].GetArray()) v.tenants.insert(s["tenant"].GetString());
  if (c.HasMember("exactly_once") && c["exactly_once"].IsObject()) {
    const auto& e = c["exactly_once"];
    v.exactly_once = true;
    v.transactions_committed = e["transactions_committed"].GetUint64();
    v.transactions_aborted = e["transactions_aborted"].GetUint64();
    for (const auto& p : e["fenced_partitions"].GetArray())
      v.fenced_partitions.push_back(p.GetInt());
  }
  return v;
}

ClusterInstance::~ClusterInstance() {
  if (daemon) std::ofstream(dir.file("daemon.stderr")) << daemon->stderrText();
}

ForwarderOptions ClusterInstance::options(const std::string& cluster_yaml) {
  ForwarderOptions o;
  o.cluster_yaml = cluster_yaml;
  o.health_yaml = "  listen: 127.0.0.1:0\n";
  o.collection_yaml = "    poll_interval: 2s\n    drain_timeout: 20s\n";
  return o;
}

void ClusterInstance::start() {
  daemon = fwd.startDaemon();
  url = waitForHealthUrl(*daemon, std::chrono::seconds(30));
  ASSERT_FALSE(url.empty()) << daemon->stderrText();
}

bool clusterSplitSettled(const std::vector<ClusterInstance*>& running, std::size_t tenants,
                         std::string* why) {
  std::map<std::string, int> holders;
  std::ostringstream out;
  for (ClusterInstance* i : running) {
    ClusterView v = i->view();
    out << i->url << " role=" << v.role << " partitions=" << v.partitions.size()
        << " tenants=" << v.tenants.size() << "; ";
    // Every instance holds partitions (8 over at most 3): a standby right after its join is
    // still waiting for the cooperative rebalance's second round.
    if (!v.answered || v.role != "active") {
      *why = out.str();
      return false;
    }
    for (const std::string& t : v.tenants) ++holders[t];
  }
  *why = out.str() + " tenants held=" + std::to_string(holders.size());
  if (holders.size() != tenants) return false;
  for (const auto& [t, n] : holders)
    if (n != 1) {
      *why += " " + t + " held by " + std::to_string(n);
      return false;
    }
  return true;
}

}  // namespace o365fwd::testing
