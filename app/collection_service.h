#pragma once
// Everything `run` and `replay` start, in the order they must start and stop: configuration ->
// logging -> state store (lock) -> sinks -> connector runtime -> collector; signals turn into a
// drain (SIGTERM/SIGINT), a credential and log-level reload (SIGHUP) or an immediate poll
// (SIGUSR1). Runs on the main thread; returns the process exit code.
#include <optional>
#include <string>
#include <vector>

#include "connector/listing_windows.h"
#include "pipeline/collector.h"

namespace o365fwd {

struct CollectionRequest {
  std::string config_path;
  CollectorMode mode = CollectorMode::kDaemon;
  std::optional<ListingWindow> replay_window;
  std::vector<std::string> tenants;        // empty = all
  std::vector<std::string> content_types;  // empty = all configured
};

int runCollection(const CollectionRequest& request);

}  // namespace o365fwd
