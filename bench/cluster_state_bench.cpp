// Measures the Kafka state store of cluster mode (cluster/state/) on a running broker: commits
// blobs of record keys through KafkaStateStore as the committer does (50 blobs a commit), then a
// second store instance (another "host") loads the partitions back, and prints the commit rate,
// the load time and the in-memory index size. bench/cluster_state_bench.sh starts the broker,
// runs this and reads the topic's size on disk.
//
//   cluster_state_bench --brokers HOST:PORT --group G [--partitions 8] [--tenants 30]
//                       [--blobs 10000] [--records-per-blob 100]
//
// Creates <G>.state with the state topic's configs (plus small segments, so the cleaner can
// compact them while the bench runs). Build in Release for meaningful figures.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cluster/cluster_options.h"
#include "cluster/kafka_group_client.h"
#include "cluster/state/cluster_state_store.h"
#include "cluster/state/kafka_state_store.h"
#include "pipeline/state/sqlite_state_store.h"

namespace o365fwd {
namespace {

namespace fs = std::filesystem;
using Seconds = std::chrono::duration<double>;

constexpr std::size_t kBlobsPerCommit = 50;
const WallTime kT0 = WallTime(std::chrono::seconds(1'736'856'000));

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

long maxRssKib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

struct Args {
  std::string brokers, group;
  int partitions = 8;
  int tenants = 30;
  std::size_t blobs = 10'000;
  std::size_t records_per_blob = 100;
};

// Commits the bench's blobs (the same ones for every store) in commits of kBlobsPerCommit; returns
// the seconds spent in commit(), or -1 after printing the error.
double commitAll(const Args& a, StateStore& store, std::size_t& commits) {
  double spent = 0;
  std::uint64_t key = 0;
  commits = 0;
  for (std::size_t done = 0; done < a.blobs;) {
    std::vector<BlobCommit> batch;
    std::vector<std::pair<StreamKey, WallTime>> marks;
    for (std::size_t i = 0; i < kBlobsPerCommit && done < a.blobs; ++i, ++done) {
      BlobCommit b;
      const std::string tenant =
          "tenant" + std::to_string(done % static_cast<std::size_t>(a.tenants));
      const WallTime created = kT0 + std::chrono::seconds(done);
      b.content = ContentRef{{tenant, "Audit.Exchange"},
                             "20250114120000" + std::to_string(mix(done) % 1'000'000'000) + "$" +
                                 std::to_string(done) + "$audit_exchange$Audit_Exchange$emea0020",
                             "",
                             created,
                             created + std::chrono::hours(24 * 7)};
      for (std::size_t r = 0; r < a.records_per_blob; ++r, ++key)
        b.keys.push_back({mix(key), mix(key ^ 0xabcdef)});
      b.records_forwarded = b.keys.size();
      marks.push_back({b.content.stream, created});
      batch.push_back(std::move(b));
    }
    auto t = std::chrono::steady_clock::now();
    Status s = store.commit(batch, marks, kT0 + std::chrono::hours(1));
    spent += Seconds(std::chrono::steady_clock::now() - t).count();
    ++commits;
    if (!s.ok()) {
      std::fprintf(stderr, "commit: %s\n", s.error().message.c_str());
      return -1;
    }
  }
  return spent;
}

int run(const Args& a) {
  ClusterKafkaConfig config;
  config.brokers = a.brokers;
  config.group = a.group;
  config.partitions = a.partitions;
  auto admin = KafkaGroupClient::create(config, "o365fwd-bench-admin");
  if (!admin) return std::fprintf(stderr, "%s\n", admin.error().message.c_str()), 1;
  auto configs = stateTopicConfigs();
  configs["segment.bytes"] = "1048576";
  configs["min.cleanable.dirty.ratio"] = "0.01";
  configs["segment.ms"] = "10000";
  auto topic = (*admin)->createTopic(stateTopic(a.group), a.partitions, configs);
  if (!topic) return std::fprintf(stderr, "%s\n", topic.error().message.c_str()), 1;

  std::vector<std::int32_t> all;
  for (int p = 0; p < a.partitions; ++p) all.push_back(p);
  const fs::path dir = fs::temp_directory_path() / ("o365fwd-cluster-bench-" + a.group);
  SystemClock clock;
  double commit_s = 0;
  std::size_t commits = 0;
  {
    auto store = openKafkaStateStore(config, "o365fwd-bench-writer", clock, dir / "writer");
    if (!store) return std::fprintf(stderr, "%s\n", store.error().message.c_str()), 1;
    if (Status s = (*store)->loadPartitions(all, std::chrono::minutes(5)); !s.ok())
      return std::fprintf(stderr, "%s\n", s.error().message.c_str()), 1;
    commit_s = commitAll(a, **store, commits);
    if (commit_s < 0) return 1;
  }
  const double records = static_cast<double>(a.blobs * a.records_per_blob);
  std::printf(
      "committed: %zu blobs x %zu records = %.0f records, %d tenants, %d partitions, "
      "%zu commits of %zu blobs\n",
      a.blobs, a.records_per_blob, records, a.tenants, a.partitions, commits, kBlobsPerCommit);
  std::printf("commit: %.2f s total, %.1f ms a commit, %.0f records/s\n", commit_s,
              1000 * commit_s / static_cast<double>(commits), records / commit_s);

  auto reader = openKafkaStateStore(config, "o365fwd-bench-reader", clock, dir / "reader");
  if (!reader) return std::fprintf(stderr, "%s\n", reader.error().message.c_str()), 1;
  const long rss_before = maxRssKib();
  auto t = std::chrono::steady_clock::now();
  if (Status s = (*reader)->loadPartitions(all, std::chrono::minutes(10)); !s.ok())
    return std::fprintf(stderr, "load: %s\n", s.error().message.c_str()), 1;
  const double load_s = Seconds(std::chrono::steady_clock::now() - t).count();
  auto* kafka = dynamic_cast<KafkaStateStore*>(reader->get());
  std::printf("load (another instance, all %d partitions): %.2f s, %.0f blobs/s, %.0f records/s\n",
              a.partitions, load_s, static_cast<double>(a.blobs) / load_s, records / load_s);
  std::printf("index: %zu keys, %.1f MiB table (%.1f B a key); max RSS %ld -> %ld MiB\n",
              kafka->keyCount(), static_cast<double>(kafka->indexBytes()) / (1 << 20),
              static_cast<double>(kafka->indexBytes()) / static_cast<double>(kafka->keyCount()),
              rss_before / 1024, maxRssKib() / 1024);

  // Baseline, same run: the same blobs and commits into the single-node SQLite store.
  reader->reset();
  std::size_t sqlite_commits = 0;
  double sqlite_s = 0;
  {
    auto sqlite = openSqliteStateStore(dir / "sqlite");
    if (!sqlite) return std::fprintf(stderr, "%s\n", sqlite.error().message.c_str()), 1;
    sqlite_s = commitAll(a, **sqlite, sqlite_commits);
    if (sqlite_s < 0) return 1;
    if (Status s = (*sqlite)->prune(kT0, std::chrono::hours(24 * 7));
        !s.ok())  // merges, checkpoints
      return std::fprintf(stderr, "%s\n", s.error().message.c_str()), 1;
  }
  std::uintmax_t sqlite_bytes = 0;
  for (const char* f : {"state.db", "state.db-wal"}) {
    std::error_code size_ec;
    auto n = fs::file_size(dir / "sqlite" / f, size_ec);
    if (!size_ec) sqlite_bytes += n;
  }
  std::printf(
      "baseline SQLite store, same blobs and commits: %.2f s (%.1f ms a commit, Kafka/SQLite "
      "%.2f), state.db %.1f MiB = %.1f MiB per million records\n",
      sqlite_s, 1000 * sqlite_s / static_cast<double>(sqlite_commits), commit_s / sqlite_s,
      static_cast<double>(sqlite_bytes) / (1 << 20),
      static_cast<double>(sqlite_bytes) / (1 << 20) * 1e6 / records);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}

}  // namespace
}  // namespace o365fwd

int main(int argc, char** argv) {
  o365fwd::Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--brokers")
      a.brokers = v;
    else if (k == "--group")
      a.group = v;
    else if (k == "--partitions")
      a.partitions = std::atoi(v.c_str());
    else if (k == "--tenants")
      a.tenants = std::atoi(v.c_str());
    else if (k == "--blobs")
      a.blobs = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--records-per-blob")
      a.records_per_blob = std::strtoull(v.c_str(), nullptr, 10);
    else
      return std::fprintf(stderr, "unknown option %s\n", k.c_str()), 2;
  }
  if (a.brokers.empty() || a.group.empty())
    return std::fprintf(stderr, "usage: cluster_state_bench --brokers H:P --group G ...\n"), 2;
  return o365fwd::run(a);
}
