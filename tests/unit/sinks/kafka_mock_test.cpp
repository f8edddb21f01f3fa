// The Kafka sink against librdkafka's in-process mock cluster (rdkafka_mock.h, experimental API,
// test code only): delivery reports, injected broker errors, outages, fatal idempotence errors,
// and the Sink contract suite. Records are read back from the mock cluster with a real consumer.
#ifdef O365FWD_HAVE_RDKAFKA_MOCK

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <thread>

#include "core/clock.h"
#include "core/random.h"
#include "sinks/kafka/kafka_sink.h"
#include "tests/support/kafka_broker.h"
#include "tests/unit/sinks/sink_contract_test.h"

namespace o365fwd::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A 3-broker mock cluster living in a helper client handle.
class MockCluster {
 public:
  MockCluster() {
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    cluster_ = rd_kafka_mock_cluster_new(rk_, 3);
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(rk_);
  }
  const std::string& bootstrap() const { return bootstrap_; }
  rd_kafka_mock_cluster_t* get() { return cluster_; }
  void createTopic(const std::string& name, int partitions = 3) {
    rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1);
  }
  void setDown(bool down) {
    for (int id = 1; id <= 3; ++id) {
      if (down)
        rd_kafka_mock_broker_set_down(cluster_, id);
      else
        rd_kafka_mock_broker_set_up(cluster_, id);
    }
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstrap_;
};

KafkaSinkOptions testOptions() {
  KafkaSinkOptions options;
  options.stop_timeout = milliseconds(500);
  options.test_properties = {
      {"reconnect.backoff.ms", "10"}, {"reconnect.backoff.max.ms", "100"}, {"log_level", "3"}};
  return options;
}

KafkaSinkConfig sinkConfig(const MockCluster& cluster, const std::string& topic) {
  KafkaSinkConfig config;
  config.brokers = cluster.bootstrap();
  config.topic = topic;
  config.message_timeout = seconds(60);
  return config;
}

std::vector<std::string> values(const std::vector<KafkaRecord>& records) {
  std::vector<std::string> out;
  for (const KafkaRecord& r : records) out.push_back(r.value);
  return out;
}

// ---- the Sink contract ----

struct KafkaMockTraits {
  MockCluster cluster;
  SystemClock clock;
  Random random{7};
  KafkaMockTraits() { cluster.createTopic("contract", 1); }  // one partition: ordered reads
  std::unique_ptr<Sink> make(std::uint64_t queue_bytes = 0) {
    KafkaSinkOptions options = testOptions();
    if (queue_bytes > 0) {
      // The message count binds first: about one record of ~200 bytes per 250 bytes.
      options.tuning.queue_max_messages = std::max<std::uint64_t>(1, queue_bytes / 250);
      options.tuning.queue_max_kbytes = (queue_bytes + 1023) / 1024 + 1;
    }
    return std::make_unique<KafkaSink>("kafka-contract", sinkConfig(cluster, "contract"), clock,
                                       random, options);
  }
  std::vector<std::string> destination() {
    return values(consumeTopic(cluster.bootstrap(), "contract", 0, seconds(20)));
  }
  void stall() { cluster.setDown(true); }
  void unstall() { cluster.setDown(false); }
};

INSTANTIATE_TYPED_TEST_SUITE_P(KafkaMock, SinkContractTest, KafkaMockTraits);

// ---- Kafka specifics ----

class KafkaMockTest : public ::testing::Test {
 protected:
  std::unique_ptr<KafkaSink> makeSink(KafkaSinkConfig config,
                                      KafkaSinkOptions options = testOptions()) {
    auto sink = std::make_unique<KafkaSink>("kafka-test", std::move(config), clock_, random_,
                                            std::move(options));
    EXPECT_TRUE(sink->start().ok());
    return sink;
  }
  MockCluster cluster_;
  SystemClock clock_;
  Random random_{11};
};

TEST_F(KafkaMockTest, DoneWaitsForTheDeliveryReport) {
  cluster_.createTopic("audit");
  auto sink = makeSink(sinkConfig(cluster_, "audit"));
  cluster_.setDown(true);
  CallbackLog log;
  sink->send(makeTestBatch("dr", 5), log.callback(0), {});
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(log.calls(0), 0u) << "reported before any broker acknowledged";
  EXPECT_EQ(sink->stats().queued, 5u);
  cluster_.setDown(false);
  ASSERT_TRUE(sink->flush(seconds(30)).ok());
  ASSERT_EQ(log.calls(0), 1u);
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kDelivered);
  EXPECT_EQ(consumeTopic(cluster_.bootstrap(), "audit", 5, seconds(20)).size(), 5u);
}

TEST_F(KafkaMockTest, TransientProduceErrorsAreRetriedInsideLibrdkafka) {
  cluster_.createTopic("audit", 1);
  rd_kafka_mock_push_request_errors(
      cluster_.get(), 0 /* Produce */, 3, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT);
  auto sink = makeSink(sinkConfig(cluster_, "audit"));
  CallbackLog log;
  BatchPtr batch = makeTestBatch("transient", 10);
  sink->send(batch, log.callback(0), {});
  ASSERT_TRUE(sink->flush(seconds(30)).ok());
  ASSERT_EQ(log.calls(0), 1u);
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kDelivered);
  // Idempotence: the retried requests left no duplicates, and order is kept on the partition.
  EXPECT_EQ(values(consumeTopic(cluster_.bootstrap(), "audit", 10, seconds(20))),
            rawRecords(*batch));
}

// Sends `batch` and waits for its one report (an empty report and a test failure otherwise).
DeliveryReport sendAndWait(Sink& sink, BatchPtr batch) {
  CallbackLog log;
  sink.send(std::move(batch), log.callback(0), {});
  EXPECT_TRUE(sink.flush(seconds(30)).ok());
  EXPECT_EQ(log.calls(0), 1u);
  return log.calls(0) == 1 ? log.report(0) : DeliveryReport{};
}

TEST_F(KafkaMockTest, AllBrokersDownReportsRetryableAfterMessageTimeout) {
  cluster_.createTopic("audit");
  KafkaSinkConfig config = sinkConfig(cluster_, "audit");
  config.message_timeout = seconds(2);
  auto sink = makeSink(config);
  cluster_.setDown(true);
  DeliveryReport report = sendAndWait(*sink, makeTestBatch("down", 3));
  EXPECT_EQ(report.status, DeliveryStatus::kRetryable);
  ASSERT_TRUE(report.error.has_value());
  EXPECT_EQ(report.error->kind, ErrorKind::kTransport);
  EXPECT_NE(report.error->message.find(cluster_.bootstrap()), std::string::npos);
  SinkStats stats = sink->stats();
  EXPECT_EQ(stats.state, SinkState::kDown);
  EXPECT_EQ(stats.failed, 3u);
  EXPECT_EQ(stats.queued, 0u);
  ASSERT_TRUE(stats.last_error.has_value());
}

// Errors only the operator can fix are permanent Errors in a kRetryable report (sinks/sink.h):
// the sink is down with the code and the remedy.
TEST_F(KafkaMockTest, AuthorizationAndUnknownTopicNeedTheOperator) {
  cluster_.createTopic("audit", 1);
  rd_kafka_mock_push_request_errors(cluster_.get(), 0 /* Produce */, 1,
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  auto sink = makeSink(sinkConfig(cluster_, "audit"));
  DeliveryReport report = sendAndWait(*sink, makeTestBatch("acl", 2));
  EXPECT_EQ(report.status, DeliveryStatus::kRetryable);
  ASSERT_TRUE(report.error.has_value());
  EXPECT_TRUE(needsOperator(*report.error));
  EXPECT_EQ(report.error->code, "TOPIC_AUTHORIZATION_FAILED");
  EXPECT_NE(report.error->message.find("grant the principal Write"), std::string::npos);
  SinkStats stats = sink->stats();
  EXPECT_EQ(stats.state, SinkState::kDown);
  ASSERT_TRUE(stats.last_error.has_value());
  EXPECT_EQ(stats.last_error->code, "TOPIC_AUTHORIZATION_FAILED");

  rd_kafka_mock_topic_set_error(cluster_.get(), "gone", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  KafkaSinkConfig config = sinkConfig(cluster_, "gone");
  config.message_timeout = seconds(4);  // the topic is declared missing after 2 s
  auto missing = makeSink(config);
  DeliveryReport gone = sendAndWait(*missing, makeTestBatch("gone", 2));
  ASSERT_TRUE(gone.error.has_value());
  EXPECT_TRUE(needsOperator(*gone.error)) << gone.error->describe();
  EXPECT_NE(gone.error->message.find("\"gone\" does not exist"), std::string::npos)
      << gone.error->describe();
  EXPECT_EQ(missing->stats().state, SinkState::kDown);
}

TEST_F(KafkaMockTest, OversizeRecordIsRejectedUpFrontAndTheRestDelivered) {
  cluster_.createTopic("audit", 1);
  KafkaSinkConfig config = sinkConfig(cluster_, "audit");
  config.max_message_size = 2000;
  auto sink = makeSink(config);
  auto batch = std::make_shared<RecordBatch>(*makeTestBatch("big", 3));
  // Replace record 1 with a 5000-byte record.
  std::string big = R"({"Id":"big-1","Pad":")" + std::string(5000, 'y') + "\"}";
  batch->records[1].raw = {static_cast<std::uint32_t>(batch->body.size()),
                           static_cast<std::uint32_t>(big.size())};
  batch->body += big;
  CallbackLog log;
  sink->send(batch, log.callback(0), {});
  ASSERT_TRUE(sink->flush(seconds(30)).ok());
  DeliveryReport report = log.report(0);
  EXPECT_EQ(report.status, DeliveryStatus::kDelivered);
  ASSERT_EQ(report.rejected.size(), 1u);
  EXPECT_EQ(report.rejected[0].index, 1u);
  EXPECT_NE(report.rejected[0].reason.find("max_message_size"), std::string::npos);
  auto got = values(consumeTopic(cluster_.bootstrap(), "audit", 2, seconds(20)));
  EXPECT_EQ(got,
            (std::vector<std::string>{std::string(batch->raw(0)), std::string(batch->raw(2))}));
  EXPECT_EQ(sink->stats().rejected, 1u);
  EXPECT_EQ(sink->stats().delivered, 2u);
}

TEST_F(KafkaMockTest, BrokerRefusingARecordAsTooLargeRejectsIt) {
  cluster_.createTopic("audit", 1);
  auto sink = makeSink(sinkConfig(cluster_, "audit"));
  rd_kafka_mock_push_request_errors(cluster_.get(), 0, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  CallbackLog log;
  sink->send(makeTestBatch("huge", 1), log.callback(0), {});
  ASSERT_TRUE(sink->flush(seconds(30)).ok());
  DeliveryReport report = log.report(0);
  EXPECT_EQ(report.status, DeliveryStatus::kDelivered);
  ASSERT_EQ(report.rejected.size(), 1u);
  EXPECT_EQ(report.rejected[0].index, 0u);
  EXPECT_NE(report.rejected[0].reason.find("max.message.bytes"), std::string::npos);
  // The next batch goes through.
  sink->send(makeTestBatch("after", 3), log.callback(1), {});
  ASSERT_TRUE(sink->flush(seconds(30)).ok());
  EXPECT_EQ(log.report(1).status, DeliveryStatus::kDelivered);
  EXPECT_TRUE(log.report(1).rejected.empty());
  EXPECT_EQ(consumeTopic(cluster_.bootstrap(), "audit", 3, seconds(20)).size(), 3u);
}

TEST_F(KafkaMockTest, FatalIdempotenceErrorRebuildsTheProducer) {
  cluster_.createTopic("audit", 1);
  auto sink = makeSink(sinkConfig(cluster_, "audit"));
  rd_kafka_mock_push_request_errors(cluster_.get(), 0, 1,
                                    RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
  CallbackLog log;
  BatchPtr batch = makeTestBatch("fatal", 4);
  sink->send(batch, log.callback(0), {});
  ASSERT_TRUE(sink->flush(seconds(30)).ok());
  ASSERT_EQ(log.calls(0), 1u);
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kRetryable);
  auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (sink->producerRestarts() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(sink->producerRestarts(), 1u);
  // The pipeline resends the batch: it is delivered by the new producer.
  sink->send(batch, log.callback(1), {});
  ASSERT_TRUE(sink->flush(seconds(30)).ok());
  ASSERT_EQ(log.calls(1), 1u);
  EXPECT_EQ(log.report(1).status, DeliveryStatus::kDelivered);
  auto got = values(consumeTopic(cluster_.bootstrap(), "audit", 4, seconds(20)));
  for (const std::string& raw : rawRecords(*batch))
    EXPECT_GE(std::count(got.begin(), got.end(), raw), 1) << "missing after resend";
}

TEST_F(KafkaMockTest, KeyHeadersAndTopicPlaceholders) {
  cluster_.createTopic("o365.contoso.Audit.Exchange", 2);
  cluster_.createTopic("o365.fabrikam.DLP.All", 1);
  auto sink = makeSink(sinkConfig(cluster_, "o365.{tenant}.{content_type}"));
  auto exchange = std::make_shared<RecordBatch>(*makeTestBatch("ex", 3));
  exchange->records[2].id = {};  // a record without Id: null key
  BatchPtr dlp = makeTestBatch("dlp", 2, 300, "fabrikam", "DLP.All");
  CallbackLog log;
  sink->send(exchange, log.callback(0), {});
  sink->send(dlp, log.callback(1), {});
  ASSERT_TRUE(sink->flush(seconds(30)).ok());
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kDelivered);
  EXPECT_EQ(log.report(1).status, DeliveryStatus::kDelivered);

  auto ex = consumeTopic(cluster_.bootstrap(), "o365.contoso.Audit.Exchange", 3, seconds(20));
  ASSERT_EQ(ex.size(), 3u);
  std::sort(ex.begin(), ex.end(),
            [](const KafkaRecord& a, const KafkaRecord& b) { return a.value < b.value; });
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ex[i].value, exchange->raw(i));
    EXPECT_EQ(ex[i].headers["o365.tenant"], "contoso");
    EXPECT_EQ(ex[i].headers["o365.content_type"], "Audit.Exchange");
    EXPECT_EQ(ex[i].headers["o365.content_id"], "content-ex");
  }
  EXPECT_EQ(ex[0].key, std::optional<std::string>("ex-0"));
  EXPECT_EQ(ex[1].key, std::optional<std::string>("ex-1"));
  EXPECT_FALSE(ex[2].key.has_value());
  auto dl = consumeTopic(cluster_.bootstrap(), "o365.fabrikam.DLP.All", 2, seconds(20));
  ASSERT_EQ(dl.size(), 2u);
  EXPECT_EQ(values(dl), rawRecords(*dlp));
  EXPECT_EQ(dl[1].key, std::optional<std::string>("dlp-1"));
  EXPECT_EQ(dl[1].headers["o365.tenant"], "fabrikam");
}

TEST_F(KafkaMockTest, HealthcheckChecksBrokersAndTopic) {
  cluster_.createTopic("audit");
  KafkaSink present("hc", sinkConfig(cluster_, "audit"), clock_, random_, testOptions());
  EXPECT_TRUE(present.healthcheck(seconds(10)).ok());  // before start(): a temporary client
  // The mock cluster creates topics on demand; make it answer as a broker without the topic.
  rd_kafka_mock_topic_set_error(cluster_.get(), "no-such-topic",
                                RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  KafkaSink missing("hc", sinkConfig(cluster_, "no-such-topic"), clock_, random_, testOptions());
  Status status = missing.healthcheck(seconds(10));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("\"no-such-topic\" does not exist"), std::string::npos)
      << status.error().message;
  KafkaSink templated("hc", sinkConfig(cluster_, "o365.{tenant}"), clock_, random_, testOptions());
  EXPECT_TRUE(templated.healthcheck(seconds(10)).ok());
  cluster_.setDown(true);
  auto sink = makeSink(sinkConfig(cluster_, "audit"));
  Status down = sink->healthcheck(seconds(2));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().kind, ErrorKind::kTransport);
  EXPECT_NE(down.error().message.find(cluster_.bootstrap()), std::string::npos);
}

TEST_F(KafkaMockTest, BadPropertyIsAConfigErrorWithoutItsSecretValue) {
  KafkaSinkConfig config = sinkConfig(cluster_, "audit");
  config.properties = {{"sasl.password", "hunter2-secret"}, {"no.such.property", "x"}};
  KafkaSink sink("bad", config, clock_, random_, testOptions());
  Status status = sink.start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, ErrorKind::kConfig);
  EXPECT_NE(status.error().message.find("no.such.property"), std::string::npos);
  EXPECT_EQ(status.error().message.find("hunter2-secret"), std::string::npos);
  CallbackLog log;
  sink.send(makeTestBatch("x", 1), log.callback(0), {});
  ASSERT_EQ(log.calls(0), 1u);
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kRetryable);
}

}  // namespace
}  // namespace o365fwd::testing

#endif  // O365FWD_HAVE_RDKAFKA_MOCK
