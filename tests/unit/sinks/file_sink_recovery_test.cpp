// The file sink's crash recovery: positions, tail reading (torn line, rotation, partial blob,
// truncated file, cap) and the acknowledgement of recovered records without writing them again.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sinks/file/file_sink.h"
#include "sinks/file/tail_recovery.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/sinks/sink_contract_test.h"

namespace o365fwd::testing {
namespace {

namespace fs = std::filesystem;

void append(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::app);
  out << text;
}

std::string linesOf(const BatchPtr& b, std::size_t from = 0, std::size_t to = SIZE_MAX) {
  std::string out;
  for (std::size_t i = from; i < std::min(to, b->size()); ++i) out.append(b->raw(i)).append("\n");
  return out;
}

std::uint64_t inodeOf(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0);
  return st.st_ino;
}

// A logger whose output the test can read.
struct CapturedLog {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> logger = std::make_shared<spdlog::logger>(
      "recovery-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(text));
};

TEST(LineRecordKeyTest, FollowsTheParsersRulesForIdAndOperation) {
  EXPECT_EQ(lineRecordKey(R"({"Id":"a\/b","Operation":"Op\u00e9"})"),
            fileRecordKey("a/b", "Op\xc3\xa9"))
      << "escapes are decoded as parseBlobInto decodes them";
  EXPECT_EQ(lineRecordKey(R"({"Nested":{"Id":"x","Operation":"y"},"Operation":"Op","Id":"a"})"),
            fileRecordKey("a", "Op"))
      << "top level only";
  EXPECT_FALSE(lineRecordKey(R"({"Id":12.50,"Operation":"Op"})")) << "an Id must be a string";
  EXPECT_EQ(lineRecordKey(R"({"Id":"a","Operation":15})"), fileRecordKey("a", "15"))
      << "an Operation number keeps its text";
  EXPECT_EQ(lineRecordKey(R"({"Id":"a"})"), fileRecordKey("a", ""));
  EXPECT_EQ(lineRecordKey(R"({"Id":"a","Operation":"Op","Id":"b"})"), fileRecordKey("a", "Op"));
  EXPECT_FALSE(lineRecordKey(R"({"Operation":"Op"})"));
  EXPECT_FALSE(lineRecordKey(R"({"Id":"","Operation":"Op"})"));
  EXPECT_FALSE(lineRecordKey(R"({"Id":null})"));
  EXPECT_FALSE(lineRecordKey(R"({"Id":"a","Operation":)"));
  EXPECT_FALSE(lineRecordKey(R"(["Id","a"])"));
  EXPECT_FALSE(lineRecordKey(""));
}

TEST(LineRecordKeyTest, AServiceHealthLineIsKeyedByItsTenantIdAndLastModified) {
  EXPECT_EQ(lineRecordKey(R"({"o365fwd":{"tenant":"contoso","contentType":"ServiceHealth.Issue"},)"
                          R"("startDateTime":"s","posts":[{"id":"p"}],"id":"EX1",)"
                          R"("lastModifiedDateTime":"2026-12-01T00:00:00Z","Id":"x"})"),
            serviceHealthFileKey("contoso", "EX1", "2026-12-01T00:00:00Z"));
  EXPECT_NE(serviceHealthFileKey("contoso", "EX1", "t"),
            serviceHealthFileKey("fabrikam", "EX1", "t"));
  EXPECT_EQ(lineRecordKey(R"({"Id":"a","Operation":"Op","o365fwd":{"tenant":"t"}})"),
            fileRecordKey("a", "Op"))
      << "only a first member o365fwd makes a service health line";
  EXPECT_FALSE(lineRecordKey(R"({"o365fwd":{"tenant":"t","contentType":"Other"},"id":"a"})"))
      << "an o365fwd record of another kind is not matched";
  EXPECT_FALSE(lineRecordKey(R"({"o365fwd":{"tenant":"t","contentType":"ServiceHealth.Issue"},)"
                             R"("lastModifiedDateTime":"t"})"))
      << "no id";
}

TEST(FilePositionTest, EncodesAndDecodesAndRefusesAnythingElse) {
  FilePosition p{2049, 1234567, 99};
  EXPECT_EQ(p.encode(), "file-v1 dev=2049 ino=1234567 offset=99");
  EXPECT_EQ(FilePosition::decode(p.encode()), p);
  for (const char* bad : {"", "file-v1", "file-v2 dev=1 ino=2 offset=3", "file-v1 dev=1 ino=2",
                          "file-v1 dev=1 ino=2 offset=3 ", "file-v1 dev=x ino=2 offset=3"})
    EXPECT_FALSE(FilePosition::decode(bad)) << bad;
}

class FileSinkRecoveryTest : public ::testing::Test {
 protected:
  std::unique_ptr<FileSink> make(std::uint64_t max_size = 1ull << 30, int max_files = 3) {
    return std::make_unique<FileSink>(
        "file-test", FileSinkConfig{path_.string(), max_size, max_files}, clock_, random_);
  }
  void sendAll(Sink& sink, const std::vector<BatchPtr>& batches) {
    CallbackLog log;
    for (std::size_t i = 0; i < batches.size(); ++i) sink.send(batches[i], log.callback(i), {});
    ASSERT_TRUE(sink.flush(std::chrono::seconds(30)).ok());
    for (std::size_t i = 0; i < batches.size(); ++i) {
      ASSERT_EQ(log.calls(i), 1u);
      EXPECT_EQ(log.report(i).status, DeliveryStatus::kDelivered);
    }
  }
  // A first run: writes `committed`, takes the position a commit of them would store, then
  // writes `inflight` and "crashes" (the sink is dropped; everything it acknowledged is synced).
  std::string firstRun(const std::vector<BatchPtr>& committed,
                       const std::vector<BatchPtr>& inflight, std::uint64_t max_size = 1ull << 30) {
    auto sink = make(max_size);
    EXPECT_TRUE(sink->start().ok());
    sendAll(*sink, committed);
    std::vector<ContentRef> done;
    for (const BatchPtr& b : committed) done.push_back(b->content);
    auto position = sink->durablePosition(done);
    EXPECT_TRUE(position.has_value());
    sink->forgetDone(done);
    sendAll(*sink, inflight);
    return position.value_or("");
  }

  TempDir dir_{"o365fwd-recovery"};
  fs::path path_ = dir_.path() / "audit.ndjson";
  FakeClock clock_;
  Random random_{3};
};

TEST_F(FileSinkRecoveryTest, RecordsAfterTheCommittedPositionAreAcknowledgedNotWrittenAgain) {
  BatchPtr b1 = makeTestBatch("one", 4);
  BatchPtr b2 = makeTestBatch("two", 5);
  BatchPtr b3 = makeTestBatch("three", 2);
  std::string position = firstRun({b1}, {b2});
  append(path_, R"({"Id":"torn-0","Operation":"MailItemsAcc)");  // a write cut by the crash

  auto sink = make();
  sink->recoverFrom(position, 1 << 20);
  ASSERT_TRUE(sink->start().ok());
  EXPECT_EQ(readFile(path_), linesOf(b1) + linesOf(b2)) << "the torn line is removed";
  sendAll(*sink, {b2, b3});  // the rerun sends the in-flight blob again, and a new one
  EXPECT_EQ(sink->recoveredRecordsSkipped(), 5u);
  EXPECT_EQ(readFile(path_), linesOf(b1) + linesOf(b2) + linesOf(b3));
  EXPECT_EQ(sink->stats().delivered, 2u) << "only b3's records were written";

  // Another crash now must find b2's records again: the position stays where recovery started
  // until every stream listed again, and while b2 (recovered records) is not done.
  EXPECT_EQ(sink->durablePosition({b2->content, b3->content}), position);
  sink->everyStreamListed();
  EXPECT_EQ(sink->durablePosition({b3->content}), position);
  auto moved = FilePosition::decode(sink->durablePosition({b2->content, b3->content}).value());
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->offset, readFile(path_).size());
}

TEST_F(FileSinkRecoveryTest, APartialBlobGetsOnlyItsMissingRecords) {
  BatchPtr b1 = makeTestBatch("one", 3);
  BatchPtr b2 = makeTestBatch("two", 6);
  std::string position = firstRun({b1}, {});
  // The crash hit while b2 was being written: three whole lines and part of the fourth.
  std::string fourth = linesOf(b2, 3, 4);
  append(path_, linesOf(b2, 0, 3) + fourth.substr(0, fourth.size() / 2));

  auto sink = make();
  sink->recoverFrom(position, 1 << 20);
  ASSERT_TRUE(sink->start().ok());
  sendAll(*sink, {b2});
  EXPECT_EQ(sink->recoveredRecordsSkipped(), 3u);
  EXPECT_EQ(readFile(path_), linesOf(b1) + linesOf(b2));
}

TEST_F(FileSinkRecoveryTest, RotationBetweenTheCommitAndTheCrashIsFollowedByInode) {
  const std::size_t line = linesOf(makeTestBatch("x", 1)).size();
  BatchPtr b1 = makeTestBatch("one", 2);
  BatchPtr b2 = makeTestBatch("two", 2);
  BatchPtr b3 = makeTestBatch("three", 2);
  BatchPtr b4 = makeTestBatch("four", 2);
  // Three lines fit in a file, so each of b2, b3, b4 rotates: the committed file is
  // audit.ndjson.3 when the crash comes.
  std::string position = firstRun({b1}, {b2, b3, b4}, 3 * line);
  EXPECT_EQ(readFile(path_.string() + ".3"), linesOf(b1));
  EXPECT_EQ(FilePosition::decode(position)->ino, inodeOf(path_.string() + ".3"));

  auto sink = make(3 * line);
  sink->recoverFrom(position, 1 << 20);
  ASSERT_TRUE(sink->start().ok());
  sendAll(*sink, {b2, b3, b4});
  EXPECT_EQ(sink->recoveredRecordsSkipped(), 6u);
  EXPECT_EQ(readFile(path_.string() + ".3") + readFile(path_.string() + ".2") +
                readFile(path_.string() + ".1") + readFile(path_),
            linesOf(b1) + linesOf(b2) + linesOf(b3) + linesOf(b4));
}

TEST_F(FileSinkRecoveryTest, AFileShorterThanItsPositionIsAWarningAndReadFromItsStart) {
  BatchPtr b1 = makeTestBatch("one", 4);
  BatchPtr b2 = makeTestBatch("two", 2);
  std::string position = firstRun({b1}, {});
  // Someone truncated the file (copytruncate) and the forwarder then wrote b2 before crashing.
  fs::resize_file(path_, 0);
  append(path_, linesOf(b2));

  CapturedLog log;
  auto tail = recoverTail(path_, 3, FilePosition::decode(position), 1 << 20, *log.logger);
  ASSERT_TRUE(tail.ok());
  log.logger->flush();
  EXPECT_NE(log.text.str().find("shorter than its last committed position"), std::string::npos)
      << log.text.str();
  EXPECT_EQ(tail->keys.size(), 2u);
  EXPECT_EQ(tail->keys.count(fileRecordKey("two-1", "MailItemsAccessed")), 1u);

  auto sink = make();
  sink->recoverFrom(position, 1 << 20);
  ASSERT_TRUE(sink->start().ok());
  sendAll(*sink, {b2});
  EXPECT_EQ(readFile(path_), linesOf(b2));
}

TEST_F(FileSinkRecoveryTest, AMissingFileOrAnUnreadablePositionReadsEveryFile) {
  BatchPtr b1 = makeTestBatch("one", 2);
  append(path_, linesOf(b1));
  CapturedLog log;
  auto tail = recoverTail(path_, 3, FilePosition{1, 2, 3}, 1 << 20, *log.logger);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->keys.size(), 2u);
  log.logger->flush();
  EXPECT_NE(log.text.str().find("is gone"), std::string::npos);

  auto sink = make();
  sink->recoverFrom("garbage", 1 << 20);
  ASSERT_TRUE(sink->start().ok());
  sendAll(*sink, {b1});
  EXPECT_EQ(readFile(path_), linesOf(b1));
  // No output file at all: nothing to recover, no error.
  auto none = recoverTail(dir_.path() / "none.ndjson", 3, std::nullopt, 1 << 20, *log.logger);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->keys.empty());
}

TEST_F(FileSinkRecoveryTest, TheCapReadsTheNewestPartOfALongTail) {
  BatchPtr old_part = makeTestBatch("old", 10);
  BatchPtr new_part = makeTestBatch("new", 10);
  std::string position = firstRun({}, {});
  append(path_, linesOf(old_part) + linesOf(new_part));
  const std::uint64_t cap = linesOf(new_part).size() + 10;  // all of new_part, a cut line of old

  CapturedLog log;
  auto tail = recoverTail(path_, 3, FilePosition::decode(position), cap, *log.logger);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->keys.size(), 10u) << "the cut line is skipped, not parsed";
  EXPECT_EQ(tail->keys.count(fileRecordKey("new-0", "MailItemsAccessed")), 1u);
  EXPECT_EQ(tail->bytes_skipped, linesOf(old_part).size() - 10);
  log.logger->flush();
  EXPECT_NE(log.text.str().find("longer than the recovery cap"), std::string::npos);
}

TEST_F(FileSinkRecoveryTest, RecordsWithoutIdCannotBeMatchedAndAreWrittenAgain) {
  auto batch = std::make_shared<RecordBatch>(*makeTestBatch("noid", 2));
  for (RecordMeta& m : batch->records) m.id = Span{};
  BatchPtr noid = batch;
  std::string position = firstRun({}, {noid});
  auto sink = make();
  sink->recoverFrom(position, 1 << 20);
  ASSERT_TRUE(sink->start().ok());
  sendAll(*sink, {noid});
  EXPECT_EQ(readFile(path_), linesOf(noid) + linesOf(noid));
}

TEST_F(FileSinkRecoveryTest, ThePositionStaysBeforeEveryBlobNotDoneIncludingFailedOnes) {
  auto sink = make();
  ASSERT_TRUE(sink->start().ok());
  BatchPtr b1 = makeTestBatch("one", 2);
  BatchPtr b2 = makeTestBatch("two", 2);
  const std::uint64_t ino = inodeOf(path_);
  auto offsetOf = [](const std::optional<std::string>& p) {
    return p ? FilePosition::decode(*p)->offset : ~0ull;
  };
  EXPECT_EQ(offsetOf(sink->durablePosition({})), 0u);
  sendAll(*sink, {b1, b2});
  // Neither is done (b1 may have failed on another sink): the position stays before both.
  EXPECT_EQ(offsetOf(sink->durablePosition({})), 0u);
  EXPECT_EQ(FilePosition::decode(*sink->durablePosition({}))->ino, ino);
  EXPECT_LE(offsetOf(sink->durablePosition({b1->content})), linesOf(b1).size())
      << "b2 is still not done";
  sink->forgetDone({b2->content});
  EXPECT_EQ(offsetOf(sink->durablePosition({})), 0u) << "b1 is still not done";
  EXPECT_EQ(offsetOf(sink->durablePosition({b1->content})),
            linesOf(b1).size() + linesOf(b2).size());
  // A failed blob sent again later keeps its first position until it is done.
  sendAll(*sink, {b1});
  EXPECT_EQ(offsetOf(sink->durablePosition({})), 0u);
  sink->forgetDone({b1->content});
  EXPECT_EQ(offsetOf(sink->durablePosition({})), readFile(path_).size());
}

}  // namespace
}  // namespace o365fwd::testing
