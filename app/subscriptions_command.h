#pragma once
// `o365fwd subscriptions list|start|stop [-c FILE] [--tenant NAME] [--content-type CT]`: shows
// and changes the Management Activity API subscriptions of the configured tenants.
#include "app/cli.h"

namespace o365fwd {

void registerSubscriptionsCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result);

}  // namespace o365fwd
