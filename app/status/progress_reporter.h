#pragma once
// Tells the operator how collection goes while it runs, from periodic StatusReports:
// - on a terminal (`run --once`, `replay`): one live line on stderr, rewritten every second —
//   streams, blobs listed and settled, records and records/s, the largest lag, an ETA;
// - otherwise (a service, or output redirected): a summary log line every `log_interval`;
// - always: a WARN when a stream's lag crosses the warning threshold, an ERROR when it crosses
//   the critical one (content older than 7 days is deleted by the API), an INFO when it recovers.
// Owns one thread (start() .. stop(), stop is idempotent and joins); every wait honours the stop
// token. The formatting and lag-transition logic are pure functions, unit-tested on their own.
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "app/status/status_report.h"
#include "core/clock.h"

namespace o365fwd {

// The live line (no trailing newline). `elapsed` is the run's duration so far.
std::string progressLine(const StatusReport& report, std::chrono::milliseconds elapsed);
// The periodic summary (a log message, no newline).
std::string progressSummary(const StatusReport& report, std::chrono::milliseconds elapsed);

struct LagEvent {
  enum class Severity { kInfo, kWarn, kError } severity;
  std::string message;
};
// Compares each stream's lag level with the one seen last (kept in `seen`, updated) and returns
// one event per change. A stream seen for the first time at kOk yields nothing.
std::vector<LagEvent> lagTransitions(const StatusReport& report,
                                     std::map<std::string, LagLevel>& seen);

struct ProgressOptions {
  bool terminal = false;  // draw the live line (stderr is a terminal and the run ends by itself)
  std::chrono::milliseconds line_interval{std::chrono::seconds(1)};
  std::chrono::milliseconds log_interval{std::chrono::seconds(30)};  // 0: no periodic summary
};

struct ProgressOutput {
  std::function<void(const std::string&)>
      line;  // terminal: "<line>\x1b[K\r", last "<line>\x1b[K\n"
  std::function<void(LagEvent::Severity, const std::string&)> log;  // summary and lag events
};

class ProgressReporter {
 public:
  ProgressReporter(std::function<StatusReport()> snapshot, ProgressOptions options,
                   ProgressOutput output, Clock& clock);
  ~ProgressReporter() { stop(); }
  void start();
  // Ends the thread; on a terminal the last line is completed with a newline.
  void stop();

 private:
  void run(std::stop_token stop);
  void tick(SteadyTime now);

  std::function<StatusReport()> snapshot_;
  ProgressOptions options_;
  ProgressOutput output_;
  Clock& clock_;
  SteadyTime started_{};
  SteadyTime next_summary_{};
  std::map<std::string, LagLevel> seen_;
  std::jthread thread_;
};

}  // namespace o365fwd
