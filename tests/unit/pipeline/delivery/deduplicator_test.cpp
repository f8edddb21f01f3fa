#include "pipeline/delivery/deduplicator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/parse/blob_parser.h"
#include "tests/fakes/memory_state_store.h"
#include "tests/support/test_paths.h"

namespace o365fwd {
namespace {

using testing::MemoryStateStore;

RecordBatch makeBatch(const std::vector<std::string>& records, const std::string& content_id,
                      const std::string& tenant = "contoso") {
  std::string body = "[";
  for (std::size_t i = 0; i < records.size(); ++i) body += (i ? "," : "") + records[i];
  body += "]";
  ContentRef content;
  content.stream = StreamKey{tenant, "DLP.All"};
  content.content_id = content_id;
  auto r = parseBlob(std::move(body), content);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : RecordBatch{};
}

std::string rec(const std::string& id, const std::string& op = "Op",
                const std::string& extra = "") {
  return R"({"Id":")" + id + R"(","Operation":")" + op + "\"" + extra + "}";
}

std::vector<std::string> ids(const RecordBatch& batch) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < batch.size(); ++i) out.emplace_back(batch.id(i));
  return out;
}

std::vector<std::string> sampleLines(const std::string& name) {
  std::filesystem::path dir = o365fwd::testing::samplesDir();
  if (dir.empty()) return {};
  std::ifstream in(dir / "beats" / name, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

TEST(Deduplicator, SharePointSampleSameRecordFourTimesKeepsOne) {
  auto lines = sampleLines("04-sharepoint.log");
  if (lines.empty()) GTEST_SKIP() << "public O365 samples not found (set O365FWD_SAMPLES_DIR)";
  ASSERT_EQ(lines.size(), 4u);
  MemoryStateStore store;
  Deduplicator dedup(store);
  RecordBatch batch = makeBatch(lines, "blob-1");
  auto out = dedup.filter(batch, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.raw(0), lines[0]);  // the first occurrence is the one kept
  EXPECT_EQ(out->duplicates_dropped, 3u);
  EXPECT_EQ(out->kept_keys.size(), 1u);
  EXPECT_EQ(store.keysSeenCalls(), 1);
}

TEST(Deduplicator, TellsTheObserverWhenItsInFlightTableGrowsAndShrinks) {
  MemoryStateStore store;
  Deduplicator dedup(store);
  std::vector<std::uint64_t> reported;
  dedup.setMemoryObserver([&](std::uint64_t bytes) { reported.push_back(bytes); });
  const std::uint64_t initial = reported.empty() ? 0 : reported.back();
  std::vector<std::string> records;
  for (int i = 0; i < 20000; ++i) records.push_back(rec("id-" + std::to_string(i)));
  RecordBatch batch = makeBatch(records, "blob-1");
  auto out = dedup.filter(batch, false);
  ASSERT_TRUE(out.ok());
  ASSERT_FALSE(reported.empty());
  // 20,000 keys at most 70 % full: at least 28,572 slots of 40 bytes each.
  EXPECT_GE(reported.back(), 28572u * 40u);
  EXPECT_GT(reported.back(), initial);
  const std::size_t after_filter = reported.size();
  dedup.release(out->kept_keys);
  ASSERT_GT(reported.size(), after_filter);  // released: the table shrank, and said so
  EXPECT_LT(reported.back(), 28572u * 40u);
}

TEST(Deduplicator, DlpMatchAndUndoWithOneIdAreBothKept) {
  auto lines = sampleLines("13-dlp-exchange.log");
  if (lines.empty()) GTEST_SKIP() << "public O365 samples not found (set O365FWD_SAMPLES_DIR)";
  MemoryStateStore store;
  Deduplicator dedup(store);
  RecordBatch batch = makeBatch(lines, "blob-dlp");
  std::set<std::pair<std::string, std::string>> distinct;
  std::string shared_id;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    distinct.emplace(batch.id(i), batch.operation(i));
    if (batch.operation(i) == "DlpRuleUndo") shared_id = batch.id(i);
  }
  ASSERT_FALSE(shared_id.empty());
  auto out = dedup.filter(batch, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(batch.size(), distinct.size());
  std::set<std::string> ops_of_shared;
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch.id(i) == shared_id) ops_of_shared.emplace(batch.operation(i));
  EXPECT_EQ(ops_of_shared, (std::set<std::string>{"DlpRuleMatch", "DlpRuleUndo"}));
}

TEST(Deduplicator, CommittedKeysAreDropped) {
  MemoryStateStore store;
  store.addSeenKeys({RecordKey::of("contoso", "b", "Op")});
  Deduplicator dedup(store);
  RecordBatch batch = makeBatch({rec("a"), rec("b"), rec("c")}, "blob-1");
  auto out = dedup.filter(batch, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(ids(batch), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(out->duplicates_dropped, 1u);
  EXPECT_EQ(out->kept_keys, (std::vector<RecordKey>{RecordKey::of("contoso", "a", "Op"),
                                                    RecordKey::of("contoso", "c", "Op")}));
  EXPECT_EQ(dedup.inFlight(), 2u);  // the committed key is not left in flight
}

TEST(Deduplicator, InFlightKeyOfAnotherBlobDropsTheRecordUntilReleased) {
  MemoryStateStore store;
  Deduplicator dedup(store);
  RecordBatch a = makeBatch({rec("x"), rec("y")}, "blob-A");
  auto out_a = dedup.filter(a, false);
  ASSERT_TRUE(out_a.ok());

  RecordBatch b = makeBatch({rec("y"), rec("z")}, "blob-B");
  auto out_b = dedup.filter(b, false);
  ASSERT_TRUE(out_b.ok());
  EXPECT_EQ(ids(b), (std::vector<std::string>{"z"}));

  // The same blob filtered again (a retry before release) keeps its own records.
  RecordBatch a_again = makeBatch({rec("x"), rec("y")}, "blob-A");
  auto out_a2 = dedup.filter(a_again, false);
  ASSERT_TRUE(out_a2.ok());
  EXPECT_EQ(a_again.size(), 2u);

  // A is abandoned: its keys are released, and a later blob carries the record again.
  dedup.release(out_a->kept_keys);
  dedup.release(out_a2->kept_keys);
  RecordBatch c = makeBatch({rec("y")}, "blob-C");
  auto out_c = dedup.filter(c, false);
  ASSERT_TRUE(out_c.ok());
  EXPECT_EQ(c.size(), 1u);
  dedup.release(out_b->kept_keys);
  dedup.release(out_c->kept_keys);
  EXPECT_EQ(dedup.inFlight(), 0u);
}

TEST(Deduplicator, CommitThenReleaseDropsLaterCopies) {
  MemoryStateStore store;
  Deduplicator dedup(store);
  RecordBatch a = makeBatch({rec("x")}, "blob-A");
  auto out = dedup.filter(a, false);
  ASSERT_TRUE(out.ok());
  BlobCommit commit;
  commit.content = a.content;
  commit.keys = out->kept_keys;
  ASSERT_TRUE(store.commit({commit}, {}, WallTime{}).ok());
  dedup.release(out->kept_keys);
  EXPECT_EQ(dedup.inFlight(), 0u);
  RecordBatch b = makeBatch({rec("x")}, "blob-B");
  auto out_b = dedup.filter(b, false);
  ASSERT_TRUE(out_b.ok());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_TRUE(out_b->kept_keys.empty());
}

TEST(Deduplicator, ReplayKeepsEverythingButRegistersKeys) {
  MemoryStateStore store;
  store.addSeenKeys({RecordKey::of("contoso", "old", "Op")});
  Deduplicator dedup(store);
  RecordBatch replay = makeBatch({rec("old"), rec("old"), rec("new")}, "blob-R");
  auto out = dedup.filter(replay, true);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(replay.size(), 3u);
  EXPECT_EQ(out->duplicates_dropped, 0u);
  EXPECT_EQ(out->kept_keys.size(), 2u);  // each key once
  EXPECT_EQ(store.keysSeenCalls(), 0);

  RecordBatch normal = makeBatch({rec("new"), rec("other")}, "blob-N");
  auto out_n = dedup.filter(normal, false);
  ASSERT_TRUE(out_n.ok());
  EXPECT_EQ(ids(normal), (std::vector<std::string>{"other"}));
  dedup.release(out->kept_keys);
  dedup.release(out_n->kept_keys);
  EXPECT_EQ(dedup.inFlight(), 0u);
}

TEST(Deduplicator, RecordsWithoutIdAreKeptAndCounted) {
  MemoryStateStore store;
  Deduplicator dedup(store);
  RecordBatch batch = makeBatch(
      {R"({"Platform":1})", R"({"Platform":1})", R"({"Id":"","Operation":"Op"})", rec("a")},
      "blob-1");
  auto out = dedup.filter(batch, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(batch.size(), 4u);
  EXPECT_EQ(out->without_id, 3u);
  EXPECT_EQ(out->duplicates_dropped, 0u);
  EXPECT_EQ(out->kept_keys.size(), 1u);
}

// A record without an Id has no key: identical ones, in one blob, in two blobs in flight at once,
// or after the first was committed, are all forwarded (never dropped as duplicates).
TEST(Deduplicator, RecordsWithoutIdAreNeverDuplicatesOfEachOther) {
  MemoryStateStore store;
  Deduplicator dedup(store);
  const std::string same = R"({"Operation":"Op","Platform":1})";
  const std::string numeric = R"({"Id":42,"Operation":"Op"})";  // not a string: no Id
  RecordBatch a = makeBatch({same, same, numeric, numeric}, "blob-1");
  RecordBatch b = makeBatch({same, numeric}, "blob-2");
  auto out_a = dedup.filter(a, false);
  auto out_b = dedup.filter(b, false);
  ASSERT_TRUE(out_a.ok());
  ASSERT_TRUE(out_b.ok());
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_EQ(out_a->without_id, 4u);
  EXPECT_EQ(out_a->duplicates_dropped + out_b->duplicates_dropped, 0u);
  EXPECT_TRUE(out_a->kept_keys.empty());
  BlobCommit commit;
  commit.content = a.content;
  commit.records_forwarded = a.size();
  ASSERT_TRUE(store.commit({commit}, {}, WallTime{}).ok());
  RecordBatch c = makeBatch({same, numeric}, "blob-3");
  auto out_c = dedup.filter(c, false);
  ASSERT_TRUE(out_c.ok());
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(out_c->without_id, 2u);
  EXPECT_EQ(dedup.inFlight(), 0u);
}

TEST(Deduplicator, TenantsAreSeparate) {
  MemoryStateStore store;
  Deduplicator dedup(store);
  RecordBatch a = makeBatch({rec("x")}, "blob-1", "contoso");
  RecordBatch b = makeBatch({rec("x")}, "blob-1", "fabrikam");
  ASSERT_TRUE(dedup.filter(a, false).ok());
  ASSERT_TRUE(dedup.filter(b, false).ok());
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.size(), 1u);
}

TEST(Deduplicator, StoreFailureChangesNothing) {
  MemoryStateStore store;
  store.failNext(MemoryStateStore::Method::kKeysSeen,
                 Error::retryableError(ErrorKind::kIo, "database is locked"));
  Deduplicator dedup(store);
  RecordBatch batch = makeBatch({rec("a"), rec("a"), rec("b")}, "blob-1");
  auto out = dedup.filter(batch, false);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().kind, ErrorKind::kIo);
  EXPECT_EQ(batch.size(), 3u);
  EXPECT_EQ(dedup.inFlight(), 0u);
  auto retry = dedup.filter(batch, false);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(batch.size(), 2u);
}

TEST(Deduplicator, ConcurrentBlobsForwardEachRecordOnce) {
  MemoryStateStore store;
  Deduplicator dedup(store);
  constexpr int kThreads = 4;
  constexpr int kBlobsPerThread = 50;
  std::vector<std::vector<DedupOutcome>> outcomes(kThreads);
  std::vector<std::vector<std::string>> forwarded(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBlobsPerThread; ++b) {
        std::vector<std::string> records;
        for (int r = 0; r < 20; ++r)
          records.push_back(rec(std::to_string((b * 7 + r * 3 + t) % 300)));
        RecordBatch batch =
            makeBatch(records, "blob-" + std::to_string(t) + "-" + std::to_string(b));
        auto out = dedup.filter(batch, false);
        ASSERT_TRUE(out.ok());
        for (std::size_t i = 0; i < batch.size(); ++i) forwarded[t].emplace_back(batch.id(i));
        outcomes[t].push_back(std::move(out).value());
      }
    });
  }
  for (auto& th : threads) th.join();
  std::multiset<std::string> all;
  for (const auto& f : forwarded) all.insert(f.begin(), f.end());
  std::set<std::string> distinct(all.begin(), all.end());
  EXPECT_EQ(all.size(), distinct.size()) << "a record was forwarded twice";
  EXPECT_EQ(dedup.inFlight(), distinct.size());
  for (const auto& per_thread : outcomes)
    for (const DedupOutcome& o : per_thread) dedup.release(o.kept_keys);
  EXPECT_EQ(dedup.inFlight(), 0u);
}

}  // namespace
}  // namespace o365fwd
