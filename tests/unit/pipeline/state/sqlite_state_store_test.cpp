#include "pipeline/state/sqlite_state_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "tests/unit/pipeline/state/state_store_contract.h"

namespace o365fwd {
namespace {

namespace fs = std::filesystem;
using contract::StateStoreContract;
using std::chrono::hours;
using std::chrono::seconds;
using ::testing::HasSubstr;

const WallTime kT0 = WallTime(seconds(1'736'856'000));  // 2025-01-14T12:00:00Z
const StreamKey kExchange{"contoso", "Audit.Exchange"};
const StreamKey kSharePoint{"contoso", "Audit.SharePoint"};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "o365fwd-state-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

ContentRef blobRef(const StreamKey& stream, std::string id, WallTime created = kT0) {
  return ContentRef{stream, std::move(id), "https://example.invalid/blob", created,
                    created + hours(24 * 7)};
}

BlobCommit blob(const StreamKey& stream, std::string id, std::vector<RecordKey> keys,
                WallTime created = kT0) {
  BlobCommit b;
  b.content = blobRef(stream, std::move(id), created);
  b.keys = std::move(keys);
  b.records_forwarded = b.keys.size();
  return b;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SqliteStateStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<StateStore> open(const SqliteStateStoreOptions& options = {}) {
    auto store = openSqliteStateStore(dir_.path() / "state", options);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }
  fs::path stateDir() const { return dir_.path() / "state"; }

  TempDir dir_;
};

// The StateStore contract (state_store_contract.h) over SQLite in a fresh state_dir; a failed
// write is a fault at "commit:before_commit", as an SQLite error there would be.
class SqliteUnderTest final : public contract::StateStoreUnderTest {
 public:
  std::unique_ptr<StateStore> open() override {
    SqliteStateStoreOptions options;
    options.fail_point = [fail = fail_](std::string_view p) {
      return p == "commit:before_commit" && *fail > 0 && (*fail)-- > 0;
    };
    auto store = openSqliteStateStore(dir_.path() / "state", options);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }
  bool failNextWrite() override {
    *fail_ = 1;
    return true;
  }

 private:
  TempDir dir_;
  std::shared_ptr<int> fail_ = std::make_shared<int>(0);
};

INSTANTIATE_TEST_SUITE_P(Sqlite, StateStoreContract,
                         ::testing::Values(contract::StateStoreContractParam{
                             "Sqlite", [] { return std::make_unique<SqliteUnderTest>(); }}),
                         contract::stateStoreContractName);

TEST_F(SqliteStateStoreTest, CreatesThePrivateStateDirectoryAndWritesThePidIntoTheLock) {
  auto store = open();
  ASSERT_TRUE(store);
  struct stat st {};
  ASSERT_EQ(::stat(stateDir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0027, 0u) << "state_dir must not be group-writable or world-accessible";
  ASSERT_EQ(::stat((stateDir() / "state.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((stateDir() / "lock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(readFile(stateDir() / "lock"), std::to_string(::getpid()) + "\n");
}

TEST_F(SqliteStateStoreTest, SecondOpenOfTheSameDirectoryNamesTheHolderUntilItCloses) {
  auto first = open();
  ASSERT_TRUE(first);
  auto second = openSqliteStateStore(stateDir());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, ErrorKind::kIo);
  EXPECT_FALSE(second.error().retryable);
  EXPECT_EQ(second.error().message, "state directory " + stateDir().string() +
                                        " is in use by another o365fwd process (pid " +
                                        std::to_string(::getpid()) +
                                        "); stop it or use another state_dir");
  first.reset();
  EXPECT_TRUE(openSqliteStateStore(stateDir()).ok());
}

// Everything a commit writes, checked for absence after a failed commit.
void expectNothingOf(StateStore& store, const RecordKey& key) {
  EXPECT_EQ(*store.blobsDone(kExchange, {"new"}), std::vector<bool>{false});
  EXPECT_EQ(*store.keysSeen({key}), std::vector<bool>{false});
  EXPECT_EQ(*store.watermark(kExchange), kT0);
  EXPECT_FALSE(*store.watermark(kSharePoint));
  auto counters = store.counters();
  ASSERT_TRUE(counters.ok());
  ASSERT_EQ(counters->size(), 1u) << "the stream added by the failed commit must be gone";
  EXPECT_EQ((*counters)[0].blobs_done, 1u);
  EXPECT_EQ((*counters)[0].events_forwarded, 1u);
  EXPECT_EQ((*counters)[0].last_success, kT0);
}

TEST_F(SqliteStateStoreTest, ACommitThatFailsAnywhereLeavesNothingBehind) {
  for (std::string point : {"commit:after_blobs", "commit:after_keys", "commit:before_commit"}) {
    SCOPED_TRACE(point);
    TempDir dir;
    SqliteStateStoreOptions options;
    bool armed = false;
    options.fail_point = [&](std::string_view p) { return armed && p == point; };
    auto opened = openSqliteStateStore(dir.path(), options);
    ASSERT_TRUE(opened.ok());
    auto store = std::move(opened).value();
    ASSERT_TRUE(store->commit({blob(kExchange, "old", {{9, 9}})}, {{kExchange, kT0}}, kT0).ok());
    EXPECT_EQ(*store->recordBlobFailure(blobRef(kExchange, "new"), "timeout"), 1);

    armed = true;
    const RecordKey key{7, 7};
    Status s = store->commit({blob(kExchange, "new", {key}), blob(kSharePoint, "sp", {{8, 8}})},
                             {{kExchange, kT0 + hours(1)}, {kSharePoint, kT0}}, kT0 + hours(1));
    ASSERT_FALSE(s.ok());
    EXPECT_THAT(s.error().message, HasSubstr(point));
    expectNothingOf(*store, key);
    EXPECT_EQ(*store->recordBlobFailure(blobRef(kExchange, "new"), "timeout"), 2)
        << "the failure row the commit would have cleared must still be there";

    armed = false;  // the same connection works after the rollback
    ASSERT_TRUE(store->commit({blob(kSharePoint, "sp", {{8, 8}})}, {{kSharePoint, kT0}}, kT0).ok());
    EXPECT_EQ(*store->watermark(kSharePoint), kT0);
    EXPECT_EQ(*store->blobsDone(kSharePoint, {"sp"}), std::vector<bool>{true});
  }
}

TEST_F(SqliteStateStoreTest, AFullDiskFailsTheWholeCommitRetryablyAndSaysWhy) {
  SqliteStateStoreOptions options;
  options.max_page_count = 64;  // 256 KiB: the schema fits, 20000 keys do not
  auto store = open(options);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit({blob(kExchange, "old", {{9, 9}})}, {{kExchange, kT0}}, kT0).ok());
  std::vector<RecordKey> many;
  for (std::uint64_t i = 0; i < 20000; ++i) many.push_back({i * 0x9E3779B97F4A7C15ull, i});
  Status s = store->commit({blob(kExchange, "new", many)}, {{kExchange, kT0 + hours(1)}}, kT0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kIo);
  EXPECT_TRUE(s.error().retryable);
  EXPECT_THAT(s.error().message, HasSubstr("is full"));
  EXPECT_THAT(s.error().message, HasSubstr((stateDir() / "state.db").string()));
  expectNothingOf(*store, many.back());
  auto seen = store->keysSeen(many);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(std::count(seen->begin(), seen->end(), true), 0);
  EXPECT_TRUE(store->commit({blob(kExchange, "small", {{5, 5}})}, {}, kT0).ok());
}

TEST_F(SqliteStateStoreTest, PruneWorksInChunksAndLetsCommitsRunMeanwhile) {
  SqliteStateStoreOptions options;
  options.prune_chunk_rows = 7;
  auto store = open(options);
  ASSERT_TRUE(store);
  std::vector<RecordKey> old_keys;
  for (std::uint64_t i = 0; i < 1000; ++i) old_keys.push_back({i, i});
  ASSERT_TRUE(store->commit({blob(kExchange, "old", old_keys)}, {}, kT0).ok());

  const WallTime later = kT0 + hours(24 * 30);
  std::thread committer([&] {
    for (std::uint64_t i = 0; i < 50; ++i)
      EXPECT_TRUE(store
                      ->commit({blob(kSharePoint, "n" + std::to_string(i), {{100'000 + i, i}})},
                               {{kSharePoint, later + seconds(i)}}, later)
                      .ok());
  });
  ASSERT_TRUE(store->prune(later, hours(24 * 7)).ok());
  committer.join();
  auto seen = store->keysSeen(old_keys);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(std::count(seen->begin(), seen->end(), true), 0);
  EXPECT_EQ(*store->keysSeen({{100'049, 49}}), std::vector<bool>{true});
  EXPECT_EQ(*store->watermark(kSharePoint), later + seconds(49));
}

std::vector<RecordKey> keyRange(std::uint64_t from, std::uint64_t count) {
  std::vector<RecordKey> keys;
  for (std::uint64_t i = from; i < from + count; ++i)
    keys.push_back({i * 0x9E3779B97F4A7C15ull, ~i});  // spread over all 16 merge chunks
  return keys;
}

std::size_t countSeen(StateStore& store, const std::vector<RecordKey>& keys) {
  auto seen = store.keysSeen(keys);
  EXPECT_TRUE(seen.ok());
  return seen.ok() ? static_cast<std::size_t>(std::count(seen->begin(), seen->end(), true)) : 0;
}

TEST_F(SqliteStateStoreTest, KeysStaySeenThroughMergesReopensAndPrunes) {
  SqliteStateStoreOptions options;
  options.merge_threshold_keys = 50;  // merges after almost every commit
  auto store = open(options);
  ASSERT_TRUE(store);
  const auto window = hours(24 * 7);
  std::vector<RecordKey> all;
  for (std::uint64_t c = 0; c < 20; ++c) {
    auto keys = keyRange(c * 30, 30);
    all.insert(all.end(), keys.begin(), keys.end());
    ASSERT_TRUE(store->commit({blob(kExchange, "b" + std::to_string(c), keys)}, {}, kT0).ok());
    ASSERT_EQ(countSeen(*store, all), all.size()) << "after commit " << c;
    if (c == 9) {
      store.reset();  // recent keys not merged yet must come back from the table
      store = open(options);
      ASSERT_TRUE(store);
      ASSERT_EQ(countSeen(*store, all), all.size());
    }
  }
  EXPECT_EQ(countSeen(*store, keyRange(10'000, 100)), 0u);
  // Re-committing a merged key moves its seen time forward, through the next merge.
  const std::vector<RecordKey> refreshed = keyRange(0, 10);
  ASSERT_TRUE(store->commit({blob(kExchange, "again", refreshed)}, {}, kT0 + hours(48)).ok());
  ASSERT_TRUE(store->prune(kT0 + window + seconds(1), window).ok());
  EXPECT_EQ(countSeen(*store, all), refreshed.size());
  EXPECT_EQ(countSeen(*store, refreshed), refreshed.size());
}

TEST_F(SqliteStateStoreTest, ACommitOfManyKeysAppendsEveryOneInRowsOfSixtyFourAndTheRest) {
  SqliteStateStoreOptions options;
  options.merge_threshold_keys = 1'000'000;  // no merge: the keys must come back from the table
  auto store = open(options);
  ASSERT_TRUE(store);
  const std::vector<RecordKey> keys = keyRange(0, 2 * 64 + 22);  // two full statements and 22
  ASSERT_TRUE(store->commit({blob(kExchange, "many", keys)}, {}, kT0).ok());
  ASSERT_EQ(countSeen(*store, keys), keys.size());
  store.reset();
  store = open(options);
  ASSERT_TRUE(store);
  EXPECT_EQ(countSeen(*store, keys), keys.size());
  EXPECT_EQ(countSeen(*store, keyRange(10'000, 64)), 0u);
  // Merged into seen_keys by the prune, still every one.
  ASSERT_TRUE(store->prune(kT0 + hours(1), hours(24 * 7)).ok());
  EXPECT_EQ(countSeen(*store, keys), keys.size());
}

TEST_F(SqliteStateStoreTest, AFailedMergeKeepsTheKeysAndStartsOverLater) {
  SqliteStateStoreOptions options;
  options.merge_threshold_keys = 40;
  int failures_left = 0;
  options.fail_point = [&](std::string_view p) {
    return p == "merge:chunk" && failures_left > 0 && failures_left-- > 0;
  };
  auto store = open(options);
  ASSERT_TRUE(store);
  const auto first = keyRange(0, 100);
  ASSERT_TRUE(store->commit({blob(kExchange, "a", keyRange(0, 30))}, {}, kT0).ok());
  failures_left = 3;  // the merge started by the next commit fails in its first chunks
  ASSERT_TRUE(store->commit({blob(kExchange, "b", keyRange(30, 70))}, {}, kT0).ok())
      << "the commit is durable even when the merge after it fails";
  EXPECT_EQ(failures_left, 2) << "one chunk failed, and the merge stopped there";
  EXPECT_EQ(countSeen(*store, first), first.size());
  failures_left = 2;
  ASSERT_TRUE(store->commit({blob(kExchange, "c", keyRange(100, 50))}, {}, kT0).ok());
  EXPECT_EQ(countSeen(*store, keyRange(0, 150)), 150u);
  Status pruned = store->prune(kT0, hours(24 * 7));
  ASSERT_FALSE(pruned.ok()) << "prune reports a merge failure";
  EXPECT_THAT(pruned.error().message, HasSubstr("merge:chunk"));
  ASSERT_TRUE(store->prune(kT0, hours(24 * 7)).ok());  // the third merge attempt succeeds
  EXPECT_EQ(countSeen(*store, keyRange(0, 150)), 150u);
  store.reset();
  store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(countSeen(*store, keyRange(0, 150)), 150u);
}

TEST_F(SqliteStateStoreTest, AKeyIsSeenByOtherThreadsFromTheMomentItsCommitReturns) {
  SqliteStateStoreOptions options;
  options.merge_threshold_keys = 64;
  options.prune_chunk_rows = 16;
  auto store = open(options);
  ASSERT_TRUE(store);
  std::atomic<std::uint64_t> committed{0};
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      const std::uint64_t n = committed.load();
      if (n > 0) {
        EXPECT_EQ(countSeen(*store, keyRange(0, n * 20)), n * 20) << "after " << n << " commits";
      }
    }
  });
  std::thread pruner([&] {
    for (int i = 0; i < 20 && !stop.load(); ++i) EXPECT_TRUE(store->prune(kT0, hours(24 * 7)).ok());
  });
  for (std::uint64_t c = 0; c < 60; ++c) {
    ASSERT_TRUE(
        store->commit({blob(kExchange, "b" + std::to_string(c), keyRange(c * 20, 20))}, {}, kT0)
            .ok());
    committed.store(c + 1);
  }
  stop.store(true);
  reader.join();
  pruner.join();
  EXPECT_EQ(countSeen(*store, keyRange(0, 1200)), 1200u);
}

TEST_F(SqliteStateStoreTest, ADatabaseFromANewerVersionIsRefused) {
  ASSERT_TRUE(open());  // creates the current version, then closes
  ASSERT_TRUE(setSchemaVersionForTesting(stateDir(), 1000).ok());
  auto store = openSqliteStateStore(stateDir());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::kIo);
  EXPECT_FALSE(store.error().retryable);
  EXPECT_THAT(store.error().message,
              HasSubstr("was written by a newer o365fwd (schema version 1000; "
                        "this o365fwd reads up to "));
  // Version 1 (before sink positions): the later migrations run again and keep what is there.
  ASSERT_TRUE(setSchemaVersionForTesting(stateDir(), 1).ok());
  EXPECT_TRUE(open()) << "a refused open leaves the file and the lock usable";
}

TEST_F(SqliteStateStoreTest, SinkPositionsCommitAtomicallyWithTheBlobsAndSurviveReopen) {
  {
    SqliteStateStoreOptions options;
    bool armed = false;
    options.fail_point = [&](std::string_view p) { return armed && p == "commit:before_commit"; };
    auto store = open(options);
    ASSERT_TRUE(store);
    EXPECT_TRUE(store->sinkPositions()->empty());
    ASSERT_TRUE(
        store->commit({blob(kExchange, "a", {{1, 1}})}, {}, {{"file", "v1 pos=10"}}, kT0).ok());
    armed = true;
    ASSERT_FALSE(
        store->commit({blob(kExchange, "b", {{2, 2}})}, {}, {{"file", "v1 pos=20"}}, kT0).ok());
    armed = false;
    EXPECT_EQ(*store->sinkPositions(), (std::vector<SinkPosition>{{"file", "v1 pos=10"}}))
        << "a failed commit keeps the old position";
    ASSERT_TRUE(store->commit({}, {}, {{"file", "v1 pos=30"}, {"copy", "v1 pos=5"}}, kT0).ok());
  }
  // Reopened after a version-1 stamp: the migration is idempotent and keeps the rows.
  ASSERT_TRUE(setSchemaVersionForTesting(stateDir(), 1).ok());
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->sinkPositions(),
            (std::vector<SinkPosition>{{"copy", "v1 pos=5"}, {"file", "v1 pos=30"}}));
}

TEST_F(SqliteStateStoreTest, AGarbageFileIsRefusedWithWhatToDoAndLeftUntouched) {
  fs::create_directories(stateDir());
  const fs::path db = stateDir() / "state.db";
  std::string garbage;
  for (int i = 0; i < 200; ++i) garbage += "this is not an SQLite database\n";
  std::ofstream(db, std::ios::binary) << garbage;
  auto store = openSqliteStateStore(stateDir());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, ErrorKind::kIo);
  EXPECT_FALSE(store.error().retryable);
  EXPECT_THAT(store.error().message, HasSubstr("state database " + db.string() + " is damaged"));
  EXPECT_THAT(store.error().message,
              HasSubstr("mv " + db.string() + " " + db.string() + ".corrupt"));
  EXPECT_THAT(store.error().message, HasSubstr("collection.initial_lookback"));
  EXPECT_EQ(readFile(db), garbage);
  fs::rename(db, stateDir() / "state.db.corrupt");
  EXPECT_TRUE(open()) << "the lock of the refused open was released";
}

TEST_F(SqliteStateStoreTest, AnotherProgramsSqliteDatabaseIsRefused) {
  fs::create_directories(stateDir());
  const fs::path db = stateDir() / "state.db";
  std::string cmd =
      "sqlite3 '" + db.string() + "' 'CREATE TABLE t(x); INSERT INTO t VALUES (1);' 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "the sqlite3 shell is not installed";
  auto store = openSqliteStateStore(stateDir());
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.error().message, HasSubstr("an SQLite database of another program"));
}

TEST_F(SqliteStateStoreTest, AVersionOneDatabaseIsMigratedKeepingItsStreamsAndBlobs) {
  ASSERT_TRUE(open());  // creates the private directory
  for (const char* suffix : {"", "-wal", "-shm"})
    fs::remove(stateDir() / (std::string("state.db") + suffix));
  const std::int64_t wm_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(kT0.time_since_epoch()).count();
  ASSERT_TRUE(createSchemaForTesting(
                  stateDir(), 1,
                  "INSERT INTO streams (id, tenant, content_type, watermark_ns, blobs_done) VALUES "
                  "(1, 'contoso', 'Audit.Exchange', " +
                      std::to_string(wm_ns) +
                      ", 1); INSERT INTO done_blobs VALUES (1, 'b1', 0, 9000000000000000000);")
                  .ok());
  auto store = open();
  ASSERT_TRUE(store);
  auto wm = store->watermark(kExchange);
  ASSERT_TRUE(wm.ok());
  EXPECT_EQ(*wm, kT0);
  auto done = store->blobsDone(kExchange, {"b1", "b2"});
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(*done, (std::vector<bool>{true, false}));
  auto sweep = store->sweepRecord(kExchange);
  ASSERT_TRUE(sweep.ok());
  EXPECT_FALSE(sweep->last_sweep) << "a migrated stream has never been swept";
  EXPECT_FALSE(sweep->floor);
  ASSERT_TRUE(store->recordSweep(kExchange, kT0).ok());
  EXPECT_EQ(store->sweepRecord(kExchange)->last_sweep, kT0);
}

// records_filtered (schema version 4) survives a restart like the other counters; a version-3
// database gets the column with 0, and `o365fwd status` reads a version-3 file it has not migrated.
TEST_F(SqliteStateStoreTest, AVersionThreeDatabaseGainsRecordsFilteredKeptAcrossARestart) {
  ASSERT_TRUE(open());
  for (const char* suffix : {"", "-wal", "-shm"})
    fs::remove(stateDir() / (std::string("state.db") + suffix));
  ASSERT_TRUE(createSchemaForTesting(stateDir(), 3,
                                     "INSERT INTO streams (id, tenant, content_type, blobs_done, "
                                     "events_forwarded) VALUES (1, 'contoso', 'Audit.Exchange', 2, "
                                     "40);")
                  .ok());
  auto old = readStateCounters(stateDir());
  ASSERT_TRUE(old.ok()) << old.error().message;
  ASSERT_EQ(old->size(), 1u);
  EXPECT_EQ((*old)[0].events_forwarded, 40u);
  EXPECT_EQ((*old)[0].records_filtered, 0u);
  {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ((*store->counters())[0].records_filtered, 0u);
    BlobCommit b = blob(kExchange, "b1", {{1, 1}});
    b.records_filtered = 5;
    ASSERT_TRUE(store->commit({b}, {}, kT0).ok());
  }
  auto store = open();  // a restart
  ASSERT_TRUE(store);
  const StreamCounters c = (*store->counters())[0];
  EXPECT_EQ(c.events_forwarded, 41u);
  EXPECT_EQ(c.records_filtered, 5u);
  EXPECT_EQ((*readStateCounters(stateDir()))[0].records_filtered, 5u);
}

}  // namespace
}  // namespace o365fwd
