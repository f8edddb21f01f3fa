#pragma once
// Where the exactly-once Kafka sink (cluster/txn/staged_kafka_sink.h) leaves a blob's records until
// the commit that marks the blob done writes them, with the blob's state records, in one Kafka
// transaction (cluster/txn/exactly_once_log.h implements it).
//
// Thread-safe: stage() from any delivery thread.
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/parse/record_batch.h"

namespace o365fwd {

struct StagedSink {
  std::string name;            // the sink's name
  std::string topic_template;  // may hold {tenant} and {content_type}
};

class RecordStage {
 public:
  virtual ~RecordStage() = default;
  // Keeps `batch`'s records, except the indexes in `skip` (rejected for their size), for the
  // transaction of the commit that marks batch->content done; replaces what the same sink staged
  // for the same blob before (a blob sent again).
  virtual void stage(const StagedSink& sink, BatchPtr batch, std::vector<std::uint32_t> skip) = 0;
};

}  // namespace o365fwd
