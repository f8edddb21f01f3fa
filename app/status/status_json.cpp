#include "app/status/status_json.h"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "app/credentials/credential_expiry.h"
#include "app/status/cluster_json.h"
#include "app/status/fleet_health.h"
#include "app/status/json_members.h"
#include "app/status/service_health_json.h"
#include "core/secrets/redact.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

using json_members::count;
using json_members::lastError;
using json_members::optionalTime;

template <typename W>
void stream(W& w, const StreamReport& s) {
  w.StartObject();
  w.Key("tenant");
  w.String(s.tenant);
  w.Key("tenant_id");
  w.String(s.tenant_id);
  w.Key("content_type");
  w.String(s.content_type);
  w.Key("state");
  w.String(s.state);
  optionalTime(w, "last_poll", s.last_poll);
  optionalTime(w, "last_success", s.last_success);
  optionalTime(w, "watermark", s.watermark);
  w.Key("lag_seconds");
  if (s.lag_seconds)
    w.Int64(*s.lag_seconds);
  else
    w.Null();
  w.Key("lag_level");
  w.String(toString(s.lag_level));
  count(w, "blobs_listed", s.blobs_listed);
  count(w, "blobs_done", s.blobs_done);
  count(w, "blobs_pending", s.blobs_pending);
  count(w, "blobs_failed", s.blobs_failed);
  count(w, "blobs_lost", s.blobs_lost);
  count(w, "events_forwarded", s.events_forwarded);
  count(w, "events_forwarded_run", s.events_forwarded_run);
  count(w, "bytes_forwarded_run", s.bytes_forwarded_run);
  count(w, "duplicates_dropped", s.duplicates_dropped);
  count(w, "dead_lettered", s.dead_lettered);
  count(w, "consecutive_failures", s.consecutive_failures);
  lastError(w, s.last_error);
  count(w, "records_without_id", s.records_without_id);
  count(w, "records_invalid_utf8", s.records_invalid_utf8);
  count(w, "records_filtered", s.records_filtered);
  count(w, "records_filtered_run", s.records_filtered_run);
  count(w, "late_blobs", s.late_blobs);
  w.Key("max_lateness_seconds");
  w.Int64(s.max_lateness_seconds);
  w.Key("lateness");  // non-cumulative counts per bucket (bounds in seconds; the last is +Inf)
  w.StartObject();
  w.Key("bounds_seconds");
  w.StartArray();
  for (std::int64_t b : kLatenessBoundsSeconds) w.Int64(b);
  w.EndArray();
  w.Key("counts");
  w.StartArray();
  for (std::uint64_t c : s.lateness.counts) w.Uint64(c);
  w.EndArray();
  w.Key("sum_seconds");
  w.Double(s.lateness.sum_seconds);
  count(w, "count", s.lateness.count);
  w.EndObject();
  optionalTime(w, "last_sweep", s.last_sweep);
  count(w, "sweeps_completed", s.sweeps_completed);
  writeStreamServiceIssues(w, s);
  w.EndObject();
}

template <typename W>
void sink(W& w, const SinkReport& s) {
  w.StartObject();
  w.Key("name");
  w.String(s.name);
  w.Key("type");
  w.String(s.type);
  w.Key("state");
  w.String(s.state);
  count(w, "delivered", s.delivered);
  count(w, "failed", s.failed);
  count(w, "rejected", s.rejected);
  count(w, "queued", s.queued);
  count(w, "queued_bytes", s.queued_bytes);
  count(w, "truncated", s.truncated);
  count(w, "restarts", s.restarts);
  lastError(w, s.last_error);
  w.EndObject();
}

template <typename W>
void optionalInt(W& w, const char* key, const std::optional<std::int64_t>& v) {
  w.Key(key);
  if (v)
    w.Int64(*v);
  else
    w.Null();
}

// Fleet health and the time series (issue 11): the last members of the document.
template <typename W>
void fleet(W& w, const StatusReport& r) {
  const HealthSummary& h = r.health;
  w.Key("health");
  w.StartObject();
  w.Key("state");
  w.String(h.state);
  w.Key("headline");
  w.String(healthHeadline(h));
  count(w, "streams", h.streams);
  count(w, "streams_error", h.streams_error);
  count(w, "streams_lagging", h.streams_lagging);
  count(w, "streams_disabled", h.streams_disabled);
  count(w, "tenants", h.tenants);
  count(w, "tenants_healthy", h.tenants_healthy);
  count(w, "tenants_lagging", h.tenants_lagging);
  count(w, "tenants_error", h.tenants_error);
  count(w, "tenants_disabled", h.tenants_disabled);
  count(w, "sinks_down", h.sinks_down);
  count(w, "credentials_expiring", h.credentials_expiring);
  w.Key("records_per_minute");
  if (h.records_per_minute)
    w.Uint64(*h.records_per_minute);
  else
    w.Null();
  optionalInt(w, "oldest_lag_seconds", h.oldest_lag_seconds);
  w.Key("oldest_lag_stream");
  w.String(h.oldest_lag_stream);
  w.EndObject();
  w.Key("history");
  w.StartArray();
  for (const HistoryPoint& p : r.history) {
    w.StartObject();
    w.Key("at");
    w.String(formatIsoMillis(p.at));
    count(w, "records", p.records);
    count(w, "seconds", p.seconds);
    optionalInt(w, "oldest_lag_seconds", p.oldest_lag_seconds);
    count(w, "problem_streams", p.problem_streams);
    w.EndObject();
  }
  w.EndArray();
}

// Credential expiry (issue 13 part 3): one entry per credential, its tenants named once.
template <typename W>
void credentials(W& w, const StatusReport& r) {
  w.Key("credentials");
  w.StartArray();
  for (const CredentialReport& c : r.credentials) {
    w.StartObject();
    w.Key("name");
    w.String(c.name);
    w.Key("kind");
    w.String(c.kind);
    w.Key("source");
    w.String(c.source);
    optionalTime(w, "expires_at", c.expires_at);
    w.Key("expires_in_seconds");
    if (c.expires_at)
      w.Int64(
          std::chrono::duration_cast<std::chrono::seconds>(*c.expires_at - r.generated_at).count());
    else
      w.Null();
    w.Key("level");
    w.String(c.level);
    w.Key("problem");
    w.String(c.problem);
    w.Key("remedy");
    w.String(c.level == "ok" ? std::string() : expiryRemedy(c.kind));
    count(w, "tenant_count", c.tenants.size());
    w.Key("tenants");
    w.StartArray();
    for (const std::string& t : c.tenants) w.String(t);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
}

template <typename W>
void document(W& w, const StatusReport& r) {
  w.StartObject();
  w.Key("version");
  w.String(r.version);
  w.Key("source");
  w.String(r.source);
  optionalTime(w, "generated_at", r.generated_at);
  optionalTime(w, "started_at", r.started_at);
  w.Key("ready");
  w.Bool(r.ready);
  w.Key("shutting_down");
  w.Bool(r.shutting_down);
  w.Key("streams");
  w.StartArray();
  for (const StreamReport& s : r.streams) stream(w, s);
  w.EndArray();
  w.Key("sinks");
  w.StartArray();
  for (const SinkReport& s : r.sinks) sink(w, s);
  w.EndArray();
  w.Key("collector");
  w.StartObject();
  count(w, "queued_blobs", r.queued_blobs);
  count(w, "inflight_bytes", r.inflight_bytes);
  w.EndObject();
  fleet(w, r);
  w.Key("config_problems");
  w.StartArray();
  for (const std::string& p : r.config_problems) w.String(p);
  w.EndArray();
  writeServiceHealth(w, r);
  credentials(w, r);
  w.Key("request_rates");
  w.StartArray();
  for (const RequestRateReport& q : r.request_rates) {
    w.StartObject();
    w.Key("tenant");
    w.String(q.tenant);
    count(w, "per_minute", q.per_minute);
    count(w, "start", q.start);
    count(w, "ceiling", q.ceiling);
    count(w, "raises", q.raises);
    count(w, "cuts", q.cuts);
    w.EndObject();
  }
  w.EndArray();
  writeCluster(w, r);
  w.EndObject();
}

// Field readers that remember the first problem, so parsing reads straight through.
class Reader {
 public:
  std::string problem;

  std::string str(const rapidjson::Value& o, const char* key, const std::string& where) {
    auto it = o.FindMember(key);
    if (it == o.MemberEnd() || !it->value.IsString()) {
      fail(where + "." + key + " is missing or not a string");
      return {};
    }
    return it->value.GetString();
  }
  std::uint64_t u64(const rapidjson::Value& o, const char* key, const std::string& where) {
    auto it = o.FindMember(key);
    if (it == o.MemberEnd()) return 0;  // added later than the reader's writer: treat as 0
    if (!it->value.IsUint64()) {
      fail(where + "." + key + " is not a non-negative integer");
      return 0;
    }
    return it->value.GetUint64();
  }
  std::optional<WallTime> when(const rapidjson::Value& o, const char* key,
                               const std::string& where) {
    auto it = o.FindMember(key);
    if (it == o.MemberEnd() || it->value.IsNull()) return std::nullopt;
    if (!it->value.IsString()) {
      fail(where + "." + key + " is not a timestamp");
      return std::nullopt;
    }
    auto t = parseUtc(it->value.GetString());
    if (!t) fail(where + "." + key + " is not an ISO 8601 UTC timestamp");
    return t;
  }
  std::optional<ErrorInfo> lastError(const rapidjson::Value& o, const std::string& where) {
    auto it = o.FindMember("last_error");
    if (it == o.MemberEnd() || it->value.IsNull()) return std::nullopt;
    if (!it->value.IsObject()) {
      fail(where + ".last_error is not an object");
      return std::nullopt;
    }
    ErrorInfo e;
    e.at = when(it->value, "at", where + ".last_error").value_or(WallTime{});
    e.code = str(it->value, "code", where + ".last_error");
    e.message = str(it->value, "message", where + ".last_error");
    return e;
  }

 private:
  void fail(std::string what) {
    if (problem.empty()) problem = std::move(what);
  }
};

std::optional<std::int64_t> optionalInt(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

// Credential expiry: absent in documents of older versions.
void readCredentials(const rapidjson::Document& doc, Reader& r, StatusReport& report) {
  auto c = doc.FindMember("credentials");
  if (c == doc.MemberEnd()) return;
  if (!c->value.IsArray()) {
    if (r.problem.empty()) r.problem = "credentials is not an array";
    return;
  }
  for (const auto& v : c->value.GetArray()) {
    if (!v.IsObject()) continue;
    const std::string at = "credentials[" + std::to_string(report.credentials.size()) + "]";
    CredentialReport k;
    k.name = r.str(v, "name", at);
    k.kind = r.str(v, "kind", at);
    k.source = r.str(v, "source", at);
    k.expires_at = r.when(v, "expires_at", at);
    k.level = r.str(v, "level", at);
    k.problem = r.str(v, "problem", at);
    if (auto t = v.FindMember("tenants"); t != v.MemberEnd() && t->value.IsArray())
      for (const auto& name : t->value.GetArray())
        if (name.IsString()) k.tenants.emplace_back(name.GetString());
    report.credentials.push_back(std::move(k));
  }
}

// The health block as written, or (documents of older versions) as judged from the streams.
void readFleet(const rapidjson::Document& doc, Reader& r, StatusReport& report) {
  report.health = summarizeHealth(report);
  if (auto h = doc.FindMember("health"); h != doc.MemberEnd() && h->value.IsObject()) {
    const rapidjson::Value& v = h->value;
    HealthSummary& s = report.health;
    s.state = r.str(v, "state", "health");
    s.streams = r.u64(v, "streams", "health");
    s.streams_error = r.u64(v, "streams_error", "health");
    s.streams_lagging = r.u64(v, "streams_lagging", "health");
    s.streams_disabled = r.u64(v, "streams_disabled", "health");
    s.tenants = r.u64(v, "tenants", "health");
    s.tenants_healthy = r.u64(v, "tenants_healthy", "health");
    s.tenants_lagging = r.u64(v, "tenants_lagging", "health");
    s.tenants_error = r.u64(v, "tenants_error", "health");
    s.tenants_disabled = r.u64(v, "tenants_disabled", "health");
    s.sinks_down = r.u64(v, "sinks_down", "health");
    s.credentials_expiring = r.u64(v, "credentials_expiring", "health");
    if (auto m = v.FindMember("records_per_minute"); m != v.MemberEnd() && m->value.IsUint64())
      s.records_per_minute = m->value.GetUint64();
    s.oldest_lag_seconds = optionalInt(v, "oldest_lag_seconds");
    if (auto m = v.FindMember("oldest_lag_stream"); m != v.MemberEnd() && m->value.IsString())
      s.oldest_lag_stream = m->value.GetString();
  }
  if (auto h = doc.FindMember("history"); h != doc.MemberEnd() && h->value.IsArray()) {
    for (const auto& v : h->value.GetArray()) {
      if (!v.IsObject()) continue;
      HistoryPoint p;
      p.at = r.when(v, "at", "history").value_or(WallTime{});
      p.records = r.u64(v, "records", "history");
      p.seconds = static_cast<std::uint32_t>(r.u64(v, "seconds", "history"));
      p.oldest_lag_seconds = optionalInt(v, "oldest_lag_seconds");
      p.problem_streams = static_cast<std::uint32_t>(r.u64(v, "problem_streams", "history"));
      report.history.push_back(p);
    }
  }
}

LagLevel lagLevelOf(const std::string& text) {
  if (text == "warning") return LagLevel::kWarning;
  if (text == "critical") return LagLevel::kCritical;
  return LagLevel::kOk;
}

}  // namespace

const char* toString(LagLevel level) {
  switch (level) {
    case LagLevel::kOk: return "ok";
    case LagLevel::kWarning: return "warning";
    case LagLevel::kCritical: return "critical";
  }
  return "ok";
}

std::string statusToJson(const StatusReport& report, bool pretty) {
  rapidjson::StringBuffer buffer;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
    w.SetIndent(' ', 2);
    document(w, report);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    document(w, report);
  }
  std::string out(buffer.GetString(), buffer.GetSize());
  out += '\n';
  return redactSecrets(out);  // the last line of defence for every string field
}

Result<StatusReport> statusFromJson(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject())
    return Error::permanent(ErrorKind::kCorrupt, "the status document is not a JSON object");
  Reader r;
  StatusReport report;
  report.version = r.str(doc, "version", "status");
  report.source = r.str(doc, "source", "status");
  report.generated_at = r.when(doc, "generated_at", "status").value_or(WallTime{});
  report.started_at = r.when(doc, "started_at", "status");
  auto flag = [&](const char* key) {
    auto it = doc.FindMember(key);
    return it != doc.MemberEnd() && it->value.IsBool() && it->value.GetBool();
  };
  report.ready = flag("ready");
  report.shutting_down = flag("shutting_down");
  auto streams = doc.FindMember("streams");
  auto sinks = doc.FindMember("sinks");
  if (streams == doc.MemberEnd() || !streams->value.IsArray() || sinks == doc.MemberEnd() ||
      !sinks->value.IsArray())
    return Error::permanent(ErrorKind::kCorrupt,
                            "the status document has no streams or sinks array");
  for (const auto& v : streams->value.GetArray()) {
    if (!v.IsObject())
      return Error::permanent(ErrorKind::kCorrupt, "status.streams holds a non-object");
    StreamReport s;
    const std::string at = "streams[" + std::to_string(report.streams.size()) + "]";
    s.tenant = r.str(v, "tenant", at);
    s.tenant_id = r.str(v, "tenant_id", at);
    s.content_type = r.str(v, "content_type", at);
    s.state = r.str(v, "state", at);
    s.last_poll = r.when(v, "last_poll", at);
    s.last_success = r.when(v, "last_success", at);
    s.watermark = r.when(v, "watermark", at);
    if (auto lag = v.FindMember("lag_seconds"); lag != v.MemberEnd() && lag->value.IsInt64())
      s.lag_seconds = lag->value.GetInt64();
    if (auto lvl = v.FindMember("lag_level"); lvl != v.MemberEnd() && lvl->value.IsString())
      s.lag_level = lagLevelOf(lvl->value.GetString());
    s.blobs_listed = r.u64(v, "blobs_listed", at);
    s.blobs_done = r.u64(v, "blobs_done", at);
    s.blobs_pending = r.u64(v, "blobs_pending", at);
    s.blobs_failed = r.u64(v, "blobs_failed", at);
    s.blobs_lost = r.u64(v, "blobs_lost", at);
    s.events_forwarded = r.u64(v, "events_forwarded", at);
    s.events_forwarded_run = r.u64(v, "events_forwarded_run", at);
    s.bytes_forwarded_run = r.u64(v, "bytes_forwarded_run", at);
    s.duplicates_dropped = r.u64(v, "duplicates_dropped", at);
    s.dead_lettered = r.u64(v, "dead_lettered", at);
    s.consecutive_failures = r.u64(v, "consecutive_failures", at);
    s.last_error = r.lastError(v, at);
    s.records_without_id = r.u64(v, "records_without_id", at);
    s.records_invalid_utf8 = r.u64(v, "records_invalid_utf8", at);
    // Record filters: absent in documents of older versions.
    if (v.HasMember("records_filtered")) s.records_filtered = r.u64(v, "records_filtered", at);
    if (v.HasMember("records_filtered_run"))
      s.records_filtered_run = r.u64(v, "records_filtered_run", at);
    // Late content and the deep sweep: absent in documents of older versions.
    if (v.HasMember("late_blobs")) s.late_blobs = r.u64(v, "late_blobs", at);
    if (auto m = v.FindMember("max_lateness_seconds"); m != v.MemberEnd() && m->value.IsInt64())
      s.max_lateness_seconds = m->value.GetInt64();
    if (auto h = v.FindMember("lateness"); h != v.MemberEnd() && h->value.IsObject()) {
      auto c = h->value.FindMember("counts");
      if (c != h->value.MemberEnd() && c->value.IsArray() &&
          c->value.Size() == s.lateness.counts.size()) {
        for (rapidjson::SizeType i = 0; i < c->value.Size(); ++i)
          s.lateness.counts[i] = c->value[i].IsUint64() ? c->value[i].GetUint64() : 0;
      } else {
        r.problem = at + ".lateness.counts is not an array of " +
                    std::to_string(s.lateness.counts.size()) + " counts";
      }
      if (auto sum = h->value.FindMember("sum_seconds");
          sum != h->value.MemberEnd() && sum->value.IsNumber())
        s.lateness.sum_seconds = sum->value.GetDouble();
      s.lateness.count = r.u64(h->value, "count", at + ".lateness");
    }
    s.last_sweep = r.when(v, "last_sweep", at);
    if (v.HasMember("sweeps_completed")) s.sweeps_completed = r.u64(v, "sweeps_completed", at);
    report.streams.push_back(std::move(s));
  }
  for (const auto& v : sinks->value.GetArray()) {
    if (!v.IsObject())
      return Error::permanent(ErrorKind::kCorrupt, "status.sinks holds a non-object");
    SinkReport s;
    const std::string at = "sinks[" + std::to_string(report.sinks.size()) + "]";
    s.name = r.str(v, "name", at);
    s.type = r.str(v, "type", at);
    s.state = r.str(v, "state", at);
    s.delivered = r.u64(v, "delivered", at);
    s.failed = r.u64(v, "failed", at);
    s.rejected = r.u64(v, "rejected", at);
    s.queued = r.u64(v, "queued", at);
    s.queued_bytes = r.u64(v, "queued_bytes", at);
    s.truncated = r.u64(v, "truncated", at);
    s.restarts = r.u64(v, "restarts", at);
    s.last_error = r.lastError(v, at);
    report.sinks.push_back(std::move(s));
  }
  if (auto c = doc.FindMember("collector"); c != doc.MemberEnd() && c->value.IsObject()) {
    report.queued_blobs = r.u64(c->value, "queued_blobs", "collector");
    report.inflight_bytes = r.u64(c->value, "inflight_bytes", "collector");
  }
  readFleet(doc, r, report);
  // Fleet configuration: absent in documents of older versions.
  if (auto c = doc.FindMember("config_problems"); c != doc.MemberEnd()) {
    if (!c->value.IsArray())
      r.problem = "config_problems is not an array";
    else
      for (const auto& v : c->value.GetArray())
        if (v.IsString()) report.config_problems.emplace_back(v.GetString());
  }
  if (std::string p = readServiceHealth(doc, report); !p.empty() && r.problem.empty())
    r.problem = p;
  readCredentials(doc, r, report);
  if (auto q = doc.FindMember("request_rates"); q != doc.MemberEnd() && q->value.IsArray())
    for (const auto& v : q->value.GetArray()) {
      if (!v.IsObject()) continue;
      const std::string at = "request_rates[" + std::to_string(report.request_rates.size()) + "]";
      RequestRateReport k;
      k.tenant = r.str(v, "tenant", at);
      k.per_minute = r.u64(v, "per_minute", at);
      k.start = r.u64(v, "start", at);
      k.ceiling = r.u64(v, "ceiling", at);
      k.raises = r.u64(v, "raises", at);
      k.cuts = r.u64(v, "cuts", at);
      report.request_rates.push_back(std::move(k));
    }
  if (std::string p = readCluster(doc, report); !p.empty() && r.problem.empty()) r.problem = p;
  if (!r.problem.empty())
    return Error::permanent(ErrorKind::kCorrupt, "the status document is malformed: " + r.problem);
  return report;
}

}  // namespace o365fwd
