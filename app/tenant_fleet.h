#pragma once
// Live tenant changes of a running daemon (SIGHUP, `systemctl reload`): the configuration's
// tenants (tenants: and tenants_dir files) are compared with the running ones; removed tenants
// drain and go, changed ones (content types, credential, endpoints, ids) are re-created, added
// ones start. Owns one thread that applies the changes, so the signal thread never waits for a
// drain; a newer reload replaces one not yet started (one pending request at most).
//
// Promises: a removed tenant's in-flight blobs are delivered and committed before its connector
// objects are destroyed (Collector::removeTenant), and its state stays in the store (adding it
// again resumes from its watermark). The tenants of a broken tenants_dir file keep running as
// they are. apply() and setConfigProblems() are called from the signal thread, configProblems()
// from the status snapshotter's callers; everything else runs on the fleet's own thread.
//
// Cluster mode (docs/CLUSTER.md): after enableOwnership(), the fleet runs only the configured
// tenants whose assignment partition (TenantPartitioner) this instance holds; reassign() changes
// the held partitions and waits until the change is applied, a revocation's drain bounded by its
// deadline (a tenant still draining then is finished in the background before it may start again).
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/runtime.h"
#include "app/service_health/service_health_monitor.h"
#include "app/status/status_snapshotter.h"
#include "core/clock.h"
#include "core/config/config.h"
#include "pipeline/collector.h"
#include "pipeline/state/state_store.h"
#include "pipeline/status_board.h"

namespace o365fwd {

struct TenantFleetParts {
  Runtime* runtime = nullptr;
  Collector* collector = nullptr;
  StateStore* store = nullptr;
  StatusBoard* status = nullptr;
  StatusSnapshotter* snapshotter = nullptr;
  Clock* clock = nullptr;
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(60)};  // per wait, then a warning
  // Microsoft 365 service health (optional): tenants with service_health are added and removed.
  ServiceHealthMonitor* service_health = nullptr;
};

// What one reload asks for.
struct TenantChanges {
  std::vector<std::string> added, changed, removed;
  bool empty() const { return added.empty() && changed.empty() && removed.empty(); }
};

// `wanted` against `running`, by name; pure (unit-tested).
TenantChanges diffTenants(const std::vector<TenantConfig>& running,
                          const std::vector<TenantConfig>& wanted);
// The tenants a reload should run: those of the valid configuration, plus the running tenants of
// each broken tenants_dir file (a broken file changes nothing for the tenants it holds).
std::vector<TenantConfig> wantedTenants(const std::vector<TenantConfig>& loaded,
                                        const std::vector<std::string>& broken_files,
                                        const std::vector<TenantConfig>& running);

class TenantFleet {
 public:
  // `running`: the tenants the daemon started with (already in `parts.runtime` and collecting).
  TenantFleet(TenantFleetParts parts, std::vector<TenantConfig> running);
  ~TenantFleet();
  TenantFleet(const TenantFleet&) = delete;
  TenantFleet& operator=(const TenantFleet&) = delete;

  void start();
  // Stops waiting for drains and joins the thread; changes not applied yet are dropped.
  void stop();
  // Asks for `loaded` (the reloaded configuration's tenants) with the tenants of `broken_files`
  // kept as they run. Returns at once.
  void apply(std::vector<TenantConfig> loaded, std::vector<std::string> broken_files);
  void setConfigProblems(std::vector<std::string> problems);
  std::vector<std::string> configProblems() const;

  // Cluster mode, before start(): run only the tenants of held partitions (none yet) among
  // `partitions`; `loaded` is the configuration's tenants to choose from.
  void enableOwnership(int partitions, std::vector<TenantConfig> loaded);
  // Cluster mode: the held partitions are now `owned`. Tenants that leave drain until
  // `drain_deadline` (then they finish in the background); returns true once applied, false at
  // `wait_deadline` or when the fleet stops. Any thread but the fleet's.
  bool reassign(std::set<int> owned, SteadyTime drain_deadline, SteadyTime wait_deadline);
  // The tenants running now (natural order of names), any thread.
  std::vector<std::string> runningTenants() const;
  // Revoked tenants still draining in the background (their state must stay loaded), any thread.
  std::vector<std::string> drainingTenants() const;

 private:
  struct Request {
    std::vector<TenantConfig> loaded;
    std::vector<std::string> broken_files;
    std::optional<SteadyTime> drain_deadline;  // cluster revocation; none: wait as long as it takes
    const char* reason = "Reload";             // for the log: Reload (SIGHUP) or Rebalance
  };
  void loop(std::stop_token stop);
  void reconcile(const Request& request, std::stop_token stop);
  bool drainAndRelease(const std::string& name, std::optional<SteadyTime> give_up,
                       std::stop_token stop);
  void release(const std::string& name);
  // Releases the lingering tenants (or `only` that one) that have drained; `wait`: up to
  // drain_timeout each.
  void finishLingering(std::stop_token stop, bool wait, const std::string& only = "");
  bool startTenant(const TenantConfig& config);
  void publishTenants();

  TenantFleetParts parts_;
  std::map<std::string, TenantConfig> running_;  // fleet thread only (after start())
  // Retired tenants whose drain outlasted a revocation's deadline: their streams still finish
  // in-flight blobs; released (and startable again) once drained. Fleet thread only.
  std::set<std::string> lingering_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::optional<Request> pending_;
  std::vector<std::string> problems_;
  // Cluster mode (guarded by mu_): the partition count (0: single node), the held partitions
  // and the configuration's tenants to choose from.
  int partitions_ = 0;
  std::set<int> owned_;
  std::vector<TenantConfig> cluster_loaded_;
  std::vector<std::string> cluster_broken_;
  std::uint64_t requested_ = 0, applied_ = 0;  // request sequence numbers (guarded by mu_)
  std::vector<std::string> running_names_;     // guarded by mu_
  std::vector<std::string> lingering_names_;   // guarded by mu_
  std::jthread thread_;
};

}  // namespace o365fwd
