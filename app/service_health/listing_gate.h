#pragma once
// Tells the sinks that every source of records has listed once since start
// (Sink::everyStreamListed), once `sources` calls of arrive() came: the collector (every stream
// listed all its windows) and, with service health on, the ServiceHealthMonitor (every tenant
// polled once). Until then the file sink keeps its stored position where its crash recovery
// started, so what it recovered stays recoverable after another crash. Thread-safe: arrive() is
// called once per source, from any thread; the sinks are told exactly once.
#include <mutex>
#include <vector>

#include "sinks/sink.h"

namespace o365fwd {

class ListingGate {
 public:
  ListingGate(std::vector<Sink*> sinks, int sources) : sinks_(std::move(sinks)), left_(sources) {}

  void arrive() {
    {
      std::lock_guard lock(mu_);
      if (left_ <= 0 || --left_ > 0) return;
    }
    for (Sink* sink : sinks_) sink->everyStreamListed();
  }

 private:
  std::vector<Sink*> sinks_;
  std::mutex mu_;
  int left_;
};

}  // namespace o365fwd
