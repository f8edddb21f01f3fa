#pragma once
// The cluster stage of `o365fwd validate` (docs/VALIDATE.md "cluster"): when the configuration has
// a `cluster:` block, one "cluster" check: the cluster brokers answer and both topics exist with
// cluster.kafka.partitions partitions, the state topic compacted. Called from runValidation() on
// its thread, after the sinks, unless ctx.options.offline. Never prints, never throws.
#include "app/validate/validate_command.h"

namespace o365fwd {

void checkClusterTopicsStage(ValidationContext& ctx);

}  // namespace o365fwd
