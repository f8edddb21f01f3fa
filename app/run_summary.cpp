#include "app/run_summary.h"

#include <cstdio>
#include <sstream>

#include "core/secrets/redact.h"
#include "core/time_format.h"

namespace o365fwd {

RunSummary summarize(const StatusBoard& status, const std::vector<std::unique_ptr<Sink>>& sinks,
                     double seconds, const CollectorResult& result) {
  RunSummary s;
  s.streams = status.snapshot();
  for (const auto& sink : sinks) s.sinks.emplace_back(sink->name(), sink->stats());
  s.totals = status.totals();
  s.seconds = seconds;
  s.result = result;
  return s;
}

std::string RunSummary::oneLine() const {
  char buf[512];
  double rate = seconds > 0 ? static_cast<double>(totals.events_forwarded_run) / seconds : 0;
  std::snprintf(buf, sizeof buf,
                "records_forwarded=%llu duplicates_dropped=%llu dead_lettered=%llu blobs_lost=%llu "
                "blobs_failed=%llu seconds=%.1f records_per_second=%.0f dead_lettered_run=%llu "
                "blobs_lost_run=%llu records_without_id=%llu records_invalid_utf8=%llu "
                "records_filtered=%llu",
                static_cast<unsigned long long>(totals.events_forwarded_run),
                static_cast<unsigned long long>(totals.duplicates_dropped),
                static_cast<unsigned long long>(totals.dead_lettered),
                static_cast<unsigned long long>(totals.blobs_lost),
                static_cast<unsigned long long>(totals.blobs_failed), seconds, rate,
                static_cast<unsigned long long>(totals.dead_lettered_run),
                static_cast<unsigned long long>(totals.blobs_lost_run),
                static_cast<unsigned long long>(totals.records_without_id),
                static_cast<unsigned long long>(totals.records_invalid_utf8),
                static_cast<unsigned long long>(totals.records_filtered_run));
  return buf;
}

int RunSummary::exitStatus() const {
  if (!result.complete) return kExitRunIncomplete;
  return lossInRun() ? kExitRunLoss : kExitRunOk;
}

std::string RunSummary::render() const {
  std::ostringstream out;
  char line[512];
  out << "\nCollection summary\n";
  std::snprintf(line, sizeof line, "  %-12s %-28s %-9s %10s %10s %10s %8s %6s %6s  %s\n", "tenant",
                "content type", "state", "forwarded", "duplicates", "filtered", "dead", "lost",
                "failed", "watermark");
  out << line;
  for (const StreamStatus& s : streams) {
    std::snprintf(line, sizeof line,
                  "  %-12s %-28s %-9s %10llu %10llu %10llu %8llu %6llu %6llu  %s\n",
                  s.stream.tenant.c_str(), s.stream.content_type.c_str(), toString(s.state),
                  static_cast<unsigned long long>(s.events_forwarded_run),
                  static_cast<unsigned long long>(s.duplicates_dropped),
                  static_cast<unsigned long long>(s.records_filtered_run),
                  static_cast<unsigned long long>(s.dead_lettered),
                  static_cast<unsigned long long>(s.blobs_lost),
                  static_cast<unsigned long long>(s.blobs_failed),
                  s.watermark ? formatIsoMillis(*s.watermark).c_str() : "-");
    out << line;
    if (s.last_error)
      out << "      last error: " << s.last_error->code << " " << s.last_error->message << "\n";
  }
  out << "Sinks\n";
  for (const auto& [name, st] : sinks) {
    std::snprintf(line, sizeof line, "  %-16s %-8s delivered=%llu failed=%llu rejected=%llu\n",
                  name.c_str(), toString(st.state), static_cast<unsigned long long>(st.delivered),
                  static_cast<unsigned long long>(st.failed),
                  static_cast<unsigned long long>(st.rejected));
    out << line;
    if (st.last_error) out << "      last error: " << st.last_error->describe() << "\n";
  }
  double rate = seconds > 0 ? static_cast<double>(totals.events_forwarded_run) / seconds : 0;
  double mb = static_cast<double>(totals.bytes_forwarded) / (1024.0 * 1024.0);
  std::snprintf(line, sizeof line, "Forwarded %llu records (%.1f MiB) in %.1f s: %.0f records/s\n",
                static_cast<unsigned long long>(totals.events_forwarded_run), mb, seconds, rate);
  out << line;
  if (lossInRun()) {
    std::snprintf(
        line, sizeof line,
        "This run dead-lettered %llu record(s) or blob(s) and counted %llu blob(s) lost.\n",
        static_cast<unsigned long long>(totals.dead_lettered_run),
        static_cast<unsigned long long>(totals.blobs_lost_run));
    out << line;
    if (totals.dead_lettered_run > 0)
      out << "  Dead letters: " << dead_letter_dir
          << "/ (index.ndjson names each file, its blob and the reason)\n";
    if (totals.blobs_lost_run > 0)
      out << "  Lost blobs expired or were gone at the API before they could be fetched; the log "
             "names each (\"its records are lost\")\n";
  }
  if (result.complete && lossInRun()) {
    out << "Result: complete, but content was dead-lettered or lost in this run (exit status 3) — "
           "see above\n";
  } else if (result.complete) {
    out << "Result: complete — every listed blob was delivered\n";
  } else {
    out << "Result: INCOMPLETE — these streams did not finish; run again to retry:\n";
    for (const std::string& p : result.problems) out << "  " << p << "\n";
  }
  return redactSecrets(out.str());  // problems and last errors may quote an API answer
}

}  // namespace o365fwd
