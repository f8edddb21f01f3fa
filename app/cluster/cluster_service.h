#pragma once
// The daemon's side of cluster mode (docs/CLUSTER.md): joins the group through a Membership and
// turns its rebalances into tenant changes of the TenantFleet — gained partitions: load their
// state, then start their tenants; revoked partitions: stop listing their tenants, drain and
// commit their in-flight blobs (bounded by collection.drain_timeout), release their state, and
// only then let the revocation complete. Describes the group every 15 s (and after each
// rebalance) for the status views, and judges the broker connection.
//
// Threads: the membership's poll thread calls the RebalanceListener methods; one describer
// thread of its own; report() from any thread (the status snapshotter); setTenants() from the
// signal thread (SIGHUP); start/leave/stop from the main thread or the stopper.
//
// Promises: a tenant runs on this instance only while its partition is held here (and, after a
// revocation whose drain outlasted drain_timeout, until its in-flight blobs are settled); the
// revocation returns only after the fleet applied it.
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/status/status_report.h"
#include "app/tenant_fleet.h"
#include "cluster/cluster_admin.h"
#include "cluster/membership.h"
#include "cluster/state/state_log.h"
#include "core/clock.h"
#include "core/config/config.h"
#include "core/result.h"

namespace o365fwd {

struct ClusterServiceParts {
  ClusterKafkaConfig config;
  std::string client_id;
  std::vector<TenantConfig> tenants;  // the configuration's (every instance loads the same)
  TenantFleet* fleet = nullptr;
  Clock* clock = nullptr;
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(60)};
  // The state of the tenants of gained / revoked partitions (layer 3). Unset: the state stays in
  // the local SQLite store under state_dir and does not follow the tenants.
  std::function<Status(const std::vector<int>&, SteadyTime deadline)> load_partitions;
  std::function<void(const std::vector<int>&)> release_partitions;
  std::string state_store = "local";
  // Exactly-once (layer 5): the transactions' figures; unset or nullopt when not transactional.
  // A partition fenced here has its tenants stopped like a lost one.
  std::function<std::optional<ExactlyOnceStats>()> exactly_once;
};

// The revoked partitions among `pending` that may be released now: those none of whose tenants
// is in `busy` (the tenants still running or still draining here: a revocation the fleet has not
// applied yet leaves them running). Pure; `partitions` is the assignment topic's count.
std::vector<int> releasablePartitions(const std::set<int>& pending,
                                      const std::vector<std::string>& busy, int partitions);

class ClusterService final : public RebalanceListener {
 public:
  // Builds the group member and the admin client (no connection yet); permanent config errors.
  static Result<std::unique_ptr<ClusterService>> create(ClusterServiceParts parts);
  ~ClusterService() override;
  ClusterService(const ClusterService&) = delete;
  ClusterService& operator=(const ClusterService&) = delete;

  // Checks the topics (a problem is logged with what to do and kept for /status), then joins.
  Status start();
  // Revokes every partition (drain, commit) and leaves the group; true when left by `deadline`.
  bool leave(SteadyTime deadline);
  void stop();
  // SIGHUP: the reloaded configuration's tenants (for the members' tenant counts).
  void setTenants(std::vector<TenantConfig> tenants);
  ClusterReport report() const;

  void onAssigned(const std::vector<int>& partitions) override;
  void onRevoked(const std::vector<int>& partitions, bool lost) override;
  void onIdle() override;

 private:
  explicit ClusterService(ClusterServiceParts parts) : parts_(std::move(parts)) {}
  void describeLoop(std::stop_token stop);
  void applyOwnership(SteadyTime drain_deadline);
  std::vector<int> loadState(const std::vector<int>& partitions);
  // Releases the revoked partitions none of whose tenants still runs or drains here (a commit for
  // a tenant of a released partition would fail, and hold up every commit behind it). Poll thread.
  void releaseDrained();
  // Exactly-once: retires the tenants of partitions held here whose transactions were fenced.
  void stopFenced();

  ClusterServiceParts parts_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<ClusterAdmin> admin_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  bool describe_now_ = false;
  std::set<int> owned_;            // partitions whose tenants run here (poll thread writes)
  std::set<int> loading_;          // gained, state not loaded yet (retried on onIdle)
  std::set<int> release_pending_;  // revoked; their state kept until their tenants drained
  std::string load_error_;         // why the last load failed
  std::optional<GroupDescription> group_;
  std::optional<WallTime> group_at_;
  std::optional<WallTime> describe_ok_at_;
  std::optional<ErrorInfo> describe_error_;
  bool describe_error_connection_ = false;
  std::optional<ErrorInfo> topics_problem_;
  std::jthread describer_;
};

}  // namespace o365fwd
