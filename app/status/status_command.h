#pragma once
// `o365fwd status [-c FILE] [--json]`: the collection status of the running instance (GET /status
// on health.listen, with the health token when one is configured), or, when no instance answers,
// the per-stream counters of the state database. Table for people, --json (the /status document)
// for consoles. Exit 0: running and no stream in error; 1: a stream in error or disabled, lag
// critical, the instance not running, or the status unreadable; 2: invalid configuration.
#include "app/cli.h"

namespace o365fwd {

// Written into the state directory by a daemon whose health endpoint runs ("http://host:port").
inline constexpr const char* kHealthUrlFile = "health.url";

void registerStatusCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result);

}  // namespace o365fwd
