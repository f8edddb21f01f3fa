#pragma once
// Delivers one batch of service health records to every sink and makes it durable: the batch
// goes to each sink that has not acknowledged it yet, and once every sink has it, one state-store
// transaction records the issues' keys (the de-duplication set, like audit records) under the
// stream <tenant>/ServiceHealth.Issue. Records a sink refuses for good are kept as dead letters.
// Owns nothing but references; thread-safe (each service-health worker delivers its own tenant's
// batches; sinks and the store are thread-safe).
//
// Promises: commit() is called by the caller only after deliver() returned true, so a restart
// never re-sends a committed issue and never loses one that was not committed (it is sent again:
// at least once). After the commit each sink forgets the batch (the file sink's durable position
// may move past it).
#include <chrono>
#include <stop_token>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/record_key.h"
#include "pipeline/delivery/dead_letter.h"
#include "pipeline/state/state_store.h"
#include "sinks/sink.h"

namespace o365fwd {

class IssueDelivery {
 public:
  IssueDelivery(std::vector<Sink*> sinks, StateStore& store, DeadLetterWriter* dead_letters,
                Clock& clock)
      : sinks_(std::move(sinks)), store_(store), dead_letters_(dead_letters), clock_(clock) {}

  std::size_t sinkCount() const { return sinks_.size(); }
  // Sends `batch` to every sink whose `delivered` flag is false and waits for their reports up to
  // `timeout` (or `stop`). Sets the flags of the sinks that delivered; true when all have.
  // `problem` receives the last sink error. Rejected records are dead-lettered and counted.
  bool deliver(const BatchPtr& batch, std::vector<bool>& delivered, std::string& problem,
               std::uint64_t& rejected, std::chrono::milliseconds timeout, std::stop_token stop);
  // One transaction: the batch's content as done, `keys` as seen, `records` forwarded, and each
  // sink's durablePosition() (docs/STATE.md "Sink positions").
  Status commit(const ContentRef& content, const std::vector<RecordKey>& keys,
                std::uint64_t records);

 private:
  std::vector<Sink*> sinks_;
  StateStore& store_;
  DeadLetterWriter* dead_letters_;
  Clock& clock_;
};

}  // namespace o365fwd
