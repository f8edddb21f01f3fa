#pragma once
// Fans one blob's batch out to every sink that has not yet acknowledged it and gathers the
// reports. `on_complete(task)` fires exactly once per deliver() call, on whichever thread reported
// last, after every targeted sink reported; the task then says per sink whether it delivered
// (delivered_to), which records some sink rejected (rejected), and the last error.
// Thread-safe; deliver() may block while a sink applies backpressure.
#include <functional>
#include <stop_token>
#include <vector>

#include "pipeline/blob_task.h"
#include "sinks/sink.h"

namespace o365fwd {

class Delivery {
 public:
  explicit Delivery(std::vector<Sink*> sinks) : sinks_(std::move(sinks)) {}
  std::size_t sinkCount() const { return sinks_.size(); }
  const std::vector<Sink*>& sinks() const { return sinks_; }
  void deliver(const BlobTaskPtr& task, std::function<void(const BlobTaskPtr&)> on_complete,
               std::stop_token stop);
  static bool allDelivered(const BlobTask& task);

 private:
  std::vector<Sink*> sinks_;
};

}  // namespace o365fwd
