// Exactly-once into Kafka in cluster mode (issue 12 layer 5, docs/CLUSTER.md "Exactly-once into
// Kafka"): three `o365fwd run` instances with a Kafka sink on the cluster's brokers, a real KRaft
// broker, the simulator with 30 tenants, and 10 seeded events — start an instance, SIGKILL one,
// SIGSTOP one for longer than the session timeout then SIGCONT. A read_committed consumer of the
// sink topic then sees every ledger record exactly once: 0 missing, 0 duplicates.
//
// The seed is printed; O365FWD_CHAOS_SEED=<seed> replays the same events.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <random>
#include <set>

#include "tests/support/cluster_instance.h"
#include "tests/support/kafka_broker.h"
#include "tests/support/ledger.h"
#include "tests/support/sim_process.h"

namespace o365fwd::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kTenants = 30;
constexpr int kPartitions = 8;
constexpr int kEvents = 10;
const std::string kTopic = "o365-audit";

std::uint32_t chaosSeed() {
  if (const char* env = std::getenv("O365FWD_CHAOS_SEED"); env && *env)
    return static_cast<std::uint32_t>(std::strtoul(env, nullptr, 10));
  return std::random_device{}();
}

// The record keys a read_committed consumer sees in the sink topic (with repeats).
std::vector<RecordKey> committedKeys(const KafkaBroker& broker, std::size_t expected) {
  std::vector<KafkaRecord> records = broker.consumeAll(kTopic, expected, 20s);
  std::string ndjson;
  for (const KafkaRecord& r : records) ndjson += r.value + "\n";
  auto keys = recordKeysFromNdjson(ndjson);
  EXPECT_TRUE(keys.ok()) << (keys.ok() ? "" : keys.error().message);
  return keys.ok() ? *keys : std::vector<RecordKey>{};
}

TEST(ClusterExactlyOnce, TenSeededFailuresLeaveEveryRecordExactlyOnceInTheSinkTopic) {
  if (KafkaBroker::jarDir().empty()) GTEST_SKIP() << KafkaBroker::kNotInstalled;
  const std::uint32_t seed = chaosSeed();
  std::cout << "[ chaos    ] seed=" << seed << " (replay: O365FWD_CHAOS_SEED=" << seed << ")\n";
  std::mt19937 rng(seed);
  TempDir dir("cluster-eos");
  auto broker = KafkaBroker::start(dir);
  ASSERT_TRUE(broker);
  ASSERT_TRUE(broker->createTopic(kTopic, 3).ok());
  // 30 tenants; blobs before the start and over the next 80 s, so every event meets content in
  // flight and the last blobs arrive before the events end.
  TempDir sim_dir("cluster-eos-sim");
  auto sim = SimProcess::start(
      {"--tenants", std::to_string(kTenants), "--content-types", "Audit.Exchange", "--blobs", "10",
       "--records-per-blob", "8", "--span", "30s", "--future-span", "80s"},
      sim_dir);
  ASSERT_TRUE(sim);
  ForwarderOptions options =
      ClusterInstance::options("  kafka:\n    brokers: " + broker->bootstrap() +
                               "\n    group: eos\n    partitions: " + std::to_string(kPartitions) +
                               "\n    properties:\n      session.timeout.ms: \"6000\"\n"
                               "      heartbeat.interval.ms: \"1000\"\n");
  options.sinks_yaml =
      "  - type: kafka\n    brokers: " + broker->bootstrap() + "\n    topic: " + kTopic + "\n";

  std::vector<std::unique_ptr<ClusterInstance>> all;  // every instance ever started
  auto startOne = [&]() -> ClusterInstance* {
    all.push_back(std::make_unique<ClusterInstance>(*sim, options));
    all.back()->start();
    return all.back().get();
  };
  auto running = [&] {
    std::vector<ClusterInstance*> out;
    for (auto& i : all)
      if (i->alive()) out.push_back(i.get());
    return out;
  };
  RunOutcome init = ClusterInstance(*sim, options).fwd.runCommand({"cluster", "init"}, 60s);
  ASSERT_EQ(init.exit_code, 0) << init.stdout_text << init.stderr_text;
  for (int i = 0; i < 3; ++i) {
    startOne();
    if (HasFatalFailure()) return;
  }
  std::string why;
  ASSERT_TRUE(waitFor([&] { return clusterSplitSettled(running(), kTenants, &why); }, 60s)) << why;
  ClusterView first = all.front()->view();
  EXPECT_TRUE(first.exactly_once) << first.body;

  const auto began = std::chrono::steady_clock::now();
  int kills = 0, pauses = 0, starts = 0;
  for (int e = 0; e < kEvents; ++e) {
    std::vector<ClusterInstance*> live = running();
    // At least one instance keeps running; at most three run at once.
    enum Kind { kStart, kKill, kPause } kind;
    if (live.size() < 2)
      kind = kStart;
    else if (live.size() >= 3)
      kind = rng() % 2 ? kKill : kPause;
    else
      kind = static_cast<Kind>(rng() % 3);
    const auto at =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - began)
            .count();
    if (kind == kStart) {
      ++starts;
      ClusterInstance* i = startOne();
      if (HasFatalFailure()) return;
      std::cout << "[ chaos    ] " << at << "s event " << e + 1 << ": start " << i->url << "\n";
    } else {
      ClusterInstance* victim = live[rng() % live.size()];
      if (kind == kKill) {
        ++kills;
        std::cout << "[ chaos    ] " << at << "s event " << e + 1 << ": SIGKILL " << victim->url
                  << "\n";
        victim->daemon->kill();
      } else {
        ++pauses;
        std::cout << "[ chaos    ] " << at << "s event " << e + 1 << ": SIGSTOP " << victim->url
                  << " for 9 s (session 6 s), then SIGCONT\n";
        victim->daemon->signal(SIGSTOP);
        std::this_thread::sleep_for(9s);
        victim->daemon->signal(SIGCONT);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2000 + rng() % 3000));
  }
  std::cout << "[ chaos    ] events: " << starts << " starts, " << kills << " kills, " << pauses
            << " pauses\n";

  // The survivors settle and collect what is left.
  ASSERT_TRUE(waitFor([&] { return clusterSplitSettled(running(), kTenants, &why); }, 90s)) << why;
  const std::vector<LedgerEntry> ledger = sim->ledger();
  std::size_t deliverable = 0;
  for (const LedgerEntry& l : ledger) deliverable += l.deliverable() ? 1 : 0;
  DeliveryCheck check;
  ASSERT_TRUE(waitFor(
      [&] {
        check = checkDelivery(ledger, committedKeys(*broker, deliverable));
        return check.missing.empty();
      },
      120s))
      << check.summary();
  EXPECT_TRUE(check.ok()) << check.summary();
  std::uint64_t committed = 0, aborted = 0;
  std::size_t fenced_logs = 0;
  for (ClusterInstance* i : running()) {
    ClusterView v = i->view();
    committed += v.transactions_committed;
    aborted += v.transactions_aborted;
  }
  for (auto& i : all) {
    const std::string err = i->daemon->stderrText();
    for (auto at = err.find("Transactions of a partition fenced"); at != std::string::npos;
         at = err.find("Transactions of a partition fenced", at + 1))
      ++fenced_logs;
  }
  std::cout << "[ chaos    ] delivered=" << check.delivered << " expected=" << check.expected
            << " missing=" << check.missing.size() << " duplicated=" << check.duplicated.size()
            << "; transactions of the survivors: " << committed << " committed, " << aborted
            << " aborted; fenced partitions logged: " << fenced_logs << "\n";
  EXPECT_GT(committed, 0u);
  for (ClusterInstance* i : running()) {
    i->daemon->signal(SIGTERM);
    EXPECT_EQ(i->daemon->wait(60s), 0) << i->daemon->stderrText();
  }
}

}  // namespace
}  // namespace o365fwd::testing
