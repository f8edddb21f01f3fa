#include "app/status/status_snapshotter.h"

#include "app/status/fleet_health.h"
#include "app/status/service_health_status.h"
#include "core/secrets/redact.h"
#include "core/version.h"

namespace o365fwd {

LagLevel judgeLag(std::chrono::milliseconds lag, const LagThresholds& thresholds) {
  if (lag >= thresholds.error) return LagLevel::kCritical;
  if (lag >= thresholds.warning) return LagLevel::kWarning;
  return LagLevel::kOk;
}

StreamReport streamReport(const StreamStatus& s, const std::string& tenant_id, WallTime now,
                          const LagThresholds& thresholds) {
  StreamReport r;
  r.tenant = s.stream.tenant;
  r.tenant_id = tenant_id;
  r.content_type = s.stream.content_type;
  r.state = toString(s.state);
  r.last_poll = s.last_poll;
  r.last_success = s.last_success;
  r.watermark = s.watermark;
  if (s.watermark) {
    auto lag = std::chrono::duration_cast<std::chrono::milliseconds>(now - *s.watermark);
    if (lag.count() < 0) lag = std::chrono::milliseconds(0);
    r.lag_seconds = std::chrono::duration_cast<std::chrono::seconds>(lag).count();
    r.lag_level = judgeLag(lag, thresholds);
    if (r.lag_level == LagLevel::kCritical && s.state == StreamState::kActive) r.state = "error";
  }
  r.blobs_listed = s.blobs_listed;
  r.blobs_done = s.blobs_done;
  r.blobs_pending = s.blobs_pending;
  r.blobs_failed = s.blobs_failed;
  r.blobs_lost = s.blobs_lost;
  r.events_forwarded = s.events_forwarded;
  r.events_forwarded_run = s.events_forwarded_run;
  r.bytes_forwarded_run = s.bytes_forwarded;
  r.duplicates_dropped = s.duplicates_dropped;
  r.dead_lettered = s.dead_lettered;
  r.consecutive_failures = s.consecutive_failures;
  r.last_error = s.last_error;
  r.records_without_id = s.records_without_id;
  r.records_filtered = s.records_filtered;
  r.records_filtered_run = s.records_filtered_run;
  r.records_invalid_utf8 = s.records_invalid_utf8;
  r.late_blobs = s.late_blobs;
  r.max_lateness_seconds = s.max_lateness_seconds;
  r.lateness = s.lateness;
  r.last_sweep = s.last_sweep;
  r.sweeps_completed = s.sweeps_completed;
  return r;
}

SinkReport sinkReport(const Sink& sink) {
  SinkStats st = sink.stats();
  SinkReport r;
  r.name = sink.name();
  r.type = toString(sink.type());
  r.state = toString(st.state);
  r.delivered = st.delivered;
  r.failed = st.failed;
  r.rejected = st.rejected;
  r.queued = st.queued;
  r.queued_bytes = st.queued_bytes;
  r.truncated = st.truncated;
  r.restarts = st.restarts;
  if (st.last_error) {
    std::string message = redactSecrets(st.last_error->message);
    if (message.size() > 512) message.resize(512);
    r.last_error =
        ErrorInfo{st.last_error_at.value_or(WallTime{}), st.last_error->code, std::move(message)};
  }
  return r;
}

std::vector<std::string> notReadyReasons(const StatusReport& report) {
  std::vector<std::string> reasons;
  if (report.shutting_down) reasons.push_back("shutting down");
  if (!report.started_at) reasons.push_back("collection has not started");
  for (const StreamReport& s : report.streams)
    if (!s.last_success || !report.started_at || *s.last_success < *report.started_at)
      reasons.push_back(
          "stream " + s.tenant + "/" + s.content_type + ": " + s.state +
          ", no successful poll yet" +
          (s.last_error ? " (last error " + s.last_error->code + ")" : std::string()));
  for (const SinkReport& s : report.sinks)
    if (s.state != "up") reasons.push_back("sink " + s.name + ": " + s.state);
  if (report.cluster) {
    const ClusterReport& c = *report.cluster;
    if (c.role == "joining")
      reasons.push_back("cluster: joining group " + c.group + ", no assignment yet" +
                        (c.last_error ? " (" + c.last_error->message + ")" : std::string()));
    else if (c.role == "loading")
      reasons.push_back("cluster: loading the state of the partitions gained" +
                        (c.last_error ? " (" + c.last_error->message + ")" : std::string()));
  }
  return reasons;
}

bool isReady(const StatusReport& report) {
  return notReadyReasons(report).empty();
}

StatusReport StatusSnapshotter::snapshot() const {
  StatusReport r;
  r.version = kVersion;
  r.source = "live";
  r.generated_at = clock_.wallNow();
  r.shutting_down = shutting_down_.load();
  std::shared_lock tenants_lock(tenants_mu_);
  if (sources_.board) {
    WallTime started = sources_.board->startedAt();
    if (started != WallTime{}) r.started_at = started;
    for (const StreamStatus& s : sources_.board->snapshot()) {
      auto id = sources_.tenant_ids.find(s.stream.tenant);
      r.streams.push_back(streamReport(s, id == sources_.tenant_ids.end() ? "" : id->second,
                                       r.generated_at, sources_.lag));
    }
  }
  for (const Sink* sink : sources_.sinks) r.sinks.push_back(sinkReport(*sink));
  for (const auto& [tenant, stats] : sources_.api) r.api.push_back({tenant, stats->snapshot()});
  if (sources_.collector) {
    r.queued_blobs = sources_.collector->queuedBlobs();
    r.inflight_bytes = sources_.collector->budget().bytes();
  }
  tenants_lock.unlock();
  if (sources_.config_problems) r.config_problems = sources_.config_problems();
  if (sources_.service_health) attachServiceHealth(r, sources_.service_health());
  if (sources_.credentials) r.credentials = sources_.credentials(r.generated_at);
  if (sources_.request_rates) r.request_rates = sources_.request_rates();
  if (sources_.cluster) r.cluster = sources_.cluster();
  r.ready = isReady(r);
  r.health = summarizeHealth(r);
  if (sources_.history) {
    r.history = sources_.history->points();
    r.health.records_per_minute =
        sources_.history->perMinute(r.generated_at, recordsForwardedThisRun(r));
  }
  return r;
}

StatusReport StatusSnapshotter::probeSnapshot() const {
  StatusReport r;
  r.version = kVersion;
  r.source = "live";
  r.generated_at = clock_.wallNow();
  r.shutting_down = shutting_down_.load();
  std::shared_lock tenants_lock(tenants_mu_);
  if (sources_.board) {
    WallTime started = sources_.board->startedAt();
    if (started != WallTime{}) r.started_at = started;
    for (const StreamStatus& s : sources_.board->withoutSuccessSince(started)) {
      auto id = sources_.tenant_ids.find(s.stream.tenant);
      r.streams.push_back(streamReport(s, id == sources_.tenant_ids.end() ? "" : id->second,
                                       r.generated_at, sources_.lag));
    }
  }
  for (const Sink* sink : sources_.sinks) r.sinks.push_back(sinkReport(*sink));
  if (sources_.collector) {  // its locks too: a deadlocked collector fails /livez
    r.queued_blobs = sources_.collector->queuedBlobs();
    r.inflight_bytes = sources_.collector->budget().bytes();
  }
  tenants_lock.unlock();
  if (sources_.cluster) r.cluster = sources_.cluster();
  r.ready = isReady(r);
  return r;
}

void StatusSnapshotter::setTenants(std::map<std::string, std::string> tenant_ids,
                                   std::vector<std::pair<std::string, const ApiStats*>> api) {
  std::unique_lock lock(tenants_mu_);
  sources_.tenant_ids = std::move(tenant_ids);
  sources_.api = std::move(api);
}

}  // namespace o365fwd
