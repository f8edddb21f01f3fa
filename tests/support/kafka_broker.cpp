#include "tests/support/kafka_broker.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <thread>

namespace o365fwd::testing {
namespace fs = std::filesystem;
namespace {

constexpr const char* kKafkaVersion = "4.1.1";

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

// A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (22 characters).
std::string randomClusterId() {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 22; ++i) id.push_back(kAlphabet[rd() % 64]);
  id[21] = kAlphabet[(rd() % 16) * 4];  // the last character carries 2 bits only
  return id;
}

// A client handle for admin and metadata calls; destroyed by the unique_ptr.
using Handle = std::unique_ptr<rd_kafka_t, void (*)(rd_kafka_t*)>;
Handle makeClient(rd_kafka_type_t type, const std::map<std::string, std::string>& props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  for (const auto& [k, v] : props)
    rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr);
  rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);  // quiet while polling
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    ADD_FAILURE() << "rd_kafka_new: " << errstr;
  }
  return Handle(rk, rd_kafka_destroy);
}

// Partition count of `topic` once every partition has a leader; -1 until then.
int readyPartitions(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  int result = -1;
  if (rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topics[0].partition_cnt > 0) {
      result = md->topics[0].partition_cnt;
      for (int i = 0; i < md->topics[0].partition_cnt; ++i)
        if (md->topics[0].partitions[i].leader < 0) result = -1;
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_topic_destroy(rkt);
  return result;
}

}  // namespace

std::vector<KafkaRecord> consumeTopic(const std::string& bootstrap, const std::string& topic,
                                      std::size_t expected, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<KafkaRecord> out;
  Handle rk = makeClient(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                             {"group.id", "o365fwd-test-reader"},
                                             // librdkafka's default, explicit: transactional
                                             // records only once committed, aborted never.
                                             {"isolation.level", "read_committed"},
                                             {"enable.auto.commit", "false"},
                                             {"enable.partition.eof", "true"},
                                             {"reconnect.backoff.max.ms", "200"}});
  if (!rk) return out;
  int partitions = -1;
  while (partitions < 0 && std::chrono::steady_clock::now() < deadline)
    partitions = readyPartitions(rk.get(), topic, 1000);
  if (partitions < 0) {
    ADD_FAILURE() << "topic " << topic << " has no ready partitions at " << bootstrap;
    return out;
  }
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  std::set<int> at_end;
  while (std::chrono::steady_clock::now() < deadline) {
    if (out.size() >= expected && static_cast<int>(at_end.size()) == partitions) break;
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk.get(), 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.insert(m->partition);
    } else if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      at_end.erase(m->partition);
      KafkaRecord r;
      r.topic = rd_kafka_topic_name(m->rkt);
      r.partition = m->partition;
      r.offset = m->offset;
      if (m->key) r.key = std::string(static_cast<const char*>(m->key), m->key_len);
      r.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0;
             rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i)
          r.headers[name] = std::string(static_cast<const char*>(value), size);
      }
      out.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk.get());
  return out;
}

fs::path KafkaBroker::jarDir() {
  fs::path dir;
  if (const char* env = std::getenv("O365FWD_KAFKA_DIR"); env && *env) {
    dir = env;
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    dir = fs::path(home) / ".cache/o365fwd" / (std::string("kafka-") + kKafkaVersion);
  }
  std::error_code ec;
  if (dir.empty() || !fs::exists(dir / ".complete", ec)) return {};
  return dir;
}

std::unique_ptr<KafkaBroker> KafkaBroker::start(const TempDir& dir, std::string* error) {
  // From SetUpTestSuite a gtest failure would only mark the suite's tests skipped (and ctest
  // would count them as skipped, not failed): such callers take the message and fail in SetUp.
  auto fail = [error](const std::string& message) -> std::unique_ptr<KafkaBroker> {
    if (error)
      *error = message;
    else
      ADD_FAILURE() << message;
    return nullptr;
  };
  std::unique_ptr<KafkaBroker> broker(new KafkaBroker());
  broker->jars_ = jarDir();
  if (broker->jars_.empty()) return fail(kNotInstalled);
  broker->dir_ = dir.path() / "kafka";
  fs::create_directories(broker->dir_ / "data");
  int port = freeLoopbackPort();
  int controller = freeLoopbackPort();
  broker->bootstrap_ = "127.0.0.1:" + std::to_string(port);
  broker->config_ = broker->dir_ / "server.properties";
  {
    std::ofstream props(broker->config_);
    props << "process.roles=broker,controller\n"
          << "node.id=1\n"
          << "controller.quorum.voters=1@127.0.0.1:" << controller << "\n"
          << "listeners=PLAINTEXT://127.0.0.1:" << port << ",CONTROLLER://127.0.0.1:" << controller
          << "\n"
          << "advertised.listeners=PLAINTEXT://127.0.0.1:" << port << "\n"
          << "controller.listener.names=CONTROLLER\n"
          << "inter.broker.listener.name=PLAINTEXT\n"
          << "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
          << "log.dirs=" << (broker->dir_ / "data").string() << "\n"
          << "num.partitions=1\n"
          << "auto.create.topics.enable=false\n"
          << "offsets.topic.replication.factor=1\n"
          << "transaction.state.log.replication.factor=1\n"
          << "transaction.state.log.min.isr=1\n"
          << "share.coordinator.state.topic.replication.factor=1\n"
          << "share.coordinator.state.topic.min.isr=1\n"
          << "group.initial.rebalance.delay.ms=0\n";
    std::ofstream log4j(broker->dir_ / "log4j2.properties");
    log4j << "rootLogger.level=INFO\nrootLogger.appenderRef.stdout.ref=STDOUT\n"
          << "appender.stdout.type=Console\nappender.stdout.name=STDOUT\n"
          << "appender.stdout.layout.type=PatternLayout\n"
          << "appender.stdout.layout.pattern=[%d] %p %m (%c)%n\n";
  }
  ChildProcess format;
  ProcessOptions options;
  options.stdout_file = broker->dir_ / "format.log";
  options.stderr_file = broker->dir_ / "format.err";
  Status started = format.start(
      {"java", "-Xmx256m", "-cp", (broker->jars_ / "*").string(), "kafka.tools.StorageTool",
       // "--cluster-id=ID": an id may start with '-', which as a separate argument reads as an
       // option.
       "format", "--cluster-id=" + randomClusterId(), "-c", broker->config_.string()},
      options);
  std::optional<int> rc = started.ok() ? format.wait(std::chrono::seconds(120)) : std::nullopt;
  if (!rc || *rc != 0)
    return fail("kafka StorageTool format failed: " + readFile(broker->dir_ / "format.log") +
                readFile(broker->dir_ / "format.err"));
  if (Status s = broker->launch(); !s.ok())
    return fail(s.error().message + "\n" + broker->logTail());
  return broker;
}

KafkaBroker::~KafkaBroker() {
  stop();
}

Status KafkaBroker::launch() {
  ProcessOptions options;
  options.stdout_file = dir_ / ("broker-" + std::to_string(++launches_) + ".log");
  options.stderr_file = dir_ / ("broker-" + std::to_string(launches_) + ".err");
  options.env["KAFKA_HEAP_OPTS"] = "";
  Status s = child_.start({"java", "-Xms128m", "-Xmx512m", "-XX:+UseSerialGC",
                           "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
                           "-Dlog4j2.configurationFile=" + (dir_ / "log4j2.properties").string(),
                           "-cp", (jars_ / "*").string(), "kafka.Kafka", config_.string()},
                          options);
  if (!s.ok()) return s;
  return waitReady(std::chrono::seconds(90));
}

Status KafkaBroker::waitReady(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Handle rk = makeClient(RD_KAFKA_PRODUCER,
                         {{"bootstrap.servers", bootstrap_}, {"reconnect.backoff.max.ms", "200"}});
  while (std::chrono::steady_clock::now() < deadline) {
    if (!child_.running())
      return Error::permanent(ErrorKind::kInternal, "Kafka broker exited during start-up");
    const rd_kafka_metadata_t* md = nullptr;
    if (rk && rd_kafka_metadata(rk.get(), 0, nullptr, &md, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      int brokers = md->broker_cnt;
      rd_kafka_metadata_destroy(md);
      if (brokers > 0) return okStatus();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Error::permanent(ErrorKind::kTransport,
                          "Kafka broker did not answer metadata requests at " + bootstrap_);
}

Status KafkaBroker::createTopic(const std::string& name, int partitions,
                                const std::map<std::string, std::string>& configs) {
  Handle rk = makeClient(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap_}});
  if (!rk) return Error::permanent(ErrorKind::kInternal, "no admin client");
  char errstr[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(name.c_str(), partitions, 1, errstr, sizeof errstr);
  if (!topic) return Error::permanent(ErrorKind::kInternal, errstr);
  for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(topic, k.c_str(), v.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk.get());
  rd_kafka_CreateTopics(rk.get(), &topic, 1, nullptr, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30000);
  std::string error;
  if (!event) {
    error = "CreateTopics timed out";
  } else {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    size_t count = 0;
    const rd_kafka_topic_result_t** topics =
        result ? rd_kafka_CreateTopics_result_topics(result, &count) : nullptr;
    if (rd_kafka_event_error(event))
      error = rd_kafka_event_error_string(event);
    else if (count == 1 && rd_kafka_topic_result_error(topics[0]))
      error = rd_kafka_topic_result_error_string(topics[0]);
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_NewTopic_destroy(topic);
  if (!error.empty())
    return Error::permanent(ErrorKind::kInternal, "create topic " + name + ": " + error);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline)
    if (readyPartitions(rk.get(), name, 1000) == partitions) return okStatus();
  return Error::permanent(ErrorKind::kInternal, "topic " + name + " has no leaders");
}

void KafkaBroker::stop() {
  if (!child_.running()) return;
  child_.signal(SIGTERM);
  if (!child_.wait(std::chrono::seconds(60))) child_.kill();
}

Status KafkaBroker::restart() {
  stop();
  return launch();
}

bool KafkaBroker::running() {
  return child_.running();
}

std::string KafkaBroker::logTail(std::size_t bytes) const {
  std::string text = readFile(dir_ / ("broker-" + std::to_string(launches_) + ".log")) +
                     readFile(dir_ / ("broker-" + std::to_string(launches_) + ".err"));
  return text.size() > bytes ? text.substr(text.size() - bytes) : text;
}

}  // namespace o365fwd::testing
