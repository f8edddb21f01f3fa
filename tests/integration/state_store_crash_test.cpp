// Crash safety of the SQLite state store: a child process commits in a loop and is SIGKILLed at a
// random moment, 20 times over the same state directory. After each kill the parent reopens the
// store and checks that every commit is all-or-nothing, that every commit the child reported as
// done is there, and that the dead child's lock is free.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "core/random.h"
#include "pipeline/state/sqlite_state_store.h"

namespace o365fwd {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

constexpr int kKills = 20;
// Small, so that merges of recent keys into the main index run (and are killed) too.
constexpr std::size_t kMergeThreshold = 500;
constexpr std::uint64_t kKeysPerBlob = 60;
const WallTime kBase = WallTime(seconds(1'736'856'000));
const StreamKey kStreamA{"contoso", "Audit.Exchange"};
const StreamKey kStreamB{"fabrikam", "DLP.All"};

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

RecordKey keyOf(std::uint64_t seq, int blob, std::uint64_t i) {
  std::uint64_t h = mix(seq * 1'000'003 + static_cast<std::uint64_t>(blob) * 10'007 + i);
  return RecordKey{h, mix(h)};
}

std::string blobId(std::uint64_t seq, int blob) {
  return "20250114" + std::to_string(seq) + "$blob" + std::to_string(blob);
}

// Commit number `seq`: two blobs on two streams, both watermarks at kBase + seq seconds.
std::vector<BlobCommit> commitOf(std::uint64_t seq) {
  std::vector<BlobCommit> blobs;
  for (int b = 0; b < 2; ++b) {
    BlobCommit c;
    c.content = ContentRef{b == 0 ? kStreamA : kStreamB, blobId(seq, b), "", kBase,
                           kBase + std::chrono::hours(24 * 7)};
    for (std::uint64_t i = 0; i < kKeysPerBlob; ++i) c.keys.push_back(keyOf(seq, b, i));
    c.records_forwarded = kKeysPerBlob;
    blobs.push_back(std::move(c));
  }
  return blobs;
}

SqliteStateStoreOptions storeOptions() {
  SqliteStateStoreOptions options;
  options.merge_threshold_keys = kMergeThreshold;
  return options;
}

// The child: opens the store, continues after the last durable commit, and reports each commit
// that returned ok on `report`. Never returns.
[[noreturn]] void childLoop(const fs::path& dir, int report) {
  auto opened = openSqliteStateStore(dir, storeOptions());
  if (!opened.ok()) ::_exit(3);
  auto store = std::move(opened).value();
  auto w = store->watermark(kStreamA);
  if (!w.ok()) ::_exit(4);
  std::uint64_t seq = *w ? static_cast<std::uint64_t>((**w - kBase) / seconds(1)) : 0;
  for (;;) {
    ++seq;
    const WallTime mark = kBase + seconds(seq);
    if (!store->commit(commitOf(seq), {{kStreamA, mark}, {kStreamB, mark}}, mark).ok()) ::_exit(5);
    if (::write(report, &seq, sizeof seq) != sizeof seq) ::_exit(6);
  }
}

// The last commit the child reported before it died (0 if none).
std::uint64_t lastReported(int fd) {
  std::uint64_t last = 0, seq = 0;
  while (::read(fd, &seq, sizeof seq) == sizeof seq) last = seq;
  return last;
}

// Checks the store holds commits 1..n exactly, and returns n. `durable` is the last commit known
// to have returned ok (reported by the child, or seen in an earlier round).
std::uint64_t verify(StateStore& store, std::uint64_t durable) {
  auto wa = store.watermark(kStreamA);
  auto wb = store.watermark(kStreamB);
  EXPECT_TRUE(wa.ok() && wb.ok());
  if (!wa.ok() || !wb.ok() || !*wa) return 0;
  EXPECT_EQ(*wa, *wb) << "both watermarks are written by the same commit";
  const auto n = static_cast<std::uint64_t>((**wa - kBase) / seconds(1));
  EXPECT_GE(n, durable) << "a commit that returned ok must survive the crash";
  EXPECT_LE(n, durable + 1) << "at most the commit in flight at the kill may be extra";

  std::vector<RecordKey> present, absent;
  std::vector<std::string> ids_present_a, ids_absent_a;
  for (std::uint64_t seq = 1; seq <= n + 1; ++seq)
    for (int b = 0; b < 2; ++b) {
      for (std::uint64_t i = 0; i < kKeysPerBlob; ++i)
        (seq <= n ? present : absent).push_back(keyOf(seq, b, i));
      if (b == 0) (seq <= n ? ids_present_a : ids_absent_a).push_back(blobId(seq, b));
    }
  auto seen = store.keysSeen(present);
  EXPECT_TRUE(seen.ok() && std::count(seen->begin(), seen->end(), false) == 0)
      << "keys of commits 1.." << n << " must all be present";
  seen = store.keysSeen(absent);
  EXPECT_TRUE(seen.ok() && std::count(seen->begin(), seen->end(), true) == 0)
      << "keys of commit " << n + 1 << " must all be absent";
  auto done = store.blobsDone(kStreamA, ids_present_a);
  EXPECT_TRUE(done.ok() && std::count(done->begin(), done->end(), false) == 0);
  done = store.blobsDone(kStreamA, ids_absent_a);
  EXPECT_TRUE(done.ok() && std::count(done->begin(), done->end(), true) == 0);
  auto counters = store.counters();
  EXPECT_TRUE(counters.ok());
  if (counters.ok()) {
    EXPECT_EQ(counters->size(), 2u);
    for (const StreamCounters& c : *counters) {
      EXPECT_EQ(c.blobs_done, n) << c.stream.str();
      EXPECT_EQ(c.events_forwarded, n * kKeysPerBlob) << c.stream.str();
      EXPECT_EQ(c.last_success, kBase + seconds(n)) << c.stream.str();
    }
  }
  return n;
}

TEST(StateStoreCrash, EveryCommitIsAllOrNothingAcrossRepeatedKills) {
  char tmpl[] = "/tmp/o365fwd-crash-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const fs::path dir = fs::path(tmpl) / "state";
  Random random(20250114);
  std::uint64_t total = 0;
  int killed_before_first_commit = 0;

  for (int round = 0; round < kKills; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      childLoop(dir, fds[1]);
    }
    ::close(fds[1]);
    // Every fourth round kills during open and recovery; the others after the first commit.
    if (round % 4 != 0) {
      pollfd p{fds[0], POLLIN, 0};
      ASSERT_EQ(::poll(&p, 1, 60'000), 1) << "the child never committed";
    }
    const auto delay_us = static_cast<long>(random.uniform() * 30'000);
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "the child exited by itself with status " << WEXITSTATUS(status);
    std::uint64_t reported = lastReported(fds[0]);
    ::close(fds[0]);
    if (reported == 0) ++killed_before_first_commit;

    auto store = openSqliteStateStore(dir, storeOptions());
    ASSERT_TRUE(store.ok()) << "the dead child's lock must be free: " << store.error().message;
    total = verify(**store, std::max(reported, total));
  }
  std::cout << "commits that survived " << kKills << " kills: " << total << " ("
            << killed_before_first_commit << " kills before the child's first commit)\n";
  EXPECT_GT(total, 0u);
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

}  // namespace
}  // namespace o365fwd
