// End to end through Kafka: o365fwd collects from o365fwd-sim and produces to a real single-node
// Apache Kafka broker (KRaft) started by the test. Every deliverable ledger record must be in the
// topics once, with key = Id and the o365.* headers; a 30-second broker outage in the middle of a
// daemon run loses nothing and keeps memory bounded.
#include <gtest/gtest.h>

#include <csignal>
#include <set>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/kafka_broker.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kTypes{"Audit.Exchange", "DLP.All"};

std::size_t deliverable(const SimProcess& sim) {
  std::size_t n = 0;
  for (const LedgerEntry& e : sim.ledger()) n += e.deliverable() ? 1 : 0;
  return n;
}

ForwarderOptions kafkaOptions(const KafkaBroker& broker) {
  ForwarderOptions o;
  o.sinks_yaml = "  - type: kafka\n    brokers: " + broker.bootstrap() +
                 "\n    topic: \"o365-{content_type}\"\n    message_timeout: 10s\n"
                 "    properties:\n      reconnect.backoff.max.ms: \"1000\"\n";
  return o;
}

// Reads both topics and checks keys and headers; returns the delivered record keys.
std::vector<RecordKey> consumeAndCheck(const KafkaBroker& broker, std::size_t expected, const std::string& tenant) {
  std::vector<KafkaRecord> all;
  for (const std::string& ct : kTypes) {
    auto records = broker.consumeAll("o365-" + ct, 1, 60s);
    for (KafkaRecord& r : records) {
      EXPECT_EQ(r.headers["o365.content_type"], ct);
      EXPECT_EQ(r.headers["o365.tenant"], tenant);
      EXPECT_FALSE(r.headers["o365.content_id"].empty());
      all.push_back(std::move(r));
    }
  }
  (void)expected;
  std::string ndjson;
  for (const KafkaRecord& r : all) ndjson += r.value + "\n";
  auto keys = recordKeysFromNdjson(ndjson);
  EXPECT_TRUE(keys.ok());
  if (!keys.ok()) return {};
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].key.value_or(""), (*keys)[i].id);
  return *keys;
}

TEST(CollectKafka, EveryLedgerRecordIsInTheTopicsWithKeyAndHeaders) {
  if (KafkaBroker::jarDir().empty()) GTEST_SKIP() << KafkaBroker::kNotInstalled;
  TempDir dir;
  auto broker = KafkaBroker::start(dir);
  ASSERT_TRUE(broker);
  for (const std::string& ct : kTypes) ASSERT_TRUE(broker->createTopic("o365-" + ct, 2).ok());
  auto sim = SimProcess::start({"--blobs", "15", "--records-per-blob", "20", "--duplicate-fraction", "0.1",
                                "--content-types", "Audit.Exchange,DLP.All"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderHarness fwd(*sim, dir, kafkaOptions(*broker));
  RunOutcome r = fwd.runOnce(180s);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  std::size_t expected = deliverable(*sim);
  std::vector<RecordKey> delivered;
  for (int attempt = 0; attempt < 20 && delivered.size() < expected; ++attempt)
    delivered = consumeAndCheck(*broker, expected, sim->tenant(0).name);
  DeliveryCheck check = checkDelivery(sim->ledger(), delivered);
  EXPECT_TRUE(check.ok()) << check.summary();
}

TEST(CollectKafka, BrokerOutageInTheMiddleLosesNothing) {
  if (KafkaBroker::jarDir().empty()) GTEST_SKIP() << KafkaBroker::kNotInstalled;
  TempDir dir;
  auto broker = KafkaBroker::start(dir);
  ASSERT_TRUE(broker);
  for (const std::string& ct : kTypes) ASSERT_TRUE(broker->createTopic("o365-" + ct, 1).ok());
  auto sim = SimProcess::start({"--blobs", "150", "--records-per-blob", "40", "--record-size", "1500",
                                "--content-types", "Audit.Exchange,DLP.All"},
                               dir);
  ASSERT_TRUE(sim);
  ForwarderOptions options = kafkaOptions(*broker);
  options.collection_yaml = "    max_concurrent_downloads: 4\n";
  ForwarderHarness fwd(*sim, dir, options);
  std::size_t expected = deliverable(*sim);
  auto daemon = fwd.startDaemon();
  // Let it get going, then take the broker away for 30 s.
  std::this_thread::sleep_for(3s);
  broker->stop();
  long peak_kb = 0;
  for (int i = 0; i < 300; ++i) {
    if (auto rss = peakRssKb(daemon->pid())) peak_kb = std::max(peak_kb, *rss);
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(daemon->running()) << daemon->stderrText();
  ASSERT_TRUE(broker->restart().ok()) << broker->logTail();
  std::vector<RecordKey> delivered;
  std::set<RecordKey> unique;
  auto deadline = std::chrono::steady_clock::now() + 180s;
  while (std::chrono::steady_clock::now() < deadline && unique.size() < expected) {
    delivered = consumeAndCheck(*broker, expected, sim->tenant(0).name);
    unique = std::set<RecordKey>(delivered.begin(), delivered.end());
    if (unique.size() < expected) std::this_thread::sleep_for(2s);
  }
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(90s), 0) << daemon->stderrText();
  // The outage really hit deliveries (the sink reported batches it could not deliver).
  EXPECT_NE(daemon->stderrText().find("did not take the blob"), std::string::npos) << daemon->stderrText();
  DeliveryCheck check = checkDelivery(sim->ledger(), delivered);
  EXPECT_TRUE(check.missing.empty()) << check.summary();
  EXPECT_TRUE(check.unexpected.empty()) << check.summary();
  // At least once: a retried batch may be in the topic twice; nothing more than that.
  EXPECT_LE(duplicateCount(delivered), expected / 2);
  EXPECT_LT(peak_kb, 512 * 1024) << "peak RSS during the outage " << peak_kb << " KiB";
  RecordProperty("duplicates_after_outage", static_cast<int>(duplicateCount(delivered)));
}

}  // namespace
}  // namespace o365fwd::testing
