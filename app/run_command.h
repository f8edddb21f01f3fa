#pragma once
// `o365fwd run [-c FILE] [--once]` and `o365fwd replay [-c FILE] --from T --to T [--tenant NAME]
// [--content-type CT]` (DESIGN.md "Command line contract").
#include "app/cli.h"

namespace o365fwd {

void registerRunCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result);
void registerReplayCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result);

}  // namespace o365fwd
