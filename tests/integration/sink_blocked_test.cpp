// A sink error that cannot heal by itself, against a real Kafka broker (auto.create.topics.enable
// is off in tests/support/kafka_broker.cpp) and a topic nobody created: `run --once` ends with the
// remedy printed once and exit status 1, without a flood of retry lines; the daemon keeps
// retrying, shows the sink down with last_error in /status (through `o365fwd status --json`),
// logs the cause once, and delivers everything once the operator created the topic.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "tests/support/forwarder_harness.h"
#include "tests/support/kafka_broker.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

const std::string kTopic = "o365-not-created";

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

// The first sink of `o365fwd status --json`, parsed; a non-object when the daemon did not answer.
rapidjson::Document sinkStatus(ForwarderHarness& fwd) {
  rapidjson::Document sink;
  RunOutcome r = fwd.runCommand({"status", "--json"}, 30s);
  rapidjson::Document doc;
  doc.Parse(r.stdout_text.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("sinks") || doc["sinks"].Empty() ||
      std::string(doc["source"].GetString()) != "live")
    return sink;
  sink.CopyFrom(doc["sinks"][0], sink.GetAllocator());
  return sink;
}

TEST(SinkBlocked, MissingKafkaTopicEndsRunOnceWithTheRemedyOnceAndTheDaemonShowsIt) {
  if (KafkaBroker::jarDir().empty()) GTEST_SKIP() << KafkaBroker::kNotInstalled;
  TempDir dir;
  auto broker = KafkaBroker::start(dir);
  ASSERT_TRUE(broker);
  auto sim = SimProcess::start(
      {"--blobs", "30", "--records-per-blob", "10", "--content-types", "Audit.Exchange"}, dir);
  ASSERT_TRUE(sim);
  ForwarderOptions o;
  // A real deployment notices a created topic within topic.metadata.refresh.interval.ms (5 min by
  // default); the test shortens it so the daemon part does not wait that long.
  o.sinks_yaml = "  - type: kafka\n    brokers: " + broker->bootstrap() + "\n    topic: " + kTopic +
                 "\n    message_timeout: 10s\n    properties:\n"
                 "      topic.metadata.refresh.interval.ms: \"2000\"\n";
  o.health_yaml = "  listen: 127.0.0.1:0\n";
  o.collection_yaml = "    poll_interval: 1h\n";
  ForwarderHarness fwd(*sim, dir, o);

  // 1. run --once: ends on its own (the bounded wait is generous; the figure is printed).
  auto started = std::chrono::steady_clock::now();
  RunOutcome r = fwd.runOnce(120s);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "run --once into a missing topic ended after " << seconds << " s\n";
  ASSERT_TRUE(r.exit_code.has_value()) << "killed after 120 s\n" << r.stderr_text;
  EXPECT_EQ(*r.exit_code, 1) << r.stdout_text << r.stderr_text;
  const std::string remedy = "\"" + kTopic + "\" does not exist";
  EXPECT_EQ(occurrences(r.stderr_text, remedy), 1u) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("kafka-topics.sh --create --topic " + kTopic), std::string::npos)
      << r.stderr_text;
  EXPECT_EQ(occurrences(r.stderr_text, "did not take the blob"), 0u) << r.stderr_text;
  EXPECT_LT(occurrences(r.stderr_text, "\n"), 60u) << r.stderr_text;  // no flood of lines
  EXPECT_NE(r.stdout_text.find("a sink needs the operator"), std::string::npos) << r.stdout_text;
  EXPECT_NE(r.stdout_text.find(remedy), std::string::npos) << r.stdout_text;  // the sink's error

  // 2. The daemon: the sink is down with the cause in /status, the cause is logged once.
  auto daemon = fwd.startDaemon();
  ASSERT_TRUE(daemon->waitForStderr("Health endpoint listening. url=", 60s))
      << daemon->stderrText();
  rapidjson::Document sink;
  auto deadline = std::chrono::steady_clock::now() + 90s;
  while (std::chrono::steady_clock::now() < deadline) {
    sink = sinkStatus(fwd);
    if (sink.IsObject() && std::string(sink["state"].GetString()) == "down" &&
        sink["last_error"].IsObject())
      break;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(sink.IsObject()) << daemon->stderrText();
  EXPECT_STREQ(sink["state"].GetString(), "down");
  ASSERT_TRUE(sink["last_error"].IsObject()) << daemon->stderrText();
  EXPECT_NE(std::string(sink["last_error"]["code"].GetString()).find("UNKNOWN_TOPIC"),
            std::string::npos);
  EXPECT_NE(std::string(sink["last_error"]["message"].GetString()).find(remedy), std::string::npos);
  std::this_thread::sleep_for(5s);  // several retry rounds of every pending blob
  EXPECT_EQ(occurrences(daemon->stderrText(), "A sink did not take the blob"), 1u)
      << daemon->stderrText();

  // 3. The operator creates the topic: everything arrives, the sink is up, recovery is logged.
  ASSERT_TRUE(broker->createTopic(kTopic, 1).ok());
  std::size_t expected = 0;
  for (const LedgerEntry& e : sim->ledger()) expected += e.deliverable() ? 1 : 0;
  std::vector<KafkaRecord> records;
  deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline && records.size() < expected) {
    records = broker->consumeAll(kTopic, expected, 20s);
    if (records.size() < expected) std::this_thread::sleep_for(1s);
  }
  EXPECT_GE(records.size(), expected);
  EXPECT_TRUE(daemon->waitForStderr("Sinks take blobs again", 60s)) << daemon->stderrText();
  daemon->signal(SIGTERM);
  EXPECT_EQ(daemon->wait(90s), 0) << daemon->stderrText();
}

}  // namespace
}  // namespace o365fwd::testing
