#pragma once
// A real Apache Kafka broker for integration tests: one JVM in KRaft combined mode
// (process.roles=broker,controller, node.id=1) on free 127.0.0.1 ports, data in the test's
// TempDir, jars from scripts/install-kafka.sh. Owns the JVM: the destructor stops it (SIGTERM,
// then SIGKILL). One owning thread; consumeTopic() may run on any thread.
//
//   if (KafkaBroker::jarDir().empty()) GTEST_SKIP() << KafkaBroker::kNotInstalled;
//   auto broker = KafkaBroker::start(dir);           // nullptr + gtest failure when it won't come
//   up ASSERT_TRUE(broker->createTopic("o365-audit", 3).ok());
//   ... produce to broker->bootstrap() ...
//   broker->stop(); broker->restart();               // same ports, same log dirs
//   auto records = broker->consumeAll("o365-audit", expected, std::chrono::seconds(30));
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace o365fwd::testing {

// One consumed Kafka message.
struct KafkaRecord {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::optional<std::string> key;  // nullopt: a null key
  std::map<std::string, std::string> headers;
  std::string value;
};

// Reads `topic` (every partition, from the beginning, read_committed, no consumer group commits)
// until at least `expected` messages arrived and every partition reached its end, or `timeout`
// passed; returns what was read (so callers can see duplicates and missing records). `expected` 0:
// read to the end.
std::vector<KafkaRecord> consumeTopic(const std::string& bootstrap, const std::string& topic,
                                      std::size_t expected, std::chrono::milliseconds timeout);

class KafkaBroker {
 public:
  static constexpr const char* kNotInstalled =
      "Kafka broker jars not found: run scripts/install-kafka.sh (or set O365FWD_KAFKA_DIR)";
  // $O365FWD_KAFKA_DIR, else ~/.cache/o365fwd/kafka-4.1.1, when it holds the broker jars; else
  // empty.
  static std::filesystem::path jarDir();
  // Formats a fresh KRaft log dir under dir/kafka and starts the broker; waits (up to 90 s) until
  // it answers metadata requests. On failure reports a gtest failure with the broker log's tail
  // and returns nullptr.
  // nullptr when it does not come up: with `error`, the message goes there (for SetUpTestSuite,
  // whose failures gtest reports as skipped tests); without, it is a gtest failure.
  static std::unique_ptr<KafkaBroker> start(const TempDir& dir, std::string* error = nullptr);
  ~KafkaBroker();
  KafkaBroker(const KafkaBroker&) = delete;
  KafkaBroker& operator=(const KafkaBroker&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }  // "127.0.0.1:PORT"
  // Creates a topic with replication factor 1 and optional topic configs
  // ({"max.message.bytes", "2000000"}); returns once every partition has a leader.
  Status createTopic(const std::string& name, int partitions = 1,
                     const std::map<std::string, std::string>& configs = {});
  // SIGTERM and wait up to 60 s for a clean shutdown, then SIGKILL. Idempotent.
  void stop();
  // Starts the stopped broker again with the same ports and data; waits until it answers.
  Status restart();
  bool running();
  std::vector<KafkaRecord> consumeAll(const std::string& topic, std::size_t expected,
                                      std::chrono::milliseconds timeout) const {
    return consumeTopic(bootstrap_, topic, expected, timeout);
  }
  std::string logTail(std::size_t bytes = 4000) const;

 private:
  KafkaBroker() = default;
  Status launch();
  Status waitReady(std::chrono::seconds timeout);

  std::filesystem::path jars_;
  std::filesystem::path dir_;
  std::filesystem::path config_;
  std::string bootstrap_;
  int launches_ = 0;
  ChildProcess child_;
};

}  // namespace o365fwd::testing
