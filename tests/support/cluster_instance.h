#pragma once
// Cluster-mode integration test support (docs/CLUSTER.md): `o365fwd run` instances as processes
// with their own state directory, sinks and health endpoint, and what their /status says about
// the cluster. Used by it_cluster_membership_test and it_cluster_exactly_once_test. One owning
// thread per instance.
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/forwarder_harness.h"
#include "tests/support/process.h"
#include "tests/support/sim_process.h"
#include "tests/support/temp_dir.h"

namespace o365fwd::testing {

// The `cluster` object of an instance's /status (answered false: no answer or no such object).
struct ClusterView {
  bool answered = false;
  bool ready = false;
  std::string role;
  std::string member_id;
  std::string broker_state;
  std::set<int> partitions;
  std::set<std::string> tenants;  // of its streams
  std::uint64_t members_total = 0;
  std::uint64_t rebalances = 0;
  // Exactly-once (layer 5).
  bool exactly_once = false;
  std::uint64_t transactions_committed = 0;
  std::uint64_t transactions_aborted = 0;
  std::vector<int> fenced_partitions;
  std::string body;
};

ClusterView readClusterView(const std::string& url);

template <typename Pred>
bool waitFor(Pred pred, std::chrono::seconds timeout) {
  for (auto deadline = std::chrono::steady_clock::now() + timeout;
       std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(200)))
    if (pred()) return true;
  return pred();
}

// One `o365fwd run` process with its own state directory, sinks (the file sink by default) and
// health endpoint.
struct ClusterInstance {
  TempDir dir;
  ForwarderHarness fwd;
  std::unique_ptr<ChildProcess> daemon;
  std::string url;

  ClusterInstance(const SimProcess& sim, const std::string& cluster_yaml)
      : ClusterInstance(sim, options(cluster_yaml)) {}
  ClusterInstance(const SimProcess& sim, ForwarderOptions options)
      : dir("cluster-instance"), fwd(sim, dir, std::move(options)) {}
  // Writes its log beside its files (kept with O365FWD_KEEP_TEMP=1 to look into a failed run).
  ~ClusterInstance();
  ClusterInstance(const ClusterInstance&) = delete;
  ClusterInstance& operator=(const ClusterInstance&) = delete;
  // Poll interval 2 s, drain_timeout 20 s, health on a free port.
  static ForwarderOptions options(const std::string& cluster_yaml);
  // Starts the daemon and waits for its health URL (a gtest failure when it does not come).
  void start();
  ClusterView view() const { return readClusterView(url); }
  bool alive() { return daemon && !daemon->wait(std::chrono::milliseconds(0)); }
};

// Every running instance answered and is active, and `tenants` tenants are each held by exactly
// one of them; `why` says what each holds.
bool clusterSplitSettled(const std::vector<ClusterInstance*>& running, std::size_t tenants,
                         std::string* why);

}  // namespace o365fwd::testing
