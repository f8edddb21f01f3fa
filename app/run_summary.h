#pragma once
// The end-of-run summary of `run --once` / `replay` (stdout) and of a daemon stop (one log line):
// per stream what was forwarded, dropped as duplicate, dead-lettered or lost, per sink what it
// delivered, and the throughput; and the exit status of `run --once` / `replay` (README, "Exit
// codes").
#include <memory>
#include <string>
#include <vector>

#include "pipeline/collector.h"
#include "pipeline/status_board.h"
#include "sinks/sink.h"

namespace o365fwd {

inline constexpr int kExitRunOk = 0;
inline constexpr int kExitRunIncomplete = 1;  // a stream did not finish: run again to retry
// Every stream finished, but content was dead-lettered or lost in this run (the summary says what
// and where the dead letters are): nothing to retry, something for the operator to look at.
inline constexpr int kExitRunLoss = 3;

struct RunSummary {
  std::vector<StreamStatus> streams;
  std::vector<std::pair<std::string, SinkStats>> sinks;
  CollectionTotals totals;
  double seconds = 0;
  CollectorResult result;
  std::string dead_letter_dir;  // <state_dir>/dead-letter

  // Dead letters written or blobs lost by this run.
  bool lossInRun() const { return totals.dead_lettered_run > 0 || totals.blobs_lost_run > 0; }
  // kExitRunIncomplete before kExitRunLoss: a rerun is needed either way.
  int exitStatus() const;
  std::string render() const;
  std::string oneLine() const;
};

RunSummary summarize(const StatusBoard& status, const std::vector<std::unique_ptr<Sink>>& sinks, double seconds,
                     const CollectorResult& result);

}  // namespace o365fwd
