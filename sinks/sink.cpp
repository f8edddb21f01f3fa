#include "sinks/sink.h"

namespace o365fwd {

const char* toString(SinkState state) {
  switch (state) {
    case SinkState::kStarting: return "starting";
    case SinkState::kUp: return "up";
    case SinkState::kDown: return "down";
  }
  return "unknown";
}

}  // namespace o365fwd
