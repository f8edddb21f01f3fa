#pragma once
// One content blob on its way from the API to every sink and into the state store. Created by a
// lister, processed by one download worker at a time, then owned by the delivery fan-out and the
// committer. Not thread-safe by itself: exactly one component works on a task at any moment
// (the hand-offs go through queues or the fan-out's final callback).
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "connector/content_ref.h"
#include "core/filters/record_filter.h"
#include "core/result.h"
#include "pipeline/cycle_tracker.h"
#include "pipeline/parse/record_batch.h"
#include "pipeline/state/state_store.h"
#include "sinks/sink.h"

namespace o365fwd {

enum class BlobOutcome {
  kPending,
  kDelivered,     // every sink has every record (rejected ones dead-lettered)
  kFailed,        // not delivered now; the next cycle lists it again
  kDeadLettered,  // will never parse or be accepted: raw bytes kept in dead letters; done
  kLost,          // expired or gone at the API; counted; done
};

struct BlobTask {
  ContentRef content;
  std::shared_ptr<CycleTracker> cycle;
  bool replay = false;
  std::shared_ptr<const RecordFilter> filter;  // the stream's record filters; null = none

  // After parsing and de-duplication; dropped once every sink acknowledged it without rejecting
  // a record (its memory is not held until the commit; its budget charge, held_bytes, is).
  BatchPtr batch;
  std::uint64_t records_sent = 0;   // records in the batch handed to the sinks
  std::uint64_t record_bytes = 0;   // their byte lengths' sum
  std::vector<RecordKey> keys;      // in-flight keys of the forwarded records
  std::uint64_t records_total = 0;  // records in the blob before de-duplication
  std::uint64_t duplicates_dropped = 0;
  std::uint64_t records_filtered = 0;  // not admitted by the filters: keys committed, not sent
  std::uint64_t without_id = 0;        // forwarded records without a string Id
  std::uint64_t invalid_utf8 = 0;      // forwarded records with ill-formed UTF-8
  std::uint64_t held_bytes = 0;        // charged to the InflightBudget
  bool holds_slot = false;             // an InflightBudget slot is held

  std::vector<bool> delivered_to;        // per sink index: that sink has acknowledged the batch
  std::vector<RejectedRecord> rejected;  // union over sinks, by record index
  int delivery_attempts = 0;
  BlobOutcome outcome = BlobOutcome::kPending;
  std::optional<Error> error;  // why kFailed / kDeadLettered / kLost
};

using BlobTaskPtr = std::shared_ptr<BlobTask>;

}  // namespace o365fwd
