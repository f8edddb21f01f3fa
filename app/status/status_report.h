#pragma once
// A point-in-time copy of everything the operator-facing views show: the health endpoint's
// /status (JSON) and /metrics (Prometheus), the HTML status page, `o365fwd status` and the
// progress line. Plain data, copied freely; built by StatusSnapshotter (live, from the running
// collector) or from the state database (`o365fwd status` when no instance answers). Renderers
// never see the collector itself, so each is a pure function tested on its own.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connector/api_stats.h"
#include "core/clock.h"
#include "pipeline/status_board.h"

namespace o365fwd {

// How far a stream's watermark is behind, judged against the API's 7-day retention.
enum class LagLevel { kOk, kWarning, kCritical };
const char* toString(LagLevel level);  // "ok" | "warning" | "critical"

struct StreamReport {
  std::string tenant;        // configured name
  std::string tenant_id;     // directory (tenant) id as configured
  std::string content_type;  // Audit.Exchange, ...
  // active | starting | error | disabled. An active stream whose lag is critical reports error.
  std::string state;
  std::optional<WallTime> last_poll;
  std::optional<WallTime> last_success;
  std::optional<WallTime> watermark;
  std::optional<std::int64_t> lag_seconds;  // generated_at - watermark; none before the first
  LagLevel lag_level = LagLevel::kOk;
  std::uint64_t blobs_listed = 0;          // this process
  std::uint64_t blobs_done = 0;            // persisted total
  std::uint64_t blobs_pending = 0;         // queued or in flight now
  std::uint64_t blobs_failed = 0;          // this process: attempts that will be retried
  std::uint64_t blobs_lost = 0;            // persisted total
  std::uint64_t events_forwarded = 0;      // persisted total
  std::uint64_t events_forwarded_run = 0;  // this process
  std::uint64_t bytes_forwarded_run = 0;   // this process
  std::uint64_t duplicates_dropped = 0;    // persisted total
  std::uint64_t dead_lettered = 0;         // persisted total
  std::uint64_t consecutive_failures = 0;
  std::optional<ErrorInfo> last_error;  // redacted, <= 512 characters

  // Records the API should not send, forwarded as they are (this process).
  std::uint64_t records_without_id = 0;    // no Id, an empty one or one that is not a string
  std::uint64_t records_invalid_utf8 = 0;  // bytes that are not well-formed UTF-8

  // Records the filters did not admit (persisted total; _run: this process): not forwarded, keys
  // committed as seen.
  std::uint64_t records_filtered = 0;
  std::uint64_t records_filtered_run = 0;

  // Late content and the deep sweep (this process, except last_sweep: stored).
  std::uint64_t late_blobs = 0;
  std::int64_t max_lateness_seconds = 0;
  LatenessHistogram lateness;
  std::optional<WallTime> last_sweep;
  std::uint64_t sweeps_completed = 0;

  // Microsoft 365 service health: ids of the tenant's open issues whose service affects this
  // content type (details in StatusReport::service_health); live only.
  std::vector<std::string> service_issues;
};

struct SinkReport {
  std::string name;
  std::string type;   // file | kafka | syslog
  std::string state;  // starting | up | down
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint64_t rejected = 0;
  std::uint64_t queued = 0;
  std::uint64_t queued_bytes = 0;
  std::uint64_t truncated = 0;  // syslog: records shortened to the transport's limit
  std::uint64_t restarts = 0;   // kafka: producers re-created after a fatal error
  std::optional<ErrorInfo> last_error;
};

struct TenantApiReport {
  std::string tenant;
  ApiStatsSnapshot api;
};

// Fleet health (issue 11): whether everything is collecting, which readiness does not say.
// Stream classes: error (state error, which includes a critical lag), disabled, lagging (lag at
// the warning level or worse, not in error or disabled), healthy (the rest, starting included).
// A tenant counts once, by its worst stream: error > disabled > lagging > healthy.
// "degraded" when any stream is in error, lagging or disabled, or any sink is not up.
struct HealthSummary {
  std::string state = "ok";  // ok | degraded
  std::uint64_t streams = 0;
  std::uint64_t streams_error = 0;
  std::uint64_t streams_lagging = 0;
  std::uint64_t streams_disabled = 0;
  std::uint64_t tenants = 0;
  std::uint64_t tenants_healthy = 0;
  std::uint64_t tenants_lagging = 0;
  std::uint64_t tenants_error = 0;
  std::uint64_t tenants_disabled = 0;
  std::uint64_t sinks_down = 0;  // sinks not up
  // Credentials that expire within 7 days or have expired (CredentialReport level critical or
  // expired): the headline says degraded, with the remedy. Readiness does not change.
  std::uint64_t credentials_expiring = 0;
  std::optional<std::uint64_t> records_per_minute;  // live only: over the last minute or so
  std::optional<std::int64_t> oldest_lag_seconds;   // the largest lag of a stream not disabled
  std::string oldest_lag_stream;                    // "tenant/content_type" of that stream
};

// When one application credential expires (issue 13 part 3): one per named credential
// (`credentials:`, however many tenants share it) and one per tenant with its own certificate or
// client_secret_expires. A client secret without client_secret_expires has no known expiry and
// no entry.
struct CredentialReport {
  std::string name;    // the `credentials:` name, or "tenant:<tenant name>" for a tenant's own
  std::string kind;    // certificate | client_secret
  std::string source;  // the certificate file, or "client_secret_expires"
  std::optional<WallTime> expires_at;  // notAfter, or client_secret_expires
  // ok | warning (within 30 days) | critical (within 7 days) | expired | unknown (not readable)
  std::string level = "ok";
  std::string problem;               // why expires_at is unknown
  std::vector<std::string> tenants;  // the tenants that use it, natural order
};

// One tenant's adaptive request rate (issue 14 part 5; connector/rate_limiter.h), live only.
struct RequestRateReport {
  std::string tenant;
  std::uint64_t per_minute = 0;  // learned now
  std::uint64_t start = 0;       // where it started: min(max_requests_per_minute, 1800)
  std::uint64_t ceiling = 0;     // collection.max_requests_per_minute
  std::uint64_t raises = 0;
  std::uint64_t cuts = 0;  // throttled episodes
};

// One point of the in-memory time series (StatusHistory): what was forwarded since the previous
// point and the oldest lag at that moment.
struct HistoryPoint {
  WallTime at{};
  std::uint64_t records = 0;  // forwarded since the previous point
  std::uint32_t seconds = 0;  // since the previous point (0 for the first)
  std::optional<std::int64_t> oldest_lag_seconds;
  std::uint32_t problem_streams = 0;  // in error, lagging or disabled
};

// Microsoft 365 service health (a tenant's `service_health: true`; docs/STATUS.md "Service
// health"): the open incidents and advisories Microsoft Graph reports for the tenant.
struct ServiceIssueReport {
  std::string id;       // "EX123456"
  std::string title;    // <= 300 characters
  std::string service;  // "Exchange Online"
  std::string feature;
  std::string classification;  // incident | advisory
  std::string status;          // serviceDegradation, investigating, ...
  std::optional<WallTime> start;
  std::optional<WallTime> last_modified;
  std::vector<std::string> content_types;  // the audit streams its service affects
};

struct ServiceHealthReport {
  std::string tenant;
  std::string state = "starting";  // starting | ok | error
  std::optional<WallTime> last_poll;
  std::optional<WallTime> last_success;
  std::optional<ErrorInfo> last_error;  // redacted; a 403 names the permission and the remedy
  std::uint64_t issues_forwarded = 0;   // records forwarded by this process
  std::vector<ServiceIssueReport> open_issues;  // unresolved; incidents first; at most 50
  std::uint64_t open_issues_total = 0;          // all unresolved, also past the 50 shown
  std::vector<std::string>
      degraded_services;  // healthOverviews: "Exchange Online: serviceDegradation"
};

// Cluster mode (docs/CLUSTER.md, docs/STATUS.md "Cluster"): this instance's membership in the
// group, what it holds, and the group's members as last described; live only.
struct ClusterMemberReport {
  std::string client_id;  // o365fwd-<host>-<pid>
  std::string member_id;
  std::string host;             // as the broker saw it
  std::vector<int> partitions;  // ascending
  std::uint64_t tenants = 0;    // of those partitions, according to this configuration
};

struct ClusterReport {
  std::string group;
  std::string brokers;
  std::string client_id;
  std::string member_id;  // empty before the first join
  // joining (no assignment yet) | loading (reading the state of gained partitions) | active
  // (holds partitions) | standby (in the group, holds none: more members than partitions with
  // work) | leaving
  std::string role = "joining";
  std::uint64_t partitions_total = 0;  // cluster.kafka.partitions
  std::vector<int> partitions;         // held, ascending
  std::vector<std::string> tenants;    // running here, natural order; at most 200 listed
  std::uint64_t tenants_total = 0;
  std::string state_store;  // "kafka" | "local" (SQLite under state_dir: state does not follow)
  std::string broker_state = "unknown";  // up | down | unknown
  std::optional<ErrorInfo> last_error;   // redacted, with what to do
  std::uint64_t rebalances = 0;
  std::optional<WallTime> last_rebalance;
  // The group as last described (every 15 s and after each rebalance): at most 100 members.
  std::string group_state;  // Stable, PreparingRebalance, ...; empty when never described
  std::optional<WallTime> members_at;
  std::vector<ClusterMemberReport> members;
  std::uint64_t members_total = 0;
  std::vector<int> unheld_partitions;  // partitions with tenants no member holds (at members_at)

  // Exactly-once into Kafka (layer 5): commits are Kafka transactions with the Kafka sink's
  // records.
  bool exactly_once = false;
  std::uint64_t transactions_committed = 0;
  std::uint64_t transactions_aborted = 0;
  std::uint64_t blobs_dropped_fenced = 0;  // commits of fenced partitions not written
  std::vector<int> fenced_partitions;      // ascending; fenced here, not released yet
  std::string fenced_error;                // the last fence: what happened, what to do
};

struct StatusReport {
  std::string version;
  std::string source = "live";  // live (a running instance) | state (read from the state database)
  WallTime generated_at{};
  std::optional<WallTime> started_at;
  bool ready = false;  // every stream polled successfully and every sink up
  bool shutting_down = false;
  std::vector<StreamReport> streams;
  std::vector<SinkReport> sinks;
  std::vector<TenantApiReport> api;  // live only
  std::uint64_t queued_blobs = 0;    // live only
  std::uint64_t inflight_bytes = 0;  // live only

  // Fleet view (issue 11, fleet-status): the health headline and the last hours' time series.
  HealthSummary health;               // summarizeHealth(); read back from JSON when present
  std::vector<HistoryPoint> history;  // live only, oldest first, one a minute for at most 6 h

  // Fleet configuration: what the last start or reload could not apply (a broken tenants_dir
  // file, an invalid main file), one "<file>:<line>: <path>: <message>" each; live only.
  std::vector<std::string> config_problems;

  // Microsoft 365 service health: one entry per tenant with service_health on; live only.
  std::vector<ServiceHealthReport> service_health;
  // Credential expiry, soonest first (live only; `validate` checks a stopped instance's).
  std::vector<CredentialReport> credentials;

  // Each tenant's learned request rate, in the order of `api` (live only).
  std::vector<RequestRateReport> request_rates;

  // Cluster mode only (live).
  std::optional<ClusterReport> cluster;
};

}  // namespace o365fwd
