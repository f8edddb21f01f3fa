#pragma once
// SinkConfig -> a Sink. An explicit switch over the sink types; no self-registration.
#include <memory>

#include "core/clock.h"
#include "core/config/config.h"
#include "core/random.h"
#include "core/result.h"
#include "sinks/sink.h"

namespace o365fwd {

Result<std::unique_ptr<Sink>> makeSink(const SinkConfig& config, Clock& clock, Random& random);

}  // namespace o365fwd
