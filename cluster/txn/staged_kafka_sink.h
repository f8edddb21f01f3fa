#pragma once
// The Kafka sink of exactly-once mode (cluster mode with a Kafka sink on the cluster's brokers,
// docs/CLUSTER.md "Exactly-once into Kafka"): send() hands the blob's records to the RecordStage
// instead of producing them; they are produced in the Kafka transaction of the commit that marks
// the blob done, with its state records. Messages are the Kafka sink's (key = record Id, headers
// o365.tenant / o365.content_type / o365.content_id, topic with {tenant} and {content_type}).
//
// Threads: any; `done` runs on the caller's thread before send() returns.
//
// Promises: `done` fires exactly once per send(): kDelivered with the records above
// max_message_size listed as rejected (dead-lettered by the pipeline). Durability comes with the
// commit: the committer's commit returns ok only after the transaction holding the records
// committed (acks=all), and a commit that fails leaves the blob not done, so it is sent again.
#include <atomic>
#include <memory>
#include <string>

#include "cluster/txn/record_stage.h"
#include "core/config/config.h"
#include "sinks/sink.h"

namespace o365fwd {

class StagedKafkaSink final : public Sink {
 public:
  // `stage` must outlive the sink (the state store owns it).
  StagedKafkaSink(std::string name, KafkaSinkConfig config, RecordStage& stage);

  const std::string& name() const override { return name_; }
  SinkType type() const override { return SinkType::kKafka; }
  Status start() override;
  void send(BatchPtr batch, DeliveryCallback done, std::stop_token stop) override;
  Status flush(std::chrono::milliseconds) override { return okStatus(); }
  void stop() override { stopped_ = true; }
  SinkStats stats() const override;
  // The brokers and topic are the cluster's: `validate` checks them through the cluster check;
  // here only the configuration.
  Status healthcheck(std::chrono::milliseconds timeout) override;

 private:
  const std::string name_;
  const KafkaSinkConfig config_;
  RecordStage& stage_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> staged_{0};
  std::atomic<std::uint64_t> rejected_{0};
};

}  // namespace o365fwd
