// Measures the SQLite state store: commit throughput, keysSeen and blobsDone lookups, prune time
// and size per key, for stores of 1M and 5M record keys, beside an std::unordered_set baseline.
//
//   state_store_bench [--sizes 1000000,5000000] [--dir DIR] [--merge-threshold N] [--mmap BYTES]
//
// DIR (default: a new directory under /tmp) should be on the file system state_dir will use: the
// commit figures include one fsync per commit. Build in Release for meaningful figures.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "pipeline/state/sqlite_state_store.h"

namespace o365fwd {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;

constexpr std::size_t kBlobsPerCommit = 50;
constexpr std::size_t kKeysPerBlob = 100;
constexpr std::size_t kLookups = 200'000;
constexpr std::size_t kLookupBatch = 1'000;
constexpr std::size_t kOldKeys = 1'000'000;  // committed a day earlier, removed by the prune
const WallTime kT0 = WallTime(std::chrono::seconds(1'736'856'000));
const StreamKey kStream{"contoso", "Audit.Exchange"};

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
// The i-th stored key; keys from kMissBase on are never stored.
RecordKey keyAt(std::uint64_t i) {
  return RecordKey{mix(2 * i), mix(2 * i + 1)};
}
constexpr std::uint64_t kMissBase = 1ull << 40;
std::string blobId(std::uint64_t i) {
  return "20250114094512345000000$20250114094512345000000$audit_exchange$Audit_Exchange$na00" +
         std::to_string(i);
}

double secondsSince(SystemClock& clock, SteadyTime start) {
  return std::chrono::duration<double>(clock.steadyNow() - start).count();
}

void die(const Error& e) {
  std::fprintf(stderr, "state_store_bench: %s\n", e.describe().c_str());
  std::exit(1);
}

std::uint64_t fileBytes(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

// Looks up kLookups keys (from `first`, stride `stride`) in batches; returns keys/s.
template <typename Lookup>
double lookupRate(SystemClock& clock, std::uint64_t first, std::uint64_t stride, Lookup&& lookup) {
  std::vector<RecordKey> batch;
  std::size_t found = 0;
  SteadyTime start = clock.steadyNow();
  for (std::size_t done = 0; done < kLookups; done += kLookupBatch) {
    batch.clear();
    for (std::size_t i = 0; i < kLookupBatch; ++i)
      batch.push_back(keyAt(first + ((done + i) * stride)));
    found += lookup(batch);
  }
  double rate = kLookups / secondsSince(clock, start);
  if (found != 0 && found != kLookups)
    std::printf("    (unexpected: %zu of %zu found)\n", found, kLookups);
  return rate;
}

void runSize(const fs::path& root, std::uint64_t size, const SqliteStateStoreOptions& options) {
  SystemClock clock;
  const fs::path dir = root / ("keys-" + std::to_string(size));
  fs::remove_all(dir);
  std::printf("\nstore of %llu keys\n", static_cast<unsigned long long>(size));
  auto opened = openSqliteStateStore(dir, options);
  if (!opened.ok()) die(opened.error());
  auto store = std::move(opened).value();

  // Fill: commits of 50 blobs x 100 keys. The first kOldKeys are seen a day earlier.
  const std::uint64_t per_commit = kBlobsPerCommit * kKeysPerBlob;
  const std::uint64_t commits = size / per_commit;
  std::uint64_t next_key = 0, next_blob = 0;
  // The last fifth of the fill shows the rate at (nearly) full size, merges included.
  double tail_s = 0, fill_s = 0;  // time spent in commit() only
  const std::uint64_t tail = std::max<std::uint64_t>(1, commits / 5);
  for (std::uint64_t c = 0; c < commits; ++c) {
    std::vector<BlobCommit> blobs(kBlobsPerCommit);
    for (BlobCommit& b : blobs) {
      b.content = ContentRef{kStream, blobId(next_blob++), "", kT0, kT0 + hours(24 * 7)};
      for (std::size_t k = 0; k < kKeysPerBlob; ++k) b.keys.push_back(keyAt(next_key++));
      b.records_forwarded = kKeysPerBlob;
    }
    const WallTime now = next_key <= kOldKeys ? kT0 : kT0 + hours(24);
    SteadyTime one = clock.steadyNow();
    if (Status s = store->commit(blobs, {{kStream, now}}, now); !s.ok()) die(s.error());
    const double took = secondsSince(clock, one);
    fill_s += took;
    if (c >= commits - tail) tail_s += took;
  }
  std::printf("  commit %zu blobs x %zu keys, whole fill: %8.0f blobs/s %9.0f keys/s (%.1f s)\n",
              kBlobsPerCommit, kKeysPerBlob, commits * kBlobsPerCommit / fill_s,
              commits * per_commit / fill_s, fill_s);
  std::printf("  commit %zu blobs x %zu keys, last 20%%:    %8.0f blobs/s %9.0f keys/s\n",
              kBlobsPerCommit, kKeysPerBlob, tail * kBlobsPerCommit / tail_s,
              tail * per_commit / tail_s);
  const std::uint64_t stored = next_key;
  const std::uint64_t db_bytes = fileBytes(dir / "state.db");
  std::printf(
      "  size: state.db %.1f MiB = %.1f bytes per key (with %llu done blobs), WAL %.1f MiB\n",
      db_bytes / 1048576.0, double(db_bytes) / double(stored),
      static_cast<unsigned long long>(next_blob), fileBytes(dir / "state.db-wal") / 1048576.0);

  // Lookups: hits spread over the whole store, misses never stored.
  auto viaStore = [&](const std::vector<RecordKey>& keys) {
    auto seen = store->keysSeen(keys);
    if (!seen.ok()) die(seen.error());
    return static_cast<std::size_t>(std::count(seen->begin(), seen->end(), true));
  };
  const std::uint64_t stride = stored / kLookups;
  double hits = lookupRate(clock, 0, stride, viaStore);
  double misses = lookupRate(clock, kMissBase, 1, viaStore);

  std::unordered_set<RecordKey, RecordKeyHash> baseline;
  baseline.reserve(stored);
  SteadyTime start = clock.steadyNow();
  for (std::uint64_t i = 0; i < stored; ++i) baseline.insert(keyAt(i));
  double baseline_insert = stored / secondsSince(clock, start);
  auto viaSet = [&](const std::vector<RecordKey>& keys) {
    std::size_t found = 0;
    for (const RecordKey& k : keys) found += baseline.count(k);
    return found;
  };
  double set_hits = lookupRate(clock, 0, stride, viaSet);
  double set_misses = lookupRate(clock, kMissBase, 1, viaSet);
  baseline = {};
  std::printf("  keysSeen hits:   %10.0f keys/s   unordered_set %11.0f keys/s   ratio %5.1fx\n",
              hits, set_hits, set_hits / hits);
  std::printf("  keysSeen misses: %10.0f keys/s   unordered_set %11.0f keys/s   ratio %5.1fx\n",
              misses, set_misses, set_misses / misses);
  std::printf("  insert for comparison:                     unordered_set %11.0f keys/s\n",
              baseline_insert);

  // blobsDone: batches of 100 content ids, half done, half not.
  start = clock.steadyNow();
  std::size_t asked = 0;
  for (std::uint64_t i = 0; asked < kLookups; i += 100) {
    std::vector<std::string> ids;
    for (std::uint64_t j = 0; j < 100; ++j)
      ids.push_back(blobId(j % 2 == 0 ? (i + j) % next_blob : next_blob + i + j));
    auto done = store->blobsDone(kStream, ids);
    if (!done.ok()) die(done.error());
    asked += ids.size();
  }
  std::printf("  blobsDone:       %10.0f ids/s\n", asked / secondsSince(clock, start));

  // Prune: removes the keys seen a day earlier than the others.
  start = clock.steadyNow();
  if (Status s = store->prune(kT0 + hours(24 * 7) + std::chrono::seconds(1), hours(24 * 7));
      !s.ok())
    die(s.error());
  double prune_s = secondsSince(clock, start);
  std::printf("  prune of %llu keys: %.2f s (%.0f keys/s, in chunks of %zu)\n",
              static_cast<unsigned long long>(std::min(stored, kOldKeys)), prune_s,
              std::min(stored, kOldKeys) / prune_s, options.prune_chunk_rows);
  store.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace o365fwd

int main(int argc, char** argv) {
  using namespace o365fwd;
  std::vector<std::uint64_t> sizes = {1'000'000, 5'000'000};
  fs::path root;
  SqliteStateStoreOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--sizes" && i + 1 < argc) {
      sizes.clear();
      for (std::string_view list = argv[++i]; !list.empty();) {
        auto comma = list.find(',');
        sizes.push_back(std::strtoull(std::string(list.substr(0, comma)).c_str(), nullptr, 10));
        list = comma == std::string_view::npos ? "" : list.substr(comma + 1);
      }
    } else if (arg == "--dir" && i + 1 < argc) {
      root = argv[++i];
    } else if (arg == "--merge-threshold" && i + 1 < argc) {
      options.merge_threshold_keys = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--mmap" && i + 1 < argc) {
      options.mmap_bytes = std::strtoull(argv[++i], nullptr, 10);
    } else if (arg == "--cache-kib" && i + 1 < argc) {
      options.cache_kib = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr,
                   "usage: state_store_bench [--sizes N,N] [--dir DIR] [--merge-threshold N] "
                   "[--mmap BYTES] [--cache-kib KIB]\n");
      return 2;
    }
  }
  bool own_root = root.empty();
  if (own_root) {
    std::string tmpl = (fs::temp_directory_path() / "o365fwd-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return 1;
    root = tmpl;
  }
  std::printf(
      "state store bench: commits of %zu blobs x %zu keys, lookups in batches of %zu, "
      "page cache %zu KiB, mmap %zu bytes, merge threshold %zu keys, directory %s\n",
      kBlobsPerCommit, kKeysPerBlob, kLookupBatch, options.cache_kib, options.mmap_bytes,
      options.merge_threshold_keys, root.c_str());
  for (std::uint64_t size : sizes) runSize(root, size, options);
  if (own_root) fs::remove_all(root);
  return 0;
}
