// The cost of exactly-once into Kafka (docs/CLUSTER.md "Exactly-once into Kafka"): the same blobs
// forwarded into a Kafka sink topic and committed into <group>.state, on a local single-node KRaft
// broker (started here, jars from scripts/install-kafka.sh), two ways, in one run:
// - at-least-once: the Kafka sink (idempotent producer, acks=all) delivers each blob, then the
//   committer's commit writes the state (KafkaStateStore, idempotent producer);
// - exactly-once: the staged Kafka sink, then each commit is one Kafka transaction per partition
//   holding the blobs' records and their state (ExactlyOnceLog).
// A commit covers `blobs-per-commit` blobs (the committer gathers what settled within
// commit_interval, 200 ms: that is the transactions' linger). Prints wall time, records/s,
// commits and transactions per second, and this process's CPU (rusage) per record.
//
//   exactly_once_bench [--blobs 1000] [--records-per-blob 50] [--record-size 800]
//                      [--tenants 30] [--partitions 8] [--blobs-per-commit 1,10,50] [--rounds 3]
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_options.h"
#include "cluster/kafka_group_client.h"
#include "cluster/state/cluster_state_store.h"
#include "cluster/txn/record_stage.h"
#include "cluster/txn/staged_kafka_sink.h"
#include "core/random.h"
#include "sinks/kafka/kafka_sink.h"
#include "tests/support/kafka_broker.h"
#include "tests/support/temp_dir.h"

namespace o365fwd {
namespace {

using Seconds = std::chrono::duration<double>;
const WallTime kT0 = WallTime(std::chrono::seconds(1'736'856'000));

struct Args {
  std::size_t blobs = 1000;
  std::size_t records = 50;
  std::size_t record_size = 800;
  int tenants = 30;
  int partitions = 8;
  std::vector<std::size_t> per_commit = {1, 10, 50};
  int rounds = 3;
};

double cpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

BatchPtr makeBlob(const Args& a, const std::string& run, std::size_t n) {
  auto b = std::make_shared<RecordBatch>();
  b->content.stream = {"tenant" + std::to_string(n % static_cast<std::size_t>(a.tenants)),
                       "Audit.Exchange"};
  b->content.content_id = run + "-" + std::to_string(n);
  b->content.created = kT0 + std::chrono::seconds(n);
  b->content.expiration = b->content.created + std::chrono::hours(24 * 7);
  for (std::size_t i = 0; i < a.records; ++i) {
    const std::string id = run + "-" + std::to_string(n) + "-" + std::to_string(i);
    std::string rec = R"({"Id":")" + id + R"(","Pad":")";
    if (rec.size() + 2 < a.record_size) rec.append(a.record_size - rec.size() - 2, 'x');
    rec += "\"}";
    RecordMeta m;
    m.raw = {static_cast<std::uint32_t>(b->body.size()), static_cast<std::uint32_t>(rec.size())};
    b->body += rec;
    m.id = {static_cast<std::uint32_t>(b->arena.size()), static_cast<std::uint32_t>(id.size())};
    b->arena += id;
    b->records.push_back(m);
  }
  return b;
}

struct Figures {
  double wall = 0, cpu = 0;
  std::size_t commits = 0;
  std::uint64_t transactions = 0;
};

// Sends every blob to `sink` and commits them `per_commit` at a time, as the pipeline does.
Result<Figures> forward(const Args& a, const std::string& run, Sink& sink, ClusterStateStore& store,
                        std::size_t per_commit) {
  std::vector<BatchPtr> blobs;
  for (std::size_t n = 0; n < a.blobs; ++n) blobs.push_back(makeBlob(a, run, n));
  Figures f;
  const double cpu0 = cpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t at = 0; at < blobs.size(); at += per_commit) {
    const std::size_t end = std::min(blobs.size(), at + per_commit);
    std::mutex mu;
    std::condition_variable cv;
    std::size_t done = 0;
    bool failed = false;
    for (std::size_t i = at; i < end; ++i)
      sink.send(blobs[i],
                [&](DeliveryReport r) {
                  std::lock_guard lock(mu);
                  failed = failed || r.status != DeliveryStatus::kDelivered;
                  ++done;
                  cv.notify_all();
                },
                {});
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done == end - at; });
    }
    if (failed) return Error::retryableError(ErrorKind::kSink, "a delivery failed");
    std::vector<BlobCommit> commits;
    std::vector<std::pair<StreamKey, WallTime>> marks;
    for (std::size_t i = at; i < end; ++i) {
      BlobCommit c;
      c.content = blobs[i]->content;
      for (std::size_t r = 0; r < a.records; ++r)
        c.keys.push_back({std::hash<std::string_view>{}(blobs[i]->id(r)), i * a.records + r + 1});
      c.records_forwarded = a.records;
      marks.push_back({c.content.stream, c.content.created});
      commits.push_back(std::move(c));
    }
    if (Status s = store.commit(commits, marks, kT0 + std::chrono::hours(1)); !s.ok())
      return s.error();
    ++f.commits;
  }
  f.wall = Seconds(std::chrono::steady_clock::now() - t0).count();
  f.cpu = cpuSeconds() - cpu0;
  if (auto eos = store.exactlyOnceStats()) f.transactions = eos->transactions_committed;
  return f;
}

int run(const Args& a) {
  testing::TempDir dir("eos-bench");
  auto broker = testing::KafkaBroker::start(dir);
  if (!broker) return std::fprintf(stderr, "the broker did not start\n"), 1;
  if (Status s = broker->createTopic("bench", 3); !s.ok())
    return std::fprintf(stderr, "%s\n", s.error().message.c_str()), 1;
  SystemClock clock;
  Random random(1);
  const double records = static_cast<double>(a.blobs * a.records);
  std::printf("%zu blobs x %zu records of %zu B, %d tenants, %d partitions (load %s)\n", a.blobs,
              a.records, a.record_size, a.tenants, a.partitions, [] {
                static char buf[64];  // "4.30 5.58 8.02 ..."
                FILE* f = std::fopen("/proc/loadavg", "r");
                if (!f || !std::fgets(buf, sizeof buf, f)) return "?";
                std::fclose(f);
                return static_cast<const char*>(buf);
              }());
  int group_n = 0;
  for (int round = 0; round < a.rounds; ++round)
    for (std::size_t per_commit : a.per_commit)
      for (bool eos : {false, true}) {
        ClusterKafkaConfig config;
        config.brokers = broker->bootstrap();
        config.group = "bench" + std::to_string(group_n++);
        config.partitions = a.partitions;
        auto admin = KafkaGroupClient::create(config, "o365fwd-bench-admin");
        if (!admin) return std::fprintf(stderr, "%s\n", admin.error().message.c_str()), 1;
        if (auto t =
                (*admin)->createTopic(stateTopic(config.group), a.partitions, stateTopicConfigs());
            !t)
          return std::fprintf(stderr, "%s\n", t.error().message.c_str()), 1;
        KafkaStateStoreOptions options;
        options.exactly_once = eos;
        auto store =
            openKafkaStateStore(config, "o365fwd-bench", clock, dir.path() / config.group, options);
        if (!store) return std::fprintf(stderr, "%s\n", store.error().message.c_str()), 1;
        std::vector<std::int32_t> all;
        for (int p = 0; p < a.partitions; ++p) all.push_back(p);
        // A topic just created may not be known to the broker's metadata yet: a few tries.
        Status loaded = okStatus();
        for (int attempt = 0; attempt < 30; ++attempt) {
          loaded = (*store)->loadPartitions(all, std::chrono::minutes(2));
          if (loaded.ok()) break;
          std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        if (!loaded.ok()) return std::fprintf(stderr, "%s\n", loaded.error().message.c_str()), 1;
        KafkaSinkConfig sink_config;
        sink_config.brokers = broker->bootstrap();
        sink_config.topic = "bench";
        std::unique_ptr<Sink> sink;
        if (eos)
          sink = std::make_unique<StagedKafkaSink>("kafka", sink_config, *(*store)->recordStage());
        else
          sink = std::make_unique<KafkaSink>("kafka", sink_config, clock, random);
        if (Status s = sink->start(); !s.ok())
          return std::fprintf(stderr, "%s\n", s.error().message.c_str()), 1;
        auto f = forward(a, config.group, *sink, **store, per_commit);
        sink->stop();
        if (!f) return std::fprintf(stderr, "%s\n", f.error().message.c_str()), 1;
        std::printf(
            "round %d  %-13s %3zu blobs/commit: %6.2f s, %8.0f records/s, %6.1f commits/s, "
            "%6.1f transactions/s, CPU %5.2f s = %5.2f us a record\n",
            round + 1, eos ? "exactly-once" : "at-least-once", per_commit, f->wall,
            records / f->wall, static_cast<double>(f->commits) / f->wall,
            static_cast<double>(f->transactions) / f->wall, f->cpu, f->cpu / records * 1e6);
        std::fflush(stdout);
      }
  return 0;
}

}  // namespace
}  // namespace o365fwd

int main(int argc, char** argv) {
  o365fwd::Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--blobs")
      a.blobs = std::stoul(v);
    else if (k == "--records-per-blob")
      a.records = std::stoul(v);
    else if (k == "--record-size")
      a.record_size = std::stoul(v);
    else if (k == "--tenants")
      a.tenants = std::stoi(v);
    else if (k == "--partitions")
      a.partitions = std::stoi(v);
    else if (k == "--rounds")
      a.rounds = std::stoi(v);
    else if (k == "--blobs-per-commit") {
      a.per_commit.clear();
      std::stringstream in(v);
      for (std::string one; std::getline(in, one, ',');) a.per_commit.push_back(std::stoul(one));
    } else {
      return std::fprintf(stderr, "unknown option %s\n", k.c_str()), 2;
    }
  }
  return o365fwd::run(a);
}
