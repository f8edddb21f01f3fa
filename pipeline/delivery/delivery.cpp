#include "pipeline/delivery/delivery.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>

namespace o365fwd {
namespace {

// Shared by the sinks' callbacks of one deliver() call.
struct FanIn {
  std::mutex mu;
  std::size_t remaining = 0;
  BlobTaskPtr task;
  std::function<void(const BlobTaskPtr&)> on_complete;
};

}  // namespace

bool Delivery::allDelivered(const BlobTask& task) {
  return std::all_of(task.delivered_to.begin(), task.delivered_to.end(), [](bool b) { return b; });
}

void Delivery::deliver(const BlobTaskPtr& task, std::function<void(const BlobTaskPtr&)> on_complete,
                       std::stop_token stop) {
  if (task->delivered_to.size() != sinks_.size()) task->delivered_to.assign(sinks_.size(), false);
  ++task->delivery_attempts;
  std::vector<std::size_t> targets;
  for (std::size_t i = 0; i < sinks_.size(); ++i)
    if (!task->delivered_to[i]) targets.push_back(i);
  if (targets.empty()) {
    on_complete(task);
    return;
  }
  auto fan = std::make_shared<FanIn>();
  fan->remaining = targets.size();
  fan->task = task;
  fan->on_complete = std::move(on_complete);
  for (std::size_t i : targets) {
    Sink* sink = sinks_[i];
    sink->send(
        task->batch,
        [fan, i, sink](DeliveryReport report) {
          std::function<void(const BlobTaskPtr&)> done;
          BlobTaskPtr finished;
          {
            std::lock_guard lock(fan->mu);
            BlobTask& t = *fan->task;
            if (report.status == DeliveryStatus::kDelivered) {
              t.delivered_to[i] = true;
              for (RejectedRecord& r : report.rejected) {
                r.reason = sink->name() + ": " + r.reason;
                t.rejected.push_back(std::move(r));
              }
            } else {
              t.error = report.error ? *report.error
                                     : Error::retryableError(ErrorKind::kSink,
                                                             sink->name() + " did not deliver");
            }
            if (--fan->remaining == 0) {
              done = std::move(fan->on_complete);
              finished = std::move(fan->task);
            }
          }
          if (done) done(finished);
        },
        stop);
  }
}

}  // namespace o365fwd
