#include "app/status/status_table.h"

#include <algorithm>
#include <vector>

#include "app/credentials/credential_views.h"
#include "app/status/cluster_views.h"
#include "app/status/fleet_health.h"
#include "app/status/service_health_status.h"
#include "core/secrets/redact.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

using Row = std::vector<std::string>;

std::string table(const std::vector<Row>& rows) {
  std::vector<std::size_t> width;
  for (const Row& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (const Row& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += "  " + line + "\n";
  }
  return out;
}

std::string ago(const std::optional<WallTime>& t, WallTime now) {
  if (!t) return "never";
  auto d = std::chrono::duration_cast<std::chrono::seconds>(now - *t);
  if (d.count() < 0) d = std::chrono::seconds(0);
  return formatIsoMillis(*t).substr(0, 19) + "Z (" + humanDuration(d) + " ago)";
}

std::string errorText(const std::optional<ErrorInfo>& e) {
  if (!e) return "-";
  std::string text = e->code.empty() ? e->message : e->code + ": " + e->message;
  if (text.size() > 100) text = text.substr(0, 97) + "...";
  return text;
}

}  // namespace

std::string humanDuration(std::chrono::seconds d) {
  long long s = d.count();
  if (s < 0) s = 0;
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min";
  if (s < 86400) {
    long long h = s / 3600, m = (s % 3600) / 60;
    return std::to_string(h) + " h" + (m ? " " + std::to_string(m) + " min" : "");
  }
  long long days = s / 86400, h = (s % 86400) / 3600;
  return std::to_string(days) + " d" + (h ? " " + std::to_string(h) + " h" : "");
}

std::string groupedCount(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string capitalized(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string displayState(const StreamReport& s) {
  if (s.state == "active" && s.lag_level == LagLevel::kWarning) return "Lagging";
  return capitalized(s.state);
}

// Late content and the deep sweep (live only: this process's figures); nothing before either.
static std::string lateContentTable(const StatusReport& r,
                                    const std::vector<const StreamReport*>& shown) {
  bool any = false;
  for (const StreamReport* s : shown) any = any || s->late_blobs > 0 || s->last_sweep;
  if (r.source != "live" || !any) return "";
  std::vector<Row> rows{{"TENANT", "CONTENT TYPE", "LATE BLOBS", "MAX LATENESS", "LAST SWEEP"}};
  for (const StreamReport* stream : shown) {
    const StreamReport& s = *stream;
    rows.push_back({s.tenant, s.content_type, groupedCount(s.late_blobs),
                    s.max_lateness_seconds > 0
                        ? humanDuration(std::chrono::seconds(s.max_lateness_seconds))
                        : "-",
                    s.last_sweep ? ago(s.last_sweep, r.generated_at) : "never"});
  }
  return "\nLate content (this run; docs/STATUS.md):\n" + table(rows);
}

// The headline and one line of counts (issue 11): what an operator of many tenants reads first.
static std::string healthLines(const StatusReport& r) {
  const HealthSummary& h = r.health;
  std::string out = (r.source == "live" ? "Health: " : "Health as of the last commit: ") +
                    healthHeadline(h) + "\n";
  out += "Tenants: " + groupedCount(h.tenants_healthy) + " healthy, " +
         groupedCount(h.tenants_lagging) + " lagging, " + groupedCount(h.tenants_error) +
         " in error, " + groupedCount(h.tenants_disabled) + " disabled (of " +
         groupedCount(h.tenants) + ")";
  if (h.records_per_minute) out += "; " + groupedCount(*h.records_per_minute) + " records/min";
  if (h.oldest_lag_seconds)
    out += "; oldest lag " + humanDuration(std::chrono::seconds(*h.oldest_lag_seconds)) + " (" +
           h.oldest_lag_stream + ")";
  return out + "\n";
}

std::string renderStatusTable(const StatusReport& r, const StatusTableOptions& options) {
  std::string out = healthLines(r);
  if (r.source == "live") {
    out += "o365fwd " + r.version + " is running";
    if (r.started_at) out += " since " + formatIsoMillis(*r.started_at).substr(0, 19) + "Z";
    out += r.shutting_down ? "; shutting down" : r.ready ? "; ready" : "; not ready";
    out += "\n";
  } else {
    out += "o365fwd is not running; figures from the state database (as of the last commit)\n";
  }
  if (!r.config_problems.empty()) {
    out += "\nConfiguration problems (not applied; fix the files and reload):\n";
    for (const std::string& p : r.config_problems) out += "  " + p + "\n";
  }
  out += clusterText(r);
  out += credentialText(r, options.tenant);
  if (!options.tenant.empty())
    for (const RequestRateReport& q : r.request_rates)
      if (q.tenant == options.tenant)
        out += "\nRequest rate: " + groupedCount(q.per_minute) + "/min learned (started at " +
               groupedCount(q.start) + ", ceiling " + groupedCount(q.ceiling) + "; " +
               groupedCount(q.cuts) + " cut(s) after throttled answers)\n";
  // Which streams: one tenant, the problems, or every stream (problems first, natural order).
  const bool short_list =
      options.problems || (!options.all && options.tenant.empty() &&
                           r.streams.size() > StatusTableOptions::kShortListStreams);
  std::vector<const StreamReport*> shown;
  for (const TenantGroup& g : tenantsProblemsFirst(r, {"", short_list ? "problems" : ""})) {
    if (!options.tenant.empty() && g.tenant != options.tenant) continue;
    std::vector<const StreamReport*> streams;
    for (const StreamReport* s : g.streams)
      if (!short_list || streamHealth(*s) != StreamHealth::kHealthy) streams.push_back(s);
    std::stable_sort(streams.begin(), streams.end(),
                     [](const StreamReport* a, const StreamReport* b) {
                       return streamHealth(*a) > streamHealth(*b);
                     });
    shown.insert(shown.end(), streams.begin(), streams.end());
  }
  if (!options.tenant.empty() && shown.empty())
    out += "\nNo tenant named " + options.tenant + " in this instance.\n";
  else if (short_list && shown.empty())
    out += "\nNo stream is in error, lagging or disabled.\n";
  else
    out += short_list ? "\nProblems: " + groupedCount(shown.size()) +
                            " stream(s) in error, lagging or disabled\n"
                      : std::string("\nStreams:\n");
  // FILTERED only when the record filters dropped something, so the table stays narrow.
  const bool any_filtered = std::any_of(
      shown.begin(), shown.end(), [](const StreamReport* s) { return s->records_filtered > 0; });
  std::vector<Row> rows{{"TENANT", "CONTENT TYPE", "STATE", "LAST COLLECTED", "LAG", "RECORDS",
                         "PENDING", "DUPLICATES", "LOST", "LAST ERROR"}};
  if (any_filtered) rows[0].insert(rows[0].begin() + 8, "FILTERED");
  for (const StreamReport* stream : shown) {
    const StreamReport& s = *stream;
    std::string lag = s.lag_seconds ? humanDuration(std::chrono::seconds(*s.lag_seconds)) : "-";
    if (s.lag_level == LagLevel::kWarning) lag += " (warning)";
    if (s.lag_level == LagLevel::kCritical) lag += " (critical)";
    rows.push_back(
        {s.tenant, s.content_type, displayState(s), ago(s.last_success, r.generated_at), lag,
         groupedCount(s.events_forwarded), r.source == "live" ? groupedCount(s.blobs_pending) : "-",
         groupedCount(s.duplicates_dropped), groupedCount(s.blobs_lost), errorText(s.last_error)});
    if (any_filtered) rows.back().insert(rows.back().begin() + 8, groupedCount(s.records_filtered));
  }
  if (!shown.empty()) out += table(rows);
  // Records the API should not send (forwarded as they came, counted by this process): a note
  // under the table only when there are some, so the table stays narrow.
  for (const StreamReport* s : shown)
    if (s->records_without_id > 0 || s->records_invalid_utf8 > 0)
      out += s->tenant + "/" + s->content_type + ": forwarded " +
             groupedCount(s->records_without_id) + " record(s) without Id and " +
             groupedCount(s->records_invalid_utf8) +
             " with invalid UTF-8 (as they came; docs/STATE.md)\n";
  out += lateContentTable(r, shown);
  out += serviceHealthLines(r, shown, options.tenant);
  if (r.source == "live") {
    out += "\nSinks:\n";
    std::vector<Row> sinks{
        {"SINK", "TYPE", "STATE", "DELIVERED", "FAILED", "QUEUED", "LAST ERROR"}};
    for (const SinkReport& s : r.sinks)
      sinks.push_back({s.name, s.type, capitalized(s.state), groupedCount(s.delivered),
                       groupedCount(s.failed), groupedCount(s.queued), errorText(s.last_error)});
    out += table(sinks);
  }
  bool lagging = false;
  for (const StreamReport* s : shown) lagging = lagging || s->lag_level != LagLevel::kOk;
  if (short_list && r.streams.size() > shown.size())
    out += "\n" + groupedCount(r.streams.size() - shown.size()) +
           " healthy streams not shown: `o365fwd status --all` lists every stream, "
           "`--tenant NAME` one tenant's.\n";
  if (lagging)
    out +=
        "\nA stream is behind: the API keeps content for 7 days; what is not collected by then is "
        "lost.\n"
        "Check its LAST ERROR, the forwarder's log, and that it runs (systemctl status o365fwd).\n";
  return redactSecrets(out);
}

}  // namespace o365fwd
