#include "sinks/file/file_sink.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/sinks/sink_contract_test.h"

namespace o365fwd::testing {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "o365fwd-filesink-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? fs::path(tmpl) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Holds the sink's writer thread (FileSinkOptions::writer_hook) while closed.
class Gate {
 public:
  void close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait(std::stop_token stop) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, stop, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool open_ = true;
};

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> readLines(const fs::path& path) {
  std::string text = readFile(path);
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    EXPECT_NE(nl, std::string::npos) << path << " ends with a partial line";
    if (nl == std::string::npos) break;
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

std::string linesOf(const std::vector<BatchPtr>& batches) {
  std::string out;
  for (const BatchPtr& b : batches)
    for (std::size_t i = 0; i < b->size(); ++i) out.append(b->raw(i)).append("\n");
  return out;
}

mode_t modeOf(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

struct FileSinkTraits {
  TempDir dir;
  fs::path path = dir.path() / "out" / "audit.ndjson";
  FakeClock clock;
  Random random{1};
  Gate gate;

  std::unique_ptr<Sink> make(std::uint64_t queue_bytes = 0) {
    FileSinkOptions options;
    if (queue_bytes > 0) options.queue_max_bytes = queue_bytes;
    options.writer_hook = [this](std::stop_token stop) { gate.wait(stop); };
    return std::make_unique<FileSink>("file-test", FileSinkConfig{path.string(), 1ull << 30, 3},
                                      clock, random, options);
  }
  std::vector<std::string> destination() {
    return fs::exists(path) ? readLines(path) : std::vector<std::string>{};
  }
  void stall() { gate.close(); }
  void unstall() { gate.open(); }
};

INSTANTIATE_TYPED_TEST_SUITE_P(File, SinkContractTest, FileSinkTraits);

class FileSinkTest : public ::testing::Test {
 protected:
  std::unique_ptr<FileSink> make(std::uint64_t max_size = 1ull << 30, int max_files = 3) {
    FileSinkOptions options;
    options.writer_hook = [this](std::stop_token stop) { gate_.wait(stop); };
    return std::make_unique<FileSink>(
        "file-test", FileSinkConfig{path_.string(), max_size, max_files}, clock_, random_, options);
  }
  // Sends and waits for the report.
  DeliveryReport sendAndWait(Sink& sink, BatchPtr batch) {
    CallbackLog log;
    sink.send(std::move(batch), log.callback(0), {});
    EXPECT_TRUE(sink.flush(std::chrono::seconds(30)).ok());
    EXPECT_EQ(log.calls(0), 1u);
    return log.calls(0) == 1 ? log.report(0) : DeliveryReport{};
  }

  TempDir dir_;
  fs::path path_ = dir_.path() / "audit.ndjson";
  FakeClock clock_;
  Random random_{7};
  Gate gate_;
};

TEST_F(FileSinkTest, DataIsOnDiskWhenDoneFires) {
  auto sink = make();
  ASSERT_TRUE(sink->start().ok());
  BatchPtr first = makeTestBatch("a", 3);
  BatchPtr second = makeTestBatch("b", 2);
  std::string seen_in_callback;
  CallbackLog log;
  sink->send(first, log.callback(0), {});
  sink->send(second,
             [&](DeliveryReport report) {
               EXPECT_EQ(report.status, DeliveryStatus::kDelivered);
               seen_in_callback = readFile(path_);
             },
             {});
  ASSERT_TRUE(sink->flush(std::chrono::seconds(30)).ok());
  EXPECT_EQ(seen_in_callback, linesOf({first, second}));
  EXPECT_EQ(readFile(path_), linesOf({first, second}));
}

// Group commit: batches sent one after another while the writer gathers share one write and one
// sync; the writer goes as soon as group_commit_bytes are queued, not when the wait runs out.
TEST_F(FileSinkTest, SmallBatchesSentTogetherShareOneWriteAndSync) {
  std::vector<BatchPtr> b;
  std::uint64_t bytes = 0;
  for (int i = 0; i < 20; ++i) {
    b.push_back(makeTestBatch("g" + std::to_string(i), 3));
    for (std::size_t r = 0; r < b.back()->size(); ++r) bytes += b.back()->raw(r).size() + 1;
  }
  FileSinkOptions options;
  options.group_commit_wait = std::chrono::minutes(10);  // only the bytes can end the gathering
  options.group_commit_bytes = bytes;
  std::mutex mu;
  std::vector<std::size_t> cycles;
  options.cycle_hook = [&](std::size_t batches) {
    std::lock_guard lock(mu);
    cycles.push_back(batches);
  };
  FileSink sink("file-test", FileSinkConfig{path_.string(), 1ull << 30, 3}, clock_, random_,
                options);
  ASSERT_TRUE(sink.start().ok());
  CallbackLog log;
  for (std::size_t i = 0; i < b.size(); ++i) sink.send(b[i], log.callback(i), {});
  ASSERT_TRUE(sink.flush(std::chrono::seconds(30)).ok());
  for (std::size_t i = 0; i < b.size(); ++i)
    EXPECT_EQ(log.report(i).status, DeliveryStatus::kDelivered);
  EXPECT_EQ(readFile(path_), linesOf(b));
  std::lock_guard lock(mu);
  EXPECT_EQ(cycles, std::vector<std::size_t>{b.size()});
}

// A writer gathering for a group commit stops at once: what it held is written, nothing waits
// for the gathering to time out.
TEST_F(FileSinkTest, StoppingEndsTheGatheringAndWritesWhatIsQueued) {
  FileSinkOptions options;
  options.group_commit_wait = std::chrono::minutes(10);
  options.group_commit_bytes = 1ull << 40;
  auto sink = std::make_unique<FileSink>("file-test", FileSinkConfig{path_.string(), 1ull << 30, 3},
                                         clock_, random_, options);
  ASSERT_TRUE(sink->start().ok());
  BatchPtr batch = makeTestBatch("s", 4);
  CallbackLog log;
  sink->send(batch, log.callback(0), {});
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the writer is gathering
  const auto started = std::chrono::steady_clock::now();
  sink->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::minutes(5));
  ASSERT_EQ(log.calls(0), 1u);
  EXPECT_EQ(log.report(0).status, DeliveryStatus::kDelivered);
  EXPECT_EQ(readFile(path_), linesOf({batch}));
}

TEST_F(FileSinkTest, CreatesDirectoryAndFileWithFixedModesWhateverTheUmask) {
  for (mode_t mask : {mode_t{0}, mode_t{077}}) {
    path_ = dir_.path() / ("umask" + std::to_string(mask)) / "nested" / "audit.ndjson";
    mode_t old = ::umask(mask);
    auto sink = make();
    Status started = sink->start();
    ::umask(old);
    ASSERT_TRUE(started.ok()) << started.error().message;
    EXPECT_EQ(modeOf(path_), 0640u);
    EXPECT_EQ(modeOf(path_.parent_path()), 0750u);
    EXPECT_EQ(modeOf(path_.parent_path().parent_path()), 0750u);
    sink->stop();
  }
}

TEST_F(FileSinkTest, RotatesAtBatchBoundariesKeepingMaxFiles) {
  const std::size_t line = makeTestBatch("r0", 1, 150)->raw(0).size() + 1;
  auto sink = make(2 * line + line / 2, 2);  // two lines fit, a third does not
  ASSERT_TRUE(sink->start().ok());
  std::vector<BatchPtr> b;
  for (int i = 0; i < 7; ++i) {
    b.push_back(makeTestBatch("r" + std::to_string(i), 1, 150));
    ASSERT_EQ(sendAndWait(*sink, b.back()).status, DeliveryStatus::kDelivered);
  }
  EXPECT_EQ(readFile(path_), linesOf({b[6]}));
  EXPECT_EQ(readFile(path_.string() + ".1"), linesOf({b[4], b[5]}));
  EXPECT_EQ(readFile(path_.string() + ".2"), linesOf({b[2], b[3]}));
  EXPECT_FALSE(fs::exists(path_.string() + ".3"));
  EXPECT_EQ(modeOf(path_), 0640u);
}

TEST_F(FileSinkTest, CoalescedBatchesRotateBetweenBatchesNeverInside) {
  const std::size_t line = makeTestBatch("c0", 1, 150)->raw(0).size() + 1;
  auto sink = make(3 * line, 5);
  ASSERT_TRUE(sink->start().ok());
  gate_.close();
  std::vector<BatchPtr> b{makeTestBatch("c0", 2, 150), makeTestBatch("c1", 2, 150),
                          makeTestBatch("c2", 1, 150), makeTestBatch("c3", 5, 150),
                          makeTestBatch("c4", 1, 150)};
  CallbackLog log;
  for (std::size_t i = 0; i < b.size(); ++i) sink->send(b[i], log.callback(i), {});
  gate_.open();
  ASSERT_TRUE(sink->flush(std::chrono::seconds(30)).ok());
  for (std::size_t i = 0; i < b.size(); ++i)
    EXPECT_EQ(log.report(i).status, DeliveryStatus::kDelivered);
  // c0 (2 lines) | c1 + c2 (3 lines) | c3 alone (5 lines > max_size, into a fresh file) | c4
  EXPECT_EQ(readFile(path_.string() + ".3"), linesOf({b[0]}));
  EXPECT_EQ(readFile(path_.string() + ".2"), linesOf({b[1], b[2]}));
  EXPECT_EQ(readFile(path_.string() + ".1"), linesOf({b[3]}));
  EXPECT_EQ(readFile(path_), linesOf({b[4]}));
}

TEST_F(FileSinkTest, MaxFilesZeroKeepsNoRotatedFile) {
  const std::size_t line = makeTestBatch("z0", 1, 150)->raw(0).size() + 1;
  auto sink = make(line, 0);
  ASSERT_TRUE(sink->start().ok());
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(sendAndWait(*sink, makeTestBatch("z" + std::to_string(i), 1, 150)).status,
              DeliveryStatus::kDelivered);
  EXPECT_EQ(readFile(path_), linesOf({makeTestBatch("z2", 1, 150)}));
  EXPECT_FALSE(fs::exists(path_.string() + ".1"));
}

TEST_F(FileSinkTest, PartialLastLineIsTruncatedOnStart) {
  { std::ofstream(path_, std::ios::binary) << "{\"a\":1}\n{\"b\":2}\n{\"partial"; }
  auto sink = make();
  ASSERT_TRUE(sink->start().ok());
  EXPECT_EQ(readFile(path_), "{\"a\":1}\n{\"b\":2}\n");
  BatchPtr batch = makeTestBatch("p", 1);
  ASSERT_EQ(sendAndWait(*sink, batch).status, DeliveryStatus::kDelivered);
  EXPECT_EQ(readFile(path_), "{\"a\":1}\n{\"b\":2}\n" + linesOf({batch}));
  sink->stop();

  { std::ofstream(path_, std::ios::binary | std::ios::trunc) << std::string(200000, 'x'); }
  auto again = make();
  ASSERT_TRUE(again->start().ok());
  EXPECT_EQ(fs::file_size(path_), 0u);  // no newline at all: nothing complete
  again->stop();

  {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << "{}\n" << std::string(100000, 'y');
  }
  auto third = make();
  ASSERT_TRUE(third->start().ok());
  EXPECT_EQ(readFile(path_), "{}\n");  // the newline was found more than one read chunk back
}

// RLIMIT_FSIZE makes write() fail with EFBIG after a partial write, even as root.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limit = old_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit old_{};
  void (*old_handler_)(int) = nullptr;
};

TEST_F(FileSinkTest, WriteErrorIsRetryableAndTheSinkRecovers) {
  auto sink = make();
  ASSERT_TRUE(sink->start().ok());
  BatchPtr a = makeTestBatch("a", 3, 150);
  BatchPtr b = makeTestBatch("b", 3, 150);
  ASSERT_EQ(sendAndWait(*sink, a).status, DeliveryStatus::kDelivered);
  {
    // One and a half lines of b fit: a complete but unacknowledged line must not survive either.
    const std::size_t line = b->raw(0).size() + 1;
    FileSizeLimit limit(linesOf({a}).size() + line + line / 2);
    DeliveryReport report = sendAndWait(*sink, b);
    ASSERT_EQ(report.status, DeliveryStatus::kRetryable);
    ASSERT_TRUE(report.error.has_value());
    EXPECT_EQ(report.error->kind, ErrorKind::kIo);
    EXPECT_TRUE(report.error->retryable);
    EXPECT_NE(report.error->message.find(path_.string()), std::string::npos)
        << report.error->message;
  }
  SinkStats stats = sink->stats();
  EXPECT_EQ(stats.state, SinkState::kDown);
  ASSERT_TRUE(stats.last_error.has_value());
  EXPECT_EQ(stats.failed, 3u);
  EXPECT_GT(fs::file_size(path_), linesOf({a}).size());  // the partial write is still there

  // Within the reopen backoff: answered at once, nothing written.
  EXPECT_EQ(sendAndWait(*sink, b).status, DeliveryStatus::kRetryable);
  clock_.advance(std::chrono::minutes(1));
  ASSERT_EQ(sendAndWait(*sink, b).status, DeliveryStatus::kDelivered);
  EXPECT_EQ(readFile(path_), linesOf({a, b}));  // the unacknowledged bytes were truncated away
  EXPECT_EQ(sink->stats().state, SinkState::kUp);
  EXPECT_EQ(sink->stats().delivered, 6u);
}

TEST_F(FileSinkTest, OpenFailureIsReportedAndRetriedAfterBackoff) {
  fs::path blocker = dir_.path() / "blocker";
  std::ofstream(blocker) << "a file where the directory should be";
  path_ = blocker / "audit.ndjson";
  auto sink = make();
  Status started = sink->start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(sink->stats().state, SinkState::kDown);
  EXPECT_EQ(sendAndWait(*sink, makeTestBatch("x", 1)).status, DeliveryStatus::kRetryable);
  fs::remove(blocker);
  clock_.advance(std::chrono::minutes(1));
  BatchPtr batch = makeTestBatch("y", 2);
  ASSERT_EQ(sendAndWait(*sink, batch).status, DeliveryStatus::kDelivered);
  EXPECT_EQ(readFile(path_), linesOf({batch}));
  EXPECT_EQ(sink->stats().state, SinkState::kUp);
}

TEST_F(FileSinkTest, RefusesANonRegularFile) {
  ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
  auto sink = make();
  Status started = sink->start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().kind, ErrorKind::kConfig);
  EXPECT_FALSE(sink->healthcheck(std::chrono::seconds(1)).ok());
}

TEST_F(FileSinkTest, RecordsThatWouldBreakLinesAreRejectedNotWritten) {
  auto batch = std::make_shared<RecordBatch>(*makeTestBatch("n", 3));
  batch->body[batch->records[1].raw.offset + 1] = '\n';
  auto sink = make();
  ASSERT_TRUE(sink->start().ok());
  DeliveryReport report = sendAndWait(*sink, batch);
  ASSERT_EQ(report.status, DeliveryStatus::kDelivered);
  ASSERT_EQ(report.rejected.size(), 1u);
  EXPECT_EQ(report.rejected[0].index, 1u);
  EXPECT_EQ(readLines(path_),
            (std::vector<std::string>{std::string(batch->raw(0)), std::string(batch->raw(2))}));
  EXPECT_EQ(sink->stats().rejected, 1u);
  EXPECT_EQ(sink->stats().delivered, 2u);
}

TEST_F(FileSinkTest, SendBeforeStartIsRetryable) {
  auto sink = make();
  EXPECT_EQ(sendAndWait(*sink, makeTestBatch("early", 1)).status, DeliveryStatus::kRetryable);
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(FileSinkTest, Healthcheck) {
  auto sink = make();
  EXPECT_TRUE(sink->healthcheck(std::chrono::seconds(1)).ok());
  EXPECT_TRUE(fs::is_empty(dir_.path()));  // the probe file is gone

  path_ = dir_.path() / "not" / "yet" / "audit.ndjson";
  EXPECT_TRUE(make()->healthcheck(std::chrono::seconds(1)).ok());
  EXPECT_FALSE(fs::exists(dir_.path() / "not"));  // a check creates nothing

  fs::path file = dir_.path() / "plain";
  std::ofstream(file) << "x";
  path_ = file / "audit.ndjson";
  EXPECT_FALSE(make()->healthcheck(std::chrono::seconds(1)).ok());

  path_ = dir_.path();
  EXPECT_FALSE(make()->healthcheck(std::chrono::seconds(1)).ok());  // a directory
}

TEST_F(FileSinkTest, FlushWithNothingOutstandingReturnsAtOnceAndStopIsIdempotent) {
  auto sink = make();
  ASSERT_TRUE(sink->start().ok());
  EXPECT_TRUE(sink->flush(std::chrono::milliseconds(0)).ok());
  sink->stop();
  sink->stop();
  EXPECT_TRUE(sink->flush(std::chrono::milliseconds(0)).ok());
}

}  // namespace
}  // namespace o365fwd::testing
