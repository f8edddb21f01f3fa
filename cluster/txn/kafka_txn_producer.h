#pragma once
// Builds TxnProducers over librdkafka's transactional producer (cluster/txn/kafka_txn_producer.cpp,
// the seam): cluster.kafka's brokers and properties, transactional.id as given, acks=all,
// idempotence, transaction.timeout.ms = `transaction_timeout`, message.timeout.ms below it, the
// sink's compression. No broker round trip here (TxnProducer::init() does it).
#include <chrono>
#include <string>

#include "cluster/txn/txn_producer.h"
#include "core/config/config.h"

namespace o365fwd {

struct KafkaTxnProducerOptions {
  std::string client_id;
  std::string compression = "zstd";  // the Kafka sink's compression
  std::chrono::milliseconds transaction_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds linger{5};
};

// Permanent kConfig errors for properties librdkafka refuses (checked when the factory is made
// and again per producer).
Result<TxnProducerFactory> kafkaTxnProducerFactory(const ClusterKafkaConfig& config,
                                                   const KafkaTxnProducerOptions& options);

}  // namespace o365fwd
