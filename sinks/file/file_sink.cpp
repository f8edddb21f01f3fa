#include "sinks/file/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <system_error>

#include "core/logging.h"
#include "core/thread_name.h"
#include "core/units.h"

namespace o365fwd {
namespace {

namespace fs = std::filesystem;

const char kNewline = '\n';

std::string blobKey(const ContentRef& c) {
  return c.stream.tenant + '\n' + c.stream.content_type + '\n' + c.content_id;
}

}  // namespace

FileSink::FileSink(std::string name, FileSinkConfig config, Clock& clock, Random& random,
                   FileSinkOptions options)
    : name_(std::move(name)),
      config_(std::move(config)),
      clock_(clock),
      random_(random),
      options_(std::move(options)),
      log_(getLogger("sink." + name_)),
      file_(config_.path, config_.max_size, config_.max_files, log_),
      pending_("file sink " + name_, options_.queue_max_bytes, clock_) {}

FileSink::~FileSink() {
  stop();
}

Status FileSink::start() {
  if (pending_.stopped())
    return Error::permanent(ErrorKind::kInternal, "File sink " + name_ + " was stopped");
  if (pending_.started()) return okStatus();
  Status opened = file_.open();  // first: it removes a torn last line
  if (opened.ok()) {
    pending_.markUp();
    noteDurable();
  } else {
    noteFailure(opened.error());
  }
  if (recover_) runRecovery();
  if (opened.ok()) {
    log_->info("File sink started path={} size={} max_size={} max_files={}", config_.path,
               formatSize(file_.size()), formatSize(config_.max_size), config_.max_files);
  }
  pending_.markStarted();
  writer_ = std::jthread([this](std::stop_token stop) { run(stop); });
  return opened;
}

void FileSink::recoverFrom(std::optional<std::string> position, std::uint64_t max_bytes) {
  std::lock_guard lock(pos_mu_);
  recover_ = true;
  recover_position_ = std::move(position);
  recover_max_bytes_ = max_bytes;
}

void FileSink::runRecovery() {
  std::optional<FilePosition> from;
  if (recover_position_) {
    from = FilePosition::decode(*recover_position_);
    if (!from)
      log_->warn(
          "The stored position of this sink is not readable; reading every output file. "
          "path={} position=\"{}\"",
          config_.path, *recover_position_);
  }
  auto tail = recoverTail(config_.path, config_.max_files, from, recover_max_bytes_, *log_);
  {
    std::lock_guard lock(pos_mu_);
    anchored_ = true;
    anchor_ = tail.ok() && tail->read_from ? tail->read_from->encode() : recover_position_;
  }
  if (!tail.ok()) {
    log_->warn(
        "Cannot read what was written after the last commit; records of blobs that were "
        "in flight at a crash may be written again. error={}",
        tail.error().message);
    return;
  }
  log_->info(
      "Recovered the records written after the last commit; they are acknowledged, not written "
      "again, when their blobs are sent again. path={} position=\"{}\" files={} bytes={} "
      "lines={} keys={} lines_without_id={} torn_bytes={} skipped_bytes={}",
      config_.path, recover_position_.value_or("none"), tail->files, tail->bytes_read, tail->lines,
      tail->keys.size(), tail->lines_without_key, tail->torn_bytes, tail->bytes_skipped);
  std::lock_guard lock(pos_mu_);
  recovered_ = std::move(tail->keys);
}

std::uint64_t FileSink::skipRecovered(Item& item) {
  const RecordBatch& b = *item.batch;
  std::uint64_t skipped = 0;
  std::lock_guard lock(pos_mu_);
  if (recovered_.empty()) return 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (b.id(i).empty()) continue;  // cannot be matched: written (docs/STATE.md)
    if (recovered_.erase(batchRecordFileKey(b, i)) == 0) continue;
    if (item.skip.empty()) item.skip.assign(b.size(), false);
    item.skip[i] = true;
    ++skipped;
  }
  recovered_skipped_ += skipped;
  // Its records lie in the recovered tail: the position stays where recovery started until the
  // blob is done.
  if (skipped > 0) open_.insert_or_assign(blobKey(b.content), Position{});
  if (skipped > 0 && recovered_.empty())
    log_->info(
        "Every record recovered after the crash was sent again and not written twice. "
        "records={}",
        recovered_skipped_);
  return skipped;
}

std::uint64_t FileSink::recoveredRecordsSkipped() const {
  std::lock_guard lock(pos_mu_);
  return recovered_skipped_;
}

void FileSink::noteDurable() {
  std::lock_guard lock(pos_mu_);
  FilePosition f{file_.device(), file_.inode(), file_.syncedSize()};
  std::uint64_t generation = durable_ ? durable_->generation : 0;
  if (!durable_ || durable_->file.dev != f.dev || durable_->file.ino != f.ino) ++generation;
  durable_ = Position{false, generation, f};
}

void FileSink::everyStreamListed() {
  std::lock_guard lock(pos_mu_);
  anchored_ = false;
}

std::optional<std::string> FileSink::durablePosition(const std::vector<ContentRef>& done) {
  std::unordered_set<std::string> keys;
  for (const ContentRef& c : done) keys.insert(blobKey(c));
  std::lock_guard lock(pos_mu_);
  if (anchored_) return anchor_;
  if (!durable_) return std::nullopt;  // nothing written by this process yet
  Position earliest = *durable_;
  for (const auto& [blob, at] : open_)
    if (at.before(earliest) && keys.count(blob) == 0) earliest = at;
  // Recovered records, or a batch sent before the file was open: where recovery started (nullopt
  // without recovery: the stored position, from before this process, stays).
  if (earliest.at_start) return anchor_;
  return earliest.file.encode();
}

void FileSink::forgetDone(const std::vector<ContentRef>& done) {
  std::lock_guard lock(pos_mu_);
  for (const ContentRef& c : done) open_.erase(blobKey(c));
}

void FileSink::send(BatchPtr batch, DeliveryCallback done, std::stop_token stop) {
  Item item;
  item.batch = std::move(batch);
  item.done = std::move(done);
  const RecordBatch& b = *item.batch;
  skipRecovered(item);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!item.skip.empty() && item.skip[i]) continue;
    std::string_view raw = b.raw(i);
    const char* reason = nullptr;
    if (raw.empty())
      reason = "empty record";
    else if (!b.lines_flat && std::memchr(raw.data(), '\n', raw.size()))
      reason = "record contains a raw newline, which would break the NDJSON lines";
    if (reason == nullptr) {
      item.bytes += raw.size() + 1;
      ++item.records;
      continue;
    }
    if (item.skip.empty()) item.skip.assign(b.size(), false);
    item.skip[i] = true;
    item.rejected.push_back(RejectedRecord{static_cast<std::uint32_t>(i), reason});
  }
  if (item.records > 0) {
    // The batch lands after today's durable end; the first send of a batch counts.
    std::lock_guard lock(pos_mu_);
    open_.try_emplace(blobKey(b.content), durable_.value_or(Position{}));
  }
  pending_.submit(std::move(item), stop);
}

void FileSink::run(std::stop_token stop) {
  nameThisThread("o365-sink-file");
  std::vector<Item> cycle;
  while (!stop.stop_requested()) {
    if (!pending_.waitForBatches(stop)) break;
    if (options_.writer_hook) {
      options_.writer_hook(stop);
      if (stop.stop_requested()) break;
    }
    if (options_.group_commit_wait.count() > 0)
      pending_.gather(stop, options_.group_commit_wait, options_.group_commit_bytes);
    pending_.takeBatches(cycle, options_.max_cycle_bytes);
    writeCycle(cycle);
    if (options_.cycle_hook) options_.cycle_hook(cycle.size());
    cycle.clear();
  }
}

void FileSink::writeCycle(std::vector<Item>& cycle) {
  if (!ensureOpen()) {
    Error error = pending_.lastError().value_or(
        Error::retryableError(ErrorKind::kIo, "File sink " + name_ + " is down"));
    for (Item& item : cycle) pending_.fail(item, error);
    return;
  }
  std::size_t begin = 0;
  std::uint64_t planned = file_.size();
  for (std::size_t i = 0; i < cycle.size(); ++i) {
    if (file_.wouldExceed(planned, cycle[i].bytes)) {
      if (i > begin) {
        if (std::optional<Error> e = writeGroup(cycle, begin, i)) {
          for (std::size_t j = i; j < cycle.size(); ++j) pending_.fail(cycle[j], *e);
          return;
        }
      }
      if (Status s = file_.rotate(); !s.ok()) {
        noteFailure(s.error());
        for (std::size_t j = i; j < cycle.size(); ++j) pending_.fail(cycle[j], s.error());
        return;
      }
      noteDurable();
      begin = i;
      planned = 0;
    }
    planned += cycle[i].bytes;
  }
  (void)writeGroup(cycle, begin, cycle.size());  // reports its batches itself
}

std::optional<Error> FileSink::writeGroup(std::vector<Item>& cycle, std::size_t begin,
                                          std::size_t end) {
  // Written kMaxIovecs at a time: one vector for a whole group was 32-64 bytes a record, kept
  // (capacity) after the group and not counted by the in-flight budget (issue 10: 64 MiB for one
  // 1 GiB blob). writev takes IOV_MAX at a time anyway; the group is synced once, at its end.
  iov_.clear();
  iov_.reserve(kMaxIovecs);
  Status s = okStatus();
  for (std::size_t k = begin; k < end && s.ok(); ++k) {
    const RecordBatch& b = *cycle[k].batch;
    for (std::size_t i = 0; i < b.size() && s.ok(); ++i) {
      if (!cycle[k].skip.empty() && cycle[k].skip[i]) continue;
      std::string_view raw = b.raw(i);
      iov_.push_back(iovec{const_cast<char*>(raw.data()), raw.size()});
      iov_.push_back(iovec{const_cast<char*>(&kNewline), 1});
      if (iov_.size() + 2 > kMaxIovecs) {
        s = file_.write(iov_);
        iov_.clear();
      }
    }
  }
  if (s.ok() && !iov_.empty()) s = file_.write(iov_);
  iov_.clear();
  if (s.ok()) s = file_.sync();
  if (!s.ok()) {
    file_.abandon();
    noteFailure(s.error());
    for (std::size_t k = begin; k < end; ++k) pending_.fail(cycle[k], s.error());
    return s.error();
  }
  consecutive_failures_ = 0;
  noteDurable();
  if (pending_.markUp()) log_->info("File sink recovered; writing again path={}", config_.path);
  for (std::size_t k = begin; k < end; ++k) pending_.deliver(cycle[k]);
  return std::nullopt;
}

bool FileSink::ensureOpen() {
  if (file_.isOpen()) return true;
  if (clock_.steadyNow() < next_open_at_) return false;
  if (Status s = file_.open(); !s.ok()) {
    noteFailure(s.error());
    return false;
  }
  noteDurable();
  log_->info("Reopened output file path={} size={}", config_.path, formatSize(file_.size()));
  return true;
}

void FileSink::noteFailure(const Error& error) {
  ++consecutive_failures_;
  next_open_at_ = clock_.steadyNow() +
                  backoffDelay(options_.reopen_backoff, consecutive_failures_ - 1, random_);
  if (pending_.markDown(error)) {
    log_->debug("File sink still failing attempt={} error={}", consecutive_failures_,
                error.message);
  } else {
    log_->error("File sink is down; batches are reported for resending error={}", error.message);
  }
}

Status FileSink::flush(std::chrono::milliseconds timeout) {
  return pending_.flush(timeout);
}

void FileSink::stop() {
  std::call_once(stop_once_, [this] {
    pending_.close();
    writer_.request_stop();
    if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) writer_.join();
    pending_.failQueued(
        Error::retryableError(ErrorKind::kCancelled,
                              "File sink " + name_ + " stopped before these records were written"));
    if (!writer_.joinable()) file_.close();
    log_->info("File sink stopped path={}", config_.path);
  });
}

SinkStats FileSink::stats() const {
  return pending_.stats();
}

Status FileSink::healthcheck(std::chrono::milliseconds) {
  const fs::path path(config_.path);
  std::error_code ec;
  auto status = fs::status(path, ec);
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    return Error::permanent(
        ErrorKind::kConfig,
        config_.path + " is not a regular file; sinks[].path must name a regular file");
  }
  // The directory, or the nearest existing ancestor when it will have to be created.
  fs::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  while (!fs::exists(dir, ec) && dir.has_parent_path() && dir.parent_path() != dir)
    dir = dir.parent_path();
  if (!fs::is_directory(dir, ec)) {
    return Error::permanent(ErrorKind::kConfig, dir.string() + " (on the way to " + config_.path +
                                                    ") is not a directory");
  }
  char name[64];
  std::snprintf(name, sizeof name, ".o365fwd-probe-%d-%016llx", static_cast<int>(::getpid()),
                static_cast<unsigned long long>(random_.next()));
  fs::path probe = dir / name;
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    return Error::permanent(ErrorKind::kIo,
                            "Cannot create files in " + dir.string() + ": " +
                                std::error_code(err, std::generic_category()).message() +
                                "; the file sink needs write access there for " + config_.path);
  }
  ::close(fd);
  if (::unlink(probe.c_str()) != 0) {
    int err = errno;
    return Error::permanent(ErrorKind::kIo,
                            "Cannot remove files in " + dir.string() + ": " +
                                std::error_code(err, std::generic_category()).message());
  }
  return okStatus();
}

}  // namespace o365fwd
