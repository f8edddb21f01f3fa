#include "sinks/kafka/kafka_options.h"

#include <algorithm>
#include <array>
#include <set>

#include "core/secrets/secret_loader.h"
#include "core/secrets/sensitive_values.h"

namespace o365fwd {
namespace {

constexpr std::string_view kFileSuffix = "_file";

Error configError(std::string message) {
  return Error::permanent(ErrorKind::kConfig, std::move(message));
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// librdkafka properties whose values are credentials.
bool isSecretKey(std::string_view key) {
  static const std::array<std::string_view, 7> kSecret = {"sasl.password",
                                                          "ssl.key.password",
                                                          "ssl.keystore.password",
                                                          "ssl.key.pem",
                                                          "ssl_key",
                                                          "sasl.oauthbearer.client.secret",
                                                          "sasl.oauthbearer.config"};
  return std::find(kSecret.begin(), kSecret.end(), key) != kSecret.end();
}

// Keys set from typed sink keys: the user sets those there, never twice.
const char* typedKeyFor(std::string_view key) {
  if (key == "bootstrap.servers" || key == "metadata.broker.list") return "brokers";
  if (key == "compression.codec" || key == "compression.type") return "compression";
  if (key == "message.timeout.ms" || key == "delivery.timeout.ms") return "message_timeout";
  if (key == "message.max.bytes") return "max_message_size";
  if (key == "enable.idempotence") return "idempotence";
  return nullptr;
}

// A user property that would weaken delivery or TLS guarantees. Returns the reason or nullptr.
const char* forbiddenValue(std::string_view key, const std::string& value) {
  std::string v = lower(value);
  if ((key == "acks" || key == "request.required.acks") && v != "all" && v != "-1")
    return "only acks=all gives durable delivery reports; remove the property";
  if (key == "enable.ssl.certificate.verification" && v != "true")
    return "TLS certificate verification cannot be turned off; set ssl.ca.location instead";
  if (key == "ssl.endpoint.identification.algorithm" && v != "https")
    return "TLS host name verification cannot be turned off; set ssl.ca.location instead";
  if (key == "message.send.max.retries" || key == "retries")
    return "the sink relies on librdkafka's internal retries; remove the property";
  if ((key == "queue.buffering.max.kbytes" || key == "queue.buffering.max.messages") && v == "0")
    return "the producer queue must stay bounded";
  return nullptr;
}

void add(KafkaProperties& out, std::string key, std::string value, bool secret = false) {
  if (secret) registerSensitive(value, SensitiveKind::kSecret);  // e.g. sasl.password
  out.properties.push_back(KafkaProperty{std::move(key), Secret(std::move(value)), secret});
}

}  // namespace

bool topicHasPlaceholders(const std::string& topic) {
  return topic.find("{tenant}") != std::string::npos ||
         topic.find("{content_type}") != std::string::npos;
}

std::string expandTopic(const std::string& topic, std::string_view tenant,
                        std::string_view content_type) {
  std::string out;
  out.reserve(topic.size() + 32);
  for (std::size_t i = 0; i < topic.size();) {
    if (topic.compare(i, 8, "{tenant}") == 0) {
      out.append(tenant);
      i += 8;
    } else if (topic.compare(i, 14, "{content_type}") == 0) {
      out.append(content_type);
      i += 14;
    } else {
      out.push_back(topic[i++]);
    }
  }
  return out;
}

Status validateTopicTemplate(const std::string& topic) {
  if (topic.empty()) return configError("Kafka sink topic is empty; set `topic`");
  // Content types are at most 28 characters, tenant names are short: 249 leaves room for both.
  std::string literal = expandTopic(topic, "", "");
  for (char c : literal) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return configError("Kafka sink topic \"" + topic + "\" contains '" + std::string(1, c) +
                         "': topics use only A-Z a-z 0-9 . _ - plus the placeholders {tenant} "
                         "and {content_type}");
    }
  }
  if (expandTopic(topic, std::string(32, 'x'), std::string(28, 'x')).size() > 249)
    return configError("Kafka sink topic \"" + topic +
                       "\" is too long (Kafka allows 249 "
                       "characters once {tenant} and {content_type} are filled in)");
  if (literal == "." || literal == "..")
    return configError("Kafka sink topic \"" + topic + "\" is not a valid topic name");
  return okStatus();
}

Status appendUserKafkaProperties(
    const std::map<std::string, std::string>& properties, std::string_view owner,
    const std::function<std::optional<std::string>(std::string_view key)>& owned,
    KafkaProperties& out) {
  const std::string who(owner);
  std::set<std::string> seen;
  for (const auto& [raw_key, value] : properties) {
    bool from_file = endsWith(raw_key, kFileSuffix);
    std::string key = from_file ? raw_key.substr(0, raw_key.size() - kFileSuffix.size()) : raw_key;
    if (key.empty()) return configError(who + " property \"" + raw_key + "\" has no name");
    if (!seen.insert(key).second)
      return configError(who + " properties set \"" + key + "\" both inline and as \"" + key +
                         "_file\"; keep one");
    if (std::optional<std::string> why = owned(key))
      return configError(who + " property \"" + raw_key + "\" " + *why);
    if (from_file) {
      if (value.empty()) return configError(who + " property \"" + raw_key + "\" names no file");
      Result<LoadedSecret> loaded = readSecretFile(value, "Kafka property " + raw_key);
      if (!loaded.ok()) return loaded.error();
      for (const std::string& w : loaded->warnings) out.warnings.push_back(w);
      out.properties.push_back(KafkaProperty{key, std::move(loaded->secret), true});
      continue;
    }
    bool secret = isSecretKey(key);
    if (!secret) {
      if (const char* why = forbiddenValue(key, value))
        return configError(who + " property \"" + key + "=" + value + "\" is not allowed: " + why);
    }
    if (secret)
      out.warnings.push_back(who + " property \"" + key + "\" is a secret written inline; " +
                             "put it in a file readable only by the service and use \"" + key +
                             "_file\"");
    add(out, key, value, secret);
  }
  return okStatus();
}

Result<KafkaProperties> buildKafkaProperties(const KafkaSinkConfig& config,
                                             const KafkaTuning& tuning) {
  if (config.brokers.empty())
    return configError("Kafka sink has no `brokers`; set host:port[,host:port...]");
  if (Status topic = validateTopicTemplate(config.topic); !topic.ok()) return topic.error();
  static const std::set<std::string> kCodecs = {"none", "gzip", "snappy", "lz4", "zstd"};
  if (!kCodecs.count(config.compression))
    return configError("Kafka sink compression \"" + config.compression +
                       "\" is not supported; use none, gzip, snappy, lz4 or zstd");
  auto timeout_ms = config.message_timeout.count();
  if (timeout_ms < 1000 || timeout_ms > 2147483647)
    return configError(
        "Kafka sink message_timeout must be between 1s and 24d (a finite value, "
        "so a broker outage surfaces as a retry)");
  if (config.max_message_size < 1000 || config.max_message_size > 1000000000)
    return configError(
        "Kafka sink max_message_size must be between 1000 bytes and 1000MB; keep "
        "it at or below the topic's max.message.bytes");
  if (tuning.queue_max_kbytes == 0 || tuning.queue_max_messages == 0)
    return configError("Kafka producer queue limits must be positive");

  KafkaProperties out;
  add(out, "bootstrap.servers", config.brokers);
  add(out, "client.id", "o365fwd");
  add(out, "enable.idempotence", config.idempotence ? "true" : "false");
  add(out, "acks", "all");
  add(out, "message.timeout.ms", std::to_string(timeout_ms));
  add(out, "queue.buffering.max.kbytes", std::to_string(tuning.queue_max_kbytes));
  add(out, "queue.buffering.max.messages", std::to_string(tuning.queue_max_messages));
  add(out, "linger.ms", std::to_string(tuning.linger.count()));
  add(out, "compression.codec", config.compression);
  // zstd at level 1 instead of librdkafka's default 3: 20.45 -> 16.15 us of CPU per record into a
  // local broker (bench/run_once_bench.sh SINK=kafka, medians of 3) for about 12 % more bytes
  // (docs/KAFKA.md). A `compression.level` in the user's properties comes later and wins.
  if (config.compression == "zstd") add(out, "compression.level", "1");
  add(out, "message.max.bytes", std::to_string(config.max_message_size));
  // The Java client's partitioner: the same record Id lands on the same partition either way.
  add(out, "partitioner", "murmur2_random");
  // Idle connections closed by the broker are normal, not warnings.
  add(out, "log.connection.close", "false");
  // A topic the cluster does not have fails its messages with __UNKNOWN_TOPIC (an operator error,
  // reported with its remedy) after this long; keep it below message.timeout.ms, or the messages
  // would time out first and the cause would read as an unreachable broker.
  add(out, "topic.metadata.propagation.max.ms",
      std::to_string(std::min<long long>(30000, timeout_ms / 2)));

  auto owned_by_sink = [](std::string_view key) -> std::optional<std::string> {
    if (const char* typed = typedKeyFor(key))
      return std::string("is set by the sink; use the sink's `") + typed + "` key instead";
    return std::nullopt;
  };
  if (Status user = appendUserKafkaProperties(config.properties, "Kafka sink", owned_by_sink, out);
      !user.ok())
    return user.error();
  return out;
}

Error refusedKafkaProperty(std::string_view owner, const std::string& key, const char* why,
                           bool secret) {
  return Error::permanent(ErrorKind::kConfig,
                          std::string(owner) + " property \"" + key + "\" is invalid: " +
                              (secret ? "librdkafka refused it (value withheld)" : why));
}

}  // namespace o365fwd
