#include "app/status/metrics_text.h"

#include <cstdio>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "app/status/metrics_groups.h"
#include "connector/graph/service_workloads.h"
#include "core/secrets/redact.h"

namespace o365fwd {
namespace {

using Labels = MetricLabels;

std::string escapeLabel(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

double epochSeconds(WallTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Writes one family: HELP and TYPE once, then every sample the caller adds.
class Family {
 public:
  Family(std::string& out, const char* name, const char* type, const char* help)
      : out_(out), name_(name) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void add(const Labels& labels, double value) { sample(labels, number(value)); }
  void add(const Labels& labels, std::uint64_t value) { sample(labels, std::to_string(value)); }

 private:
  void sample(const Labels& labels, const std::string& value) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      bool first = true;
      for (const auto& [key, v] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += key;
        out_ += "=\"";
        out_ += escapeLabel(v);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  std::string& out_;
  const char* name_;
};

// Stable label values (toString(ApiCall) is prose for log lines).
const char* endpointLabel(ApiCall call) {
  switch (call) {
    case ApiCall::kSubscriptionStart: return "subscriptions_start";
    case ApiCall::kSubscriptionStop: return "subscriptions_stop";
    case ApiCall::kSubscriptionList: return "subscriptions_list";
    case ApiCall::kContentList: return "content_list";
    case ApiCall::kBlob: return "content_blob";
  }
  return "other";
}

// Whole seconds: a second is as fine as any of these timestamps is meant, and shorter.
std::uint64_t unixSeconds(WallTime t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

using Groups = std::vector<StreamGroup>;

void groupCounter(std::string& out, const Groups& groups, const char* name, const char* help,
                  std::uint64_t StreamGroup::*field) {
  Family f(out, name, "counter", help);
  for (const StreamGroup& g : groups) f.add(g.labels, g.*field);
}

void groupTimestamp(std::string& out, const Groups& groups, const char* name, const char* help,
                    std::optional<WallTime> StreamGroup::*field) {
  Family f(out, name, "gauge", help);
  for (const StreamGroup& g : groups)
    if (g.*field) f.add(g.labels, unixSeconds(*(g.*field)));
}

// The four figures kept at the finest detail: state, lag, records forwarded, last success.
void coreMetrics(std::string& out, const StatusReport& r, const Groups& groups) {
  {
    Family f(out, "o365fwd_streams", "gauge", "Streams (tenant x content type) in each state.");
    const Groups all = groupStreams(r.streams, StreamGrouping::kTotal);
    for (std::size_t i = 0; i < kStreamStates.size(); ++i)
      f.add({{"state", kStreamStates[i]}}, all.front().states[i]);
  }
  {
    Family f(out, "o365fwd_stream_state", "gauge",
             "Streams not collecting, by state (starting, error, disabled); 1 per stream at "
             "stream detail. Active streams have no series: see o365fwd_streams.");
    for (const StreamGroup& g : groups)
      for (std::size_t i = 1; i < kStreamStates.size(); ++i) {
        if (g.states[i] == 0) continue;
        MetricLabels l = g.labels;
        l.emplace_back("state", kStreamStates[i]);
        f.add(l, g.states[i]);
      }
  }
  {
    Family f(out, "o365fwd_checkpoint_lag_seconds", "gauge",
             "How far the watermark is behind now (the largest of the group); the API keeps "
             "content 7 days.");
    for (const StreamGroup& g : groups)
      if (g.max_lag_seconds) f.add(g.labels, static_cast<double>(*g.max_lag_seconds));
  }
  groupCounter(out, groups, "o365fwd_records_forwarded_total",
               "Audit records every sink acknowledged (persisted total).",
               &StreamGroup::records_forwarded);
  groupTimestamp(out, groups, "o365fwd_last_success_timestamp_seconds",
                 "When a poll cycle last listed everything and resolved every blob (the oldest "
                 "of the group's streams).",
                 &StreamGroup::oldest_success);
}

// Everything else about streams, at the coarser detail.
void restMetrics(std::string& out, const Groups& groups) {
  groupTimestamp(out, groups, "o365fwd_last_poll_timestamp_seconds",
                 "When a poll cycle last started (the oldest of the group's streams).",
                 &StreamGroup::oldest_poll);
  {
    Family f(out, "o365fwd_content_blobs_pending", "gauge", "Content blobs queued or in flight.");
    for (const StreamGroup& g : groups) f.add(g.labels, g.blobs_pending);
  }
  struct Counter {
    const char* name;
    const char* help;
    std::uint64_t StreamGroup::*field;
  };
  static constexpr Counter kCounters[] = {
      {"o365fwd_content_blobs_listed_total", "Content blobs listed by this process.",
       &StreamGroup::blobs_listed},
      {"o365fwd_content_blobs_done_total",
       "Content blobs forwarded and committed (persisted total).", &StreamGroup::blobs_done},
      {"o365fwd_content_blobs_failed_total",
       "Content blob attempts that failed and will be retried (this process).",
       &StreamGroup::blobs_failed},
      {"o365fwd_content_blobs_lost_total",
       "Content blobs that expired at the API before they could be fetched (persisted total).",
       &StreamGroup::blobs_lost},
      {"o365fwd_forwarded_bytes_total", "Bytes of audit records forwarded by this process.",
       &StreamGroup::bytes_forwarded},
      {"o365fwd_duplicates_dropped_total",
       "Audit records dropped because they were already forwarded (persisted total).",
       &StreamGroup::duplicates_dropped},
      {"o365fwd_dead_letters_total",
       "Audit records or blobs written to the dead-letter files (persisted total).",
       &StreamGroup::dead_letters},
      {"o365fwd_records_without_id_total",
       "Audit records forwarded without an Id (missing, empty or not a string; never "
       "de-duplicated) by this process.",
       &StreamGroup::records_without_id},
      {"o365fwd_records_invalid_utf8_total",
       "Audit records forwarded with bytes that are not well-formed UTF-8 (as they came) by this "
       "process.",
       &StreamGroup::records_invalid_utf8},
      {"o365fwd_records_filtered_total",
       "Audit records the record filters did not admit (not forwarded, recorded as seen) by this "
       "process.",
       &StreamGroup::records_filtered},
  };
  for (const Counter& c : kCounters) groupCounter(out, groups, c.name, c.help, c.field);
}

void apiMetrics(std::string& out, const StatusReport& r, MetricsDetail detail) {
  const auto groups = groupApi(r.api, detail == MetricsDetail::kTenant);
  auto counter = [&](const char* name, const char* help, std::uint64_t ApiStatsSnapshot::*field) {
    Family f(out, name, "counter", help);
    for (const auto& [labels, api] : groups) f.add(labels, api.*field);
  };
  {
    Family f(out, "o365fwd_api_requests_total", "counter",
             "HTTP requests to the Management Activity API by endpoint and result.");
    for (const auto& [labels, api] : groups)
      for (const auto& q : api.requests) {
        MetricLabels l = labels;
        l.emplace_back("endpoint", endpointLabel(q.call));
        l.emplace_back("result", toString(q.outcome));
        f.add(l, q.count);
      }
  }
  {
    Family f(out, "o365fwd_api_errors_total", "counter",
             "Error answers of the Management Activity API by code.");
    for (const auto& [labels, api] : groups)
      for (const auto& e : api.errors) {
        MetricLabels l = labels;
        l.emplace_back("endpoint", endpointLabel(e.call));
        l.emplace_back("code", e.code);
        f.add(l, e.count);
      }
  }
  counter("o365fwd_api_throttled_total", "Throttled answers (AF429, HTTP 429).",
          &ApiStatsSnapshot::throttled);
  counter("o365fwd_api_retries_total", "Request attempts beyond the first.",
          &ApiStatsSnapshot::retries);
  counter("o365fwd_api_transport_errors_total", "DNS, connect, TLS, timeout and reset failures.",
          &ApiStatsSnapshot::transport_errors);
  counter("o365fwd_api_received_bytes_total", "Decoded response bytes from the Management API.",
          &ApiStatsSnapshot::bytes_received);
  counter("o365fwd_token_refreshes_total", "Access tokens acquired.",
          &ApiStatsSnapshot::token_refreshes);
  // Per tenant unless everything is totalled: the tenant whose token fails is what to fix.
  Family f(out, "o365fwd_token_failures_total", "counter", "Failed token endpoint exchanges.");
  if (detail == MetricsDetail::kTotal)
    for (const auto& [labels, api] : groups) f.add(labels, api.token_failures);
  else
    for (const TenantApiReport& t : r.api) f.add({{"tenant", t.tenant}}, t.api.token_failures);
}

void sinkFamily(std::string& out, const StatusReport& r, const char* name, const char* type,
                const char* help, std::uint64_t SinkReport::*field,
                const char* only_type = nullptr) {
  Family f(out, name, type, help);
  for (const SinkReport& s : r.sinks)
    if (!only_type || s.type == only_type) f.add({{"sink", s.name}}, s.*field);
}

void sinkMetrics(std::string& out, const StatusReport& r) {
  {
    Family f(out, "o365fwd_sink_up", "gauge", "1 when the sink is up.");
    for (const SinkReport& s : r.sinks)
      f.add({{"sink", s.name}, {"type", s.type}}, std::uint64_t{s.state == "up"});
  }
  sinkFamily(out, r, "o365fwd_sink_records_delivered_total", "counter",
             "Records the sink acknowledged.", &SinkReport::delivered);
  sinkFamily(out, r, "o365fwd_sink_delivery_failures_total", "counter",
             "Records of failed delivery attempts (sent again later).", &SinkReport::failed);
  sinkFamily(out, r, "o365fwd_sink_records_rejected_total", "counter",
             "Records the destination refused for good (dead-lettered).", &SinkReport::rejected);
  sinkFamily(out, r, "o365fwd_sink_queue_records", "gauge",
             "Records accepted by the sink, not yet acknowledged.", &SinkReport::queued);
  sinkFamily(out, r, "o365fwd_sink_queue_bytes", "gauge",
             "Bytes accepted by the sink, not yet acknowledged.", &SinkReport::queued_bytes);
  sinkFamily(out, r, "o365fwd_syslog_truncated_total", "counter",
             "Syslog messages cut to max_message_size.", &SinkReport::truncated, "syslog");
  sinkFamily(out, r, "o365fwd_kafka_producer_restarts_total", "counter",
             "Kafka producers re-created after a fatal error.", &SinkReport::restarts, "kafka");
}

// Late content: a counter at the coarser detail, the lateness histogram per content type (12
// series per content type however many tenants), the oldest last sweep.
void lateMetrics(std::string& out, const StatusReport& r, const Groups& groups) {
  groupCounter(out, groups, "o365fwd_late_blobs_total",
               "Blobs first listed more than `overlap` after their contentCreated, in a range "
               "listed before (this process).",
               &StreamGroup::late_blobs);
  {
    const char* name = "o365fwd_blob_lateness_seconds";
    out +=
        "# HELP o365fwd_blob_lateness_seconds Time from a blob's contentCreated to its first "
        "listing, per newly listed blob (this process).\n# TYPE o365fwd_blob_lateness_seconds "
        "histogram\n";
    for (const StreamGroup& g : groupStreams(r.streams, StreamGrouping::kContentType)) {
      const LatenessHistogram& h = g.lateness;
      const std::string label = "content_type=\"" + escapeLabel(g.labels.front().second) + "\"";
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < h.counts.size(); ++i) {
        cumulative += h.counts[i];
        const std::string le = i < kLatenessBoundsSeconds.size()
                                   ? std::to_string(kLatenessBoundsSeconds[i])
                                   : std::string("+Inf");
        out += std::string(name) + "_bucket{" + label + ",le=\"" + le + "\"} " +
               std::to_string(cumulative) + "\n";
      }
      out += std::string(name) + "_sum{" + label + "} " + number(h.sum_seconds) + "\n";
      out += std::string(name) + "_count{" + label + "} " + std::to_string(h.count) + "\n";
    }
  }
  groupTimestamp(out, groups, "o365fwd_last_sweep_timestamp_seconds",
                 "When the last complete deep sweep started (the oldest of the group's streams).",
                 &StreamGroup::oldest_sweep);
}

// Microsoft 365 service health (docs/STATUS.md "Service health"): open issues by service and
// classification over every tenant (bounded labels: known services, else "other"), the tenants by
// poll state, and the records forwarded. Absent when no tenant has service_health on.
void serviceHealthMetrics(std::string& out, const StatusReport& r) {
  if (r.service_health.empty()) return;
  std::map<std::pair<std::string, std::string>, std::uint64_t> open;
  std::map<std::string, std::uint64_t> states = {{"ok", 0}, {"error", 0}, {"starting", 0}};
  std::uint64_t forwarded = 0;
  for (const ServiceHealthReport& h : r.service_health) {
    ++states[h.state == "ok" || h.state == "error" ? h.state : "starting"];
    forwarded += h.issues_forwarded;
    for (const ServiceIssueReport& i : h.open_issues)
      ++open[{serviceMetricLabel(i.service), classificationLabel(i.classification)}];
  }
  Family open_family(out, "o365fwd_service_health_open_issues", "gauge",
                     "Open Microsoft 365 service incidents and advisories over every tenant with "
                     "service_health, by service and classification.");
  for (const auto& [key, n] : open)
    open_family.add({{"service", key.first}, {"classification", key.second}}, n);
  Family tenants(out, "o365fwd_service_health_tenants", "gauge",
                 "Tenants with service_health by the state of their last poll (ok, error: e.g. the "
                 "ServiceHealth.Read.All permission is missing, starting).");
  for (const auto& [state, n] : states) tenants.add({{"state", state}}, n);
  Family(out, "o365fwd_service_health_issues_forwarded_total", "counter",
         "ServiceHealth.Issue records forwarded to the sinks by this process.")
      .add({}, forwarded);
}

}  // namespace

std::string renderMetrics(const StatusReport& r, MetricsDetail detail) {
  const StreamGrouping core = detail == MetricsDetail::kStream   ? StreamGrouping::kStream
                              : detail == MetricsDetail::kTenant ? StreamGrouping::kTenant
                                                                 : StreamGrouping::kTotal;
  const StreamGrouping rest =
      detail == MetricsDetail::kTenant ? StreamGrouping::kTenant : StreamGrouping::kContentType;
  const Groups core_groups = groupStreams(r.streams, core);
  const Groups rest_groups = groupStreams(r.streams, rest);
  std::string out;
  out.reserve(8192 + core_groups.size() * 400 + rest_groups.size() * 1200);
  Family(out, "o365fwd_build_info", "gauge", "Build metadata; always 1.")
      .add({{"version", r.version}}, std::uint64_t{1});
  if (r.started_at)
    Family(out, "o365fwd_start_time_seconds", "gauge", "When the process started, in Unix seconds.")
        .add({}, epochSeconds(*r.started_at));
  Family(out, "o365fwd_ready", "gauge",
         "1 once every stream polled successfully and every sink is up.")
      .add({}, std::uint64_t{r.ready});
  coreMetrics(out, r, core_groups);
  restMetrics(out, rest_groups);
  apiMetrics(out, r, detail);
  sinkMetrics(out, r);
  Family(out, "o365fwd_collector_queued_blobs", "gauge",
         "Blobs listed and waiting for a download worker.")
      .add({}, r.queued_blobs);
  Family(out, "o365fwd_collector_inflight_bytes", "gauge",
         "Bytes of downloaded blobs not yet committed.")
      .add({}, r.inflight_bytes);
  lateMetrics(out, r, rest_groups);
  Family(out, "o365fwd_config_problems", "gauge",
         "Problems the last start or reload could not apply (e.g. a broken tenants_dir file).")
      .add({}, static_cast<std::uint64_t>(r.config_problems.size()));
  serviceHealthMetrics(out, r);
  if (!r.request_rates.empty()) {
    // Per tenant (bounded by the tenant count), one total at `total` detail.
    Family rate(out, "o365fwd_api_request_rate_per_minute", "gauge",
                "The tenant's learned request budget per minute (adaptive: raised while answers "
                "come back unthrottled, cut on AF429, never above max_requests_per_minute).");
    if (detail == MetricsDetail::kTotal) {
      std::uint64_t sum = 0;
      for (const RequestRateReport& q : r.request_rates) sum += q.per_minute;
      rate.add({}, sum);
    } else {
      for (const RequestRateReport& q : r.request_rates)
        rate.add({{"tenant", q.tenant}}, q.per_minute);
    }
  }
  if (!r.credentials.empty()) {
    // One series per credential (a shared one once, however many tenants use it).
    Family expiry(out, "o365fwd_credential_expiry_timestamp_seconds", "gauge",
                  "When the credential expires, in Unix seconds: a certificate's notAfter or a "
                  "client secret's client_secret_expires.");
    for (const CredentialReport& c : r.credentials)
      if (c.expires_at)
        expiry.add({{"credential", c.name}, {"kind", c.kind}}, epochSeconds(*c.expires_at));
  }
  if (r.cluster) {
    const ClusterReport& c = *r.cluster;
    Family(out, "o365fwd_cluster_partitions_held", "gauge",
           "Assignment partitions this instance holds in its cluster group.")
        .add({}, static_cast<std::uint64_t>(c.partitions.size()));
    Family(out, "o365fwd_cluster_tenants_held", "gauge",
           "Tenants this instance collects (those of the partitions it holds).")
        .add({}, c.tenants_total);
    Family(out, "o365fwd_cluster_rebalances_total", "counter",
           "Rebalances of the group this instance took part in since it started.")
        .add({}, c.rebalances);
    if (c.last_rebalance)
      Family(out, "o365fwd_cluster_last_rebalance_timestamp_seconds", "gauge",
             "When the last rebalance changed this instance's assignment, in Unix seconds.")
          .add({}, epochSeconds(*c.last_rebalance));
    Family(out, "o365fwd_cluster_broker_up", "gauge",
           "1 while the cluster brokers answer, 0 when they could not be reached.")
        .add({}, static_cast<std::uint64_t>(c.broker_state == "down" ? 0 : 1));
    Family(out, "o365fwd_cluster_members", "gauge",
           "Members of the cluster group, as last described.")
        .add({}, c.members_total);
    Family role(out, "o365fwd_cluster_role", "gauge",
                "This instance's role in the group: 1 for the current one (joining, loading, "
                "active, standby, leaving).");
    for (const char* name : {"joining", "loading", "active", "standby", "leaving"})
      role.add({{"role", name}}, static_cast<std::uint64_t>(c.role == name ? 1 : 0));
    if (c.exactly_once) {  // exactly-once into Kafka (docs/CLUSTER.md)
      Family txn(out, "o365fwd_cluster_transactions_total", "counter",
                 "Kafka transactions of this instance's commits, by outcome (aborted ones are "
                 "produced again).");
      txn.add({{"outcome", "committed"}}, c.transactions_committed);
      txn.add({{"outcome", "aborted"}}, c.transactions_aborted);
      Family(out, "o365fwd_cluster_fenced_partitions", "gauge",
             "Partitions whose transactions another instance fenced; their tenants stopped here.")
          .add({}, static_cast<std::uint64_t>(c.fenced_partitions.size()));
      Family(out, "o365fwd_cluster_fenced_blobs_dropped_total", "counter",
             "Blob commits of fenced partitions not written (the new owner collects them).")
          .add({}, c.blobs_dropped_fenced);
    }
  }
  return redactSecrets(out);  // label values carry API and sink names
}

}  // namespace o365fwd
