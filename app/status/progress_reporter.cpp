#include "app/status/progress_reporter.h"

#include <algorithm>
#include <cstdio>

#include "app/status/status_table.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

struct Totals {
  std::size_t streams = 0, active = 0, failing = 0;
  std::uint64_t listed = 0, pending = 0, records = 0, bytes = 0, filtered = 0;
  std::optional<std::int64_t> max_lag;
};

Totals add(const StatusReport& r) {
  Totals t;
  for (const StreamReport& s : r.streams) {
    ++t.streams;
    if (s.state == "active") ++t.active;
    if (s.state == "error" || s.state == "disabled") ++t.failing;
    t.listed += s.blobs_listed;
    t.pending += s.blobs_pending;
    t.records += s.events_forwarded_run;
    t.filtered += s.records_filtered_run;
    t.bytes += s.bytes_forwarded_run;
    if (s.lag_seconds) t.max_lag = std::max(t.max_lag.value_or(0), *s.lag_seconds);
  }
  return t;
}

std::string rate(double per_second) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", per_second);
  return buf;
}

std::string mebibytes(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

std::string progressLine(const StatusReport& r, std::chrono::milliseconds elapsed) {
  Totals t = add(r);
  double seconds = std::max(0.001, std::chrono::duration<double>(elapsed).count());
  std::uint64_t settled = t.listed - std::min(t.listed, t.pending);
  std::string line =
      "streams " + std::to_string(t.active) + "/" + std::to_string(t.streams) + " active";
  if (t.failing) line += ", " + std::to_string(t.failing) + " failing";
  line += " | blobs " + groupedCount(settled) + "/" + groupedCount(t.listed) + " done";
  line += " | " + groupedCount(t.records) + " records (" +
          rate(static_cast<double>(t.records) / seconds) + "/s)";
  if (t.filtered > 0) line += ", " + groupedCount(t.filtered) + " filtered";
  if (t.max_lag) line += " | lag " + humanDuration(std::chrono::seconds(*t.max_lag));
  if (t.pending > 0 && settled > 0) {
    double eta = static_cast<double>(t.pending) * seconds / static_cast<double>(settled);
    line += " | ETA " + humanDuration(std::chrono::seconds(static_cast<long long>(eta + 0.5)));
  }
  return line;
}

std::string progressSummary(const StatusReport& r, std::chrono::milliseconds elapsed) {
  Totals t = add(r);
  double seconds = std::max(0.001, std::chrono::duration<double>(elapsed).count());
  std::uint64_t settled = t.listed - std::min(t.listed, t.pending);
  std::string s =
      "Progress. streams=" + std::to_string(t.streams) + " active=" + std::to_string(t.active) +
      " failing=" + std::to_string(t.failing) + " blobs_listed=" + std::to_string(t.listed) +
      " blobs_done=" + std::to_string(settled) + " blobs_pending=" + std::to_string(t.pending) +
      " records=" + std::to_string(t.records) +
      " records_per_s=" + rate(static_cast<double>(t.records) / seconds) +
      " forwarded=" + mebibytes(t.bytes) + " records_filtered=" + std::to_string(t.filtered);
  if (t.max_lag) s += " max_lag_s=" + std::to_string(*t.max_lag);
  return s;
}

std::vector<LagEvent> lagTransitions(const StatusReport& r, std::map<std::string, LagLevel>& seen) {
  std::vector<LagEvent> events;
  for (const StreamReport& s : r.streams) {
    if (!s.lag_seconds) continue;
    const std::string key = s.tenant + "/" + s.content_type;
    auto it = seen.find(key);
    LagLevel before = it == seen.end() ? LagLevel::kOk : it->second;
    seen[key] = s.lag_level;
    if (before == s.lag_level) continue;
    std::string where = " stream=" + key +
                        " lag=" + humanDuration(std::chrono::seconds(*s.lag_seconds)) +
                        " watermark=" + (s.watermark ? formatIsoMillis(*s.watermark) : "none");
    if (s.lag_level == LagLevel::kCritical)
      events.push_back(
          {LagEvent::Severity::kError,
           "Stream is critically behind: the API deletes content after 7 days, and what is not "
           "collected by then is lost. Check the stream's last error (o365fwd status), the sinks, "
           "and throttling." +
               where});
    else if (s.lag_level == LagLevel::kWarning)
      events.push_back(
          {LagEvent::Severity::kWarn,
           "Stream is falling behind (the API keeps content 7 days); it is collected, but slower "
           "than it arrives or after an outage." +
               where});
    else
      events.push_back({LagEvent::Severity::kInfo, "Stream has caught up." + where});
  }
  return events;
}

ProgressReporter::ProgressReporter(std::function<StatusReport()> snapshot, ProgressOptions options,
                                   ProgressOutput output, Clock& clock)
    : snapshot_(std::move(snapshot)),
      options_(options),
      output_(std::move(output)),
      clock_(clock) {}

void ProgressReporter::start() {
  started_ = clock_.steadyNow();
  next_summary_ = started_ + options_.log_interval;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void ProgressReporter::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
  if (options_.terminal && output_.line) {  // the final figures, kept on screen
    auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steadyNow() - started_);
    output_.line(progressLine(snapshot_(), elapsed) + "\x1b[K\n");
  }
}

void ProgressReporter::run(std::stop_token stop) {
  auto interval = options_.terminal ? options_.line_interval
                                    : std::min<std::chrono::milliseconds>(
                                          options_.line_interval * 5, std::chrono::seconds(5));
  while (clock_.sleepFor(interval, stop)) tick(clock_.steadyNow());
}

void ProgressReporter::tick(SteadyTime now) {
  StatusReport report = snapshot_();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - started_);
  if (output_.log)
    for (const LagEvent& e : lagTransitions(report, seen_)) output_.log(e.severity, e.message);
  if (options_.terminal) {
    // The cursor goes back to column 0, so a log line written meanwhile replaces the progress
    // line instead of being appended to it; the next tick draws below it.
    if (output_.line) output_.line(progressLine(report, elapsed) + "\x1b[K\r");
    return;
  }
  if (options_.log_interval.count() > 0 && now >= next_summary_) {
    next_summary_ = now + options_.log_interval;
    if (output_.log) output_.log(LagEvent::Severity::kInfo, progressSummary(report, elapsed));
  }
}

}  // namespace o365fwd
