#pragma once
// A destination for audit records. The pipeline hands each sink one batch per content blob and
// waits for the sink's report before the blob may become done.
//
// Contract (every implementation; tested by one contract suite):
// - send() may block while the sink's bounded queue is full (that is the backpressure); it returns
//   early, reporting kRetryable, when `stop` is requested.
// - `done` fires exactly once per send(), on any thread, and only after every record it reports
//   delivered is durable at the destination (fsync, Kafka delivery report with acks=all, the
//   receiver's TCP/RELP acknowledgement).
// - kDelivered may list records the destination will never take (too large): those are
//   `rejected`; the pipeline dead-letters them and counts them. Everything else was delivered.
// - kRetryable: nothing of the batch may be assumed delivered; the pipeline sends it again later.
//   Its `error` says whether waiting can help: error->retryable (an outage, a timeout) heals by
//   itself; a permanent error (needsOperator(): an unknown topic the cluster will not create, an
//   authorization, SASL or TLS verification failure) does not — the daemon still retries with
//   backoff (the operator may fix it at any time), but `run --once` and `replay` stop at once and
//   print the error, whose message names the remedy.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/result.h"
#include "pipeline/parse/record_batch.h"

namespace o365fwd {

enum class DeliveryStatus { kDelivered, kRetryable };

struct RejectedRecord {
  std::uint32_t index;  // into RecordBatch::records
  std::string reason;   // "record of 2000000 bytes exceeds message.max.bytes 1000000"
};

struct DeliveryReport {
  DeliveryStatus status = DeliveryStatus::kDelivered;
  std::vector<RejectedRecord> rejected;
  std::optional<Error> error;  // why kRetryable
};

using DeliveryCallback = std::function<void(DeliveryReport)>;

// A delivery error that cannot heal within a run (see the contract above).
inline bool needsOperator(const Error& error) {
  return !error.retryable && error.kind != ErrorKind::kCancelled;
}

enum class SinkState { kStarting, kUp, kDown };
const char* toString(SinkState state);

struct SinkStats {
  SinkState state = SinkState::kStarting;
  std::uint64_t delivered = 0;  // records
  std::uint64_t failed = 0;     // failed delivery attempts (records)
  std::uint64_t rejected = 0;   // records dead-lettered
  std::uint64_t queued = 0;     // records accepted by send(), not yet reported
  std::uint64_t queued_bytes = 0;
  std::uint64_t truncated = 0;  // records shortened to the destination's size limit (syslog)
  std::uint64_t restarts = 0;   // clients re-created after a fatal error (Kafka producer)
  std::optional<Error> last_error;
  std::optional<WallTime> last_error_at;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual const std::string& name() const = 0;
  virtual SinkType type() const = 0;
  // Opens files/connections. A failure here is reported; the sink keeps retrying in send().
  virtual Status start() = 0;
  virtual void send(BatchPtr batch, DeliveryCallback done, std::stop_token stop) = 0;
  // Waits until every outstanding `done` has fired, or the timeout passed (then an Error).
  virtual Status flush(std::chrono::milliseconds timeout) = 0;
  // Ends the sink: outstanding batches are reported kRetryable. Idempotent.
  virtual void stop() = 0;
  virtual SinkStats stats() const = 0;
  // Bounded reachability check for `validate` (directory writable, broker metadata, handshake).
  virtual Status healthcheck(std::chrono::milliseconds timeout) = 0;

  // --- Crash recovery of what the sink wrote after the last commit (optional capability; the
  // file sink has it, the default is none). docs/STATE.md "Sink positions".
  // Before start(), once: the position this sink returned with the last successful commit
  // (nullopt: none stored). The sink finds the records it already holds after it (reading at most
  // `max_bytes`) and, when they are sent again, reports them delivered without writing them.
  virtual void recoverFrom(std::optional<std::string> /*position*/, std::uint64_t /*max_bytes*/) {}
  // Committer, before each commit (one thread): a position such that every record this sink holds
  // of a blob it was sent that is not done — neither in `done` (the blobs this commit marks done)
  // nor done before — lies after it; stored in the commit's transaction. nullopt: nothing to store.
  // A blob that failed stays "not done" until a later commit marks it done.
  virtual std::optional<std::string> durablePosition(const std::vector<ContentRef>& /*done*/) {
    return std::nullopt;
  }
  // Committer, after the commit that stored durablePosition(done) succeeded.
  virtual void forgetDone(const std::vector<ContentRef>& /*done*/) {}
  // Collector, once: every stream has listed all its windows since start, so every blob that was
  // not done when the last process ended has been listed again (and sent, or failed).
  virtual void everyStreamListed() {}
};

}  // namespace o365fwd
