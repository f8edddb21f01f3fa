#include "app/status/metrics_text.h"

#include <cstdio>
#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "core/redact.h"

namespace o365fwd {
namespace {

using Labels = std::vector<std::pair<const char*, std::string>>;

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

Labels streamLabels(const StreamReport& s) {
  return {{"tenant", s.tenant}, {"content_type", s.content_type}};
}

void streamCounter(std::string& out, const StatusReport& r, const char* name, const char* help,
                   std::uint64_t StreamReport::*field) {
  Family f(out, name, "counter", help);
  for (const StreamReport& s : r.streams) f.add(streamLabels(s), s.*field);
}

void sinkFamily(std::string& out, const StatusReport& r, const char* name, const char* type,
                const char* help, std::uint64_t SinkReport::*field,
                const char* only_type = nullptr) {
  Family f(out, name, type, help);
  for (const SinkReport& s : r.sinks)
    if (!only_type || s.type == only_type) f.add({{"sink", s.name}}, s.*field);
}

void tenantCounter(std::string& out, const StatusReport& r, const char* name, const char* help,
                   std::uint64_t ApiStatsSnapshot::*field) {
  Family f(out, name, "counter", help);
  for (const TenantApiReport& t : r.api) f.add({{"tenant", t.tenant}}, t.api.*field);
}

void streamMetrics(std::string& out, const StatusReport& r) {
  {
    Family f(out, "o365fwd_stream_state", "gauge",
             "1 for the stream's current state (active, starting, error, disabled).");
    for (const StreamReport& s : r.streams)
      for (const char* state : {"active", "starting", "error", "disabled"}) {
        Labels l = streamLabels(s);
        l.emplace_back("state", state);
        f.add(l, std::uint64_t{s.state == state ? 1u : 0u});
      }
  }
  {
    Family f(out, "o365fwd_last_poll_timestamp_seconds", "gauge",
             "When the stream last started a poll cycle.");
    for (const StreamReport& s : r.streams)
      if (s.last_poll) f.add(streamLabels(s), epochSeconds(*s.last_poll));
  }
  {
    Family f(out, "o365fwd_last_success_timestamp_seconds", "gauge",
             "When a poll cycle of the stream last listed everything and resolved every blob.");
    for (const StreamReport& s : r.streams)
      if (s.last_success) f.add(streamLabels(s), epochSeconds(*s.last_success));
  }
  {
    Family f(out, "o365fwd_checkpoint_lag_seconds", "gauge",
             "How far the stream's watermark is behind now; the API keeps content 7 days.");
    for (const StreamReport& s : r.streams)
      if (s.lag_seconds) f.add(streamLabels(s), static_cast<double>(*s.lag_seconds));
  }
  {
    Family f(out, "o365fwd_content_blobs_pending", "gauge", "Content blobs queued or in flight.");
    for (const StreamReport& s : r.streams) f.add(streamLabels(s), s.blobs_pending);
  }
  streamCounter(out, r, "o365fwd_content_blobs_listed_total",
                "Content blobs listed by this process.", &StreamReport::blobs_listed);
  streamCounter(out, r, "o365fwd_content_blobs_done_total",
                "Content blobs forwarded and committed (persisted total).",
                &StreamReport::blobs_done);
  streamCounter(out, r, "o365fwd_content_blobs_failed_total",
                "Content blob attempts that failed and will be retried (this process).",
                &StreamReport::blobs_failed);
  streamCounter(
      out, r, "o365fwd_content_blobs_lost_total",
      "Content blobs that expired at the API before they could be fetched (persisted total).",
      &StreamReport::blobs_lost);
  streamCounter(out, r, "o365fwd_records_forwarded_total",
                "Audit records every sink acknowledged (persisted total).",
                &StreamReport::events_forwarded);
  streamCounter(out, r, "o365fwd_forwarded_bytes_total",
                "Bytes of audit records forwarded by this process.",
                &StreamReport::bytes_forwarded_run);
  streamCounter(out, r, "o365fwd_duplicates_dropped_total",
                "Audit records dropped because they were already forwarded (persisted total).",
                &StreamReport::duplicates_dropped);
  streamCounter(out, r, "o365fwd_dead_letters_total",
                "Audit records or blobs written to the dead-letter files (persisted total).",
                &StreamReport::dead_lettered);
  streamCounter(out, r, "o365fwd_records_without_id_total",
                "Audit records forwarded without an Id (missing, empty or not a string; never "
                "de-duplicated) by this process.",
                &StreamReport::records_without_id);
  streamCounter(out, r, "o365fwd_records_invalid_utf8_total",
                "Audit records forwarded with bytes that are not well-formed UTF-8 (as they "
                "came) by this process.",
                &StreamReport::records_invalid_utf8);
}

void apiMetrics(std::string& out, const StatusReport& r) {
  {
    Family f(out, "o365fwd_api_requests_total", "counter",
             "HTTP requests to the Management Activity API by endpoint and result.");
    for (const TenantApiReport& t : r.api)
      for (const auto& q : t.api.requests)
        f.add({{"tenant", t.tenant},
               {"endpoint", endpointLabel(q.call)},
               {"result", toString(q.outcome)}},
              q.count);
  }
  {
    Family f(out, "o365fwd_api_errors_total", "counter",
             "Error answers of the Management Activity API by code.");
    for (const TenantApiReport& t : r.api)
      for (const auto& e : t.api.errors)
        f.add({{"tenant", t.tenant}, {"endpoint", endpointLabel(e.call)}, {"code", e.code}},
              e.count);
  }
  tenantCounter(out, r, "o365fwd_api_throttled_total", "Throttled answers (AF429, HTTP 429).",
                &ApiStatsSnapshot::throttled);
  tenantCounter(out, r, "o365fwd_api_retries_total", "Request attempts beyond the first.",
                &ApiStatsSnapshot::retries);
  tenantCounter(out, r, "o365fwd_api_transport_errors_total",
                "DNS, connect, TLS, timeout and reset failures.",
                &ApiStatsSnapshot::transport_errors);
  tenantCounter(out, r, "o365fwd_api_received_bytes_total",
                "Decoded response bytes from the Management API.",
                &ApiStatsSnapshot::bytes_received);
  tenantCounter(out, r, "o365fwd_token_refreshes_total", "Access tokens acquired.",
                &ApiStatsSnapshot::token_refreshes);
  tenantCounter(out, r, "o365fwd_token_failures_total", "Failed token endpoint exchanges.",
                &ApiStatsSnapshot::token_failures);
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

// Late content: a counter per stream, the lateness histogram per content type (summed over the
// tenants: 12 series per content type however many tenants), the last sweep per stream.
void lateMetrics(std::string& out, const StatusReport& r) {
  streamCounter(out, r, "o365fwd_late_blobs_total",
                "Blobs first listed more than `overlap` after their contentCreated, in a range "
                "listed before (this process).",
                &StreamReport::late_blobs);
  {
    const char* name = "o365fwd_blob_lateness_seconds";
    out += "# HELP o365fwd_blob_lateness_seconds Time from a blob's contentCreated to its first "
           "listing, per newly listed blob (this process).\n# TYPE o365fwd_blob_lateness_seconds "
           "histogram\n";
    std::map<std::string, LatenessHistogram> by_type;
    for (const StreamReport& s : r.streams) by_type[s.content_type].add(s.lateness);
    for (const auto& [type, h] : by_type) {
      const std::string label = "content_type=\"" + escapeLabel(type) + "\"";
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
  {
    Family f(out, "o365fwd_last_sweep_timestamp_seconds", "gauge",
             "When the stream's last complete deep sweep started.");
    for (const StreamReport& s : r.streams)
      if (s.last_sweep) f.add(streamLabels(s), epochSeconds(*s.last_sweep));
  }
}

}  // namespace

std::string renderMetrics(const StatusReport& r) {
  std::string out;
  out.reserve(8192);
  Family(out, "o365fwd_build_info", "gauge", "Build metadata; always 1.")
      .add({{"version", r.version}}, std::uint64_t{1});
  if (r.started_at)
    Family(out, "o365fwd_start_time_seconds", "gauge", "When the process started, in Unix seconds.")
        .add({}, epochSeconds(*r.started_at));
  Family(out, "o365fwd_ready", "gauge",
         "1 once every stream polled successfully and every sink is up.")
      .add({}, std::uint64_t{r.ready});
  streamMetrics(out, r);
  apiMetrics(out, r);
  sinkMetrics(out, r);
  Family(out, "o365fwd_collector_queued_blobs", "gauge",
         "Blobs listed and waiting for a download worker.")
      .add({}, r.queued_blobs);
  Family(out, "o365fwd_collector_inflight_bytes", "gauge",
         "Bytes of downloaded blobs not yet committed.")
      .add({}, r.inflight_bytes);
  lateMetrics(out, r);
  return redactSecrets(out);  // label values carry API and sink names
}

}  // namespace o365fwd
