#pragma once
// Our Kafka sink configuration → the librdkafka property list, without librdkafka: pure functions,
// callable from any thread, unit-testable without a broker.
//
// Promises:
// - The producer is safe by construction: acks=all, idempotence from the config (default on),
//   finite message.timeout.ms, bounded queue.buffering.max.kbytes/.messages. User `properties`
//   cannot weaken that: a property that disables TLS verification, lowers acks, or duplicates a
//   typed key of the sink (brokers, compression, message_timeout, max_message_size, idempotence)
//   is a configuration error that names the key and says what to write instead.
// - A property `<key>_file` is read with readSecretFile() and becomes `<key>` with the file's
//   content, marked secret. Known secret keys given inline (sasl.password, ...) are marked secret
//   too, with a warning to use the *_file form. Secret values never appear in an Error or warning.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/result.h"
#include "core/secrets/secret.h"

namespace o365fwd {

// Sink-level tuning that is not part of the YAML contract (tests shrink it).
struct KafkaTuning {
  std::uint64_t queue_max_kbytes = 64 * 1024;  // queue.buffering.max.kbytes (64 MiB)
  std::uint64_t queue_max_messages = 100000;   // queue.buffering.max.messages
  std::chrono::milliseconds linger{20};        // linger.ms
};

struct KafkaProperty {
  std::string key;
  Secret value;         // reveal() only when handing it to librdkafka
  bool secret = false;  // never log or echo the value, not even in librdkafka's error text
};

struct KafkaProperties {
  std::vector<KafkaProperty> properties;  // in the order they must be applied
  std::vector<std::string> warnings;      // operator-facing, value-free
};

// Appends a Kafka client's user `properties` (the sink's, or cluster.kafka's) with the rules above:
// `<key>_file` read as a secret, inline secrets marked and warned about, values that weaken
// delivery or TLS refused. `owner` starts each message ("Kafka sink"); `owned` returns, for a key
// the client sets itself, the rest of the sentence saying so ("is set by the sink; use ..."), else
// nullopt.
Status appendUserKafkaProperties(
    const std::map<std::string, std::string>& properties, std::string_view owner,
    const std::function<std::optional<std::string>(std::string_view key)>& owned,
    KafkaProperties& out);

// The error for a property librdkafka refused: `owner` starts the sentence ("Kafka sink",
// "cluster.kafka"); librdkafka's text `why` may quote the value, so a secret's is withheld.
Error refusedKafkaProperty(std::string_view owner, const std::string& key, const char* why,
                           bool secret);

// Validates `config` and builds the producer's properties (ours first, then the user's).
Result<KafkaProperties> buildKafkaProperties(const KafkaSinkConfig& config,
                                             const KafkaTuning& tuning = {});

// Checks a topic template: non-empty, only the placeholders {tenant} and {content_type}, otherwise
// Kafka topic characters [A-Za-z0-9._-], at most 249 characters once expanded with short values.
Status validateTopicTemplate(const std::string& topic);
bool topicHasPlaceholders(const std::string& topic);
// The topic of one batch: {tenant} and {content_type} replaced.
std::string expandTopic(const std::string& topic, std::string_view tenant,
                        std::string_view content_type);

}  // namespace o365fwd
