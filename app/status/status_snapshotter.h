#pragma once
// Builds StatusReports of the running collector: copies the StatusBoard, every sink's stats, each
// tenant's API counters and the collector's queue gauges, and judges each stream's lag against
// the thresholds (warning 24 h, error 72 h by default; the API keeps content 7 days).
// Holds references only; everything it reads must outlive it. snapshot() is called from the
// health server's threads and the progress reporter, concurrently: it only reads thread-safe
// sources.
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <shared_mutex>
#include <string>
#include <vector>

#include "app/status/status_history.h"
#include "app/status/status_report.h"
#include "connector/api_stats.h"
#include "pipeline/collector.h"
#include "pipeline/status_board.h"
#include "sinks/sink.h"

namespace o365fwd {

struct LagThresholds {
  std::chrono::milliseconds warning{std::chrono::hours(24)};
  std::chrono::milliseconds error{std::chrono::hours(72)};
};

LagLevel judgeLag(std::chrono::milliseconds lag, const LagThresholds& thresholds);
// One stream's report at `now`: lag from the watermark, and an active stream whose lag is
// critical reported as error.
StreamReport streamReport(const StreamStatus& status, const std::string& tenant_id, WallTime now,
                          const LagThresholds& thresholds);
SinkReport sinkReport(const Sink& sink);
// Ready: not shutting down, every stream finished a successful cycle since `started_at`, every
// sink up; in cluster mode also joined the group and the state of every partition held loaded
// (a standby, holding no partition, is ready). The reasons name each that is not ("sink siem:
// down"); none when ready.
std::vector<std::string> notReadyReasons(const StatusReport& report);
bool isReady(const StatusReport& report);

struct StatusSources {
  const StatusBoard* board = nullptr;
  std::vector<const Sink*> sinks;
  std::map<std::string, std::string> tenant_ids;             // tenant name -> configured id
  std::vector<std::pair<std::string, const ApiStats*>> api;  // tenant name -> its counters
  const Collector* collector = nullptr;                      // optional
  LagThresholds lag;
  const StatusHistory* history = nullptr;  // optional: the charts' series and records/minute

  // Fleet configuration (optional): what the last start or reload could not apply.
  std::function<std::vector<std::string>()> config_problems;

  // Microsoft 365 service health (optional): the monitor's per-tenant reports.
  std::function<std::vector<ServiceHealthReport>()> service_health;
  // Credential expiry (optional): each credential judged at the given time.
  std::function<std::vector<CredentialReport>(WallTime)> credentials;
  // Adaptive request rates (optional): one per tenant.
  std::function<std::vector<RequestRateReport>()> request_rates;
  // Cluster mode (optional): this instance's membership (app/cluster/cluster_service.h).
  std::function<std::optional<ClusterReport>()> cluster;
};

class StatusSnapshotter {
 public:
  StatusSnapshotter(StatusSources sources, Clock& clock)
      : sources_(std::move(sources)), clock_(clock) {}
  StatusReport snapshot() const;
  // What a readiness or liveness probe needs, and no more: ready and the reasons against it
  // (shutting down, the streams without a successful poll since the start, sinks not up). Takes
  // the same locks as snapshot(); at 5,000 streams, once ready, it costs a walk of the status
  // board instead of a full report (a probe every 100 ms took 10 % of a core at start-up).
  StatusReport probeSnapshot() const;
  void markShuttingDown() { shutting_down_.store(true); }
  // Live tenant changes: replaces the tenant ids and API counters (the snapshots that use the
  // old ones have finished when it returns, so their ApiStats may then be destroyed).
  void setTenants(std::map<std::string, std::string> tenant_ids,
                  std::vector<std::pair<std::string, const ApiStats*>> api);

 private:
  mutable std::shared_mutex tenants_mu_;  // guards sources_.tenant_ids and sources_.api
  StatusSources sources_;
  Clock& clock_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace o365fwd
