#include "cluster/txn/staged_kafka_sink.h"

#include "sinks/kafka/kafka_options.h"

namespace o365fwd {

StagedKafkaSink::StagedKafkaSink(std::string name, KafkaSinkConfig config, RecordStage& stage)
    : name_(std::move(name)), config_(std::move(config)), stage_(stage) {}

Status StagedKafkaSink::start() {
  if (Status s = validateTopicTemplate(config_.topic); !s.ok()) return s;
  started_ = true;
  return okStatus();
}

void StagedKafkaSink::send(BatchPtr batch, DeliveryCallback done, std::stop_token) {
  DeliveryReport report;
  if (!started_ || stopped_) {
    report.status = DeliveryStatus::kRetryable;
    report.error = Error::retryableError(
        ErrorKind::kSink, started_ ? "Kafka sink is stopped" : "Kafka sink is not started");
    done(std::move(report));
    return;
  }
  std::vector<std::uint32_t> skip;
  for (std::size_t i = 0; i < batch->size(); ++i) {
    const std::size_t bytes = batch->raw(i).size();
    if (bytes <= config_.max_message_size) continue;
    skip.push_back(static_cast<std::uint32_t>(i));
    report.rejected.push_back(
        {static_cast<std::uint32_t>(i),
         "record of " + std::to_string(bytes) +
             " bytes exceeds the Kafka sink's max_message_size " +
             std::to_string(config_.max_message_size) +
             ": raise the topic's max.message.bytes or the sink's max_message_size"});
  }
  staged_ += batch->size() - skip.size();
  rejected_ += skip.size();
  stage_.stage(StagedSink{name_, config_.topic}, std::move(batch), std::move(skip));
  done(std::move(report));
}

SinkStats StagedKafkaSink::stats() const {
  SinkStats s;
  s.state = started_ && !stopped_ ? SinkState::kUp : SinkState::kStarting;
  s.delivered = staged_.load();  // handed to the transaction of their commit
  s.rejected = rejected_.load();
  return s;
}

Status StagedKafkaSink::healthcheck(std::chrono::milliseconds) {
  return validateTopicTemplate(config_.topic);
}

}  // namespace o365fwd
