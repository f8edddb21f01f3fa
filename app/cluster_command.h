#pragma once
// `o365fwd cluster init|status [-c FILE]` (docs/CLUSTER.md): `init` creates the group's topics
// <group>.assignments and <group>.state idempotently; `status` prints the topics, the group's
// members with their partitions and tenants, and the tenants no member holds. Exit 0 ok; 1 the
// brokers could not be asked or a topic is missing or wrong (each problem says what to do); 2 the
// configuration is invalid or has no `cluster:` block. Runs on the main thread.
#include "app/cli.h"

namespace o365fwd {

void registerClusterCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result);

}  // namespace o365fwd
