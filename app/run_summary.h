#pragma once
// The end-of-run summary of `run --once` / `replay` (stdout) and of a daemon stop (one log line):
// per stream what was forwarded, dropped as duplicate, dead-lettered or lost, per sink what it
// delivered, and the throughput.
#include <memory>
#include <string>
#include <vector>

#include "pipeline/collector.h"
#include "pipeline/status_board.h"
#include "sinks/sink.h"

namespace o365fwd {

struct RunSummary {
  std::vector<StreamStatus> streams;
  std::vector<std::pair<std::string, SinkStats>> sinks;
  CollectionTotals totals;
  double seconds = 0;
  CollectorResult result;

  std::string render() const;
  std::string oneLine() const;
};

RunSummary summarize(const StatusBoard& status, const std::vector<std::unique_ptr<Sink>>& sinks, double seconds,
                     const CollectorResult& result);

}  // namespace o365fwd
