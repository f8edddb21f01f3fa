#include "pipeline/delivery/committer.h"

#include <unordered_set>

#include "core/backoff.h"
#include "core/logging.h"
#include "core/thread_name.h"

namespace o365fwd {

Committer::Committer(CommitterOptions options, StateStore& store, Deduplicator& dedup,
                     InflightBudget& budget, StatusBoard& status, DeadLetterWriter& dead_letters,
                     std::vector<Sink*> sinks, Clock& clock, Random& random,
                     CycleFinished cycle_finished)
    : options_(options),
      store_(store),
      dedup_(dedup),
      budget_(budget),
      status_(status),
      dead_letters_(dead_letters),
      sinks_(std::move(sinks)),
      clock_(clock),
      random_(random),
      cycle_finished_(std::move(cycle_finished)) {}

Committer::~Committer() {
  stop(std::chrono::seconds(0));
}

void Committer::start() {
  next_prune_ = clock_.steadyNow() + std::chrono::seconds(30);
  thread_ = std::jthread([this](std::stop_token stop) { loop(stop); });
}

void Committer::stop(std::chrono::milliseconds deadline) {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    stop_deadline_ = clock_.steadyNow() + deadline;
  }
  cv_.notify_all();
  thread_.join();
}

// The thread commits every commit_interval, or at once when max_batch blobs wait: only the latter
// needs a wake-up (a notification per blob and per listed window woke the thread for nothing
// several times per stream and poll — thousands of context switches a minute in a fleet).
void Committer::submit(BlobTaskPtr task) {
  bool full;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
    full = queue_.size() >= options_.max_batch;
  }
  if (full) cv_.notify_all();
}

void Committer::touch(std::shared_ptr<CycleTracker> cycle) {
  std::lock_guard lock(mu_);
  touched_.insert(std::move(cycle));
}

std::uint64_t Committer::commits() const {
  std::lock_guard lock(mu_);
  return commits_;
}

std::uint64_t Committer::commitFailures() const {
  std::lock_guard lock(mu_);
  return commit_failures_;
}

void Committer::loop(std::stop_token) {
  nameThisThread("o365-commit");
  // The committer's own stop source: set once stop() was called and everything is committed.
  std::stop_source give_up;
  for (;;) {
    std::deque<BlobTaskPtr> tasks;
    std::set<std::shared_ptr<CycleTracker>> touched;
    bool stopping;
    {
      std::unique_lock lock(mu_);
      // Gather for up to commit_interval so one transaction covers many blobs.
      cv_.wait_for(lock, options_.commit_interval,
                   [&] { return stopping_ || queue_.size() >= options_.max_batch; });
      stopping = stopping_;
      std::size_t n = std::min(queue_.size(), options_.max_batch * 4);
      for (std::size_t i = 0; i < n; ++i) {
        tasks.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      touched.swap(touched_);
      if (stopping && clock_.steadyNow() >= stop_deadline_) give_up.request_stop();
    }
    if (!tasks.empty() || !touched.empty())
      processRound(std::move(tasks), std::move(touched), give_up.get_token());
    if (clock_.steadyNow() >= next_prune_) {
      if (Status s = store_.prune(clock_.wallNow(), options_.dedup_window); !s.ok())
        getLogger("pipeline.committer")->warn("Pruning the state failed: {}", s.error().describe());
      next_prune_ = clock_.steadyNow() + options_.prune_interval;
    }
    {
      std::lock_guard lock(mu_);
      if (!(stopping_ && queue_.empty() && touched_.empty())) continue;
    }
    commitFinalPositions(give_up.get_token());
    return;
  }
}

void Committer::commitFinalPositions(std::stop_token stop) {
  std::vector<SinkPosition> positions;
  for (Sink* sink : sinks_)
    if (auto p = sink->durablePosition({})) positions.push_back({sink->name(), std::move(*p)});
  if (positions.empty() || positions == last_positions_) return;
  if (commitWithRetry({}, {}, positions, stop)) last_positions_ = std::move(positions);
}

bool Committer::writeDeadLetters(BlobTask& task, std::uint64_t& written) {
  for (const RejectedRecord& r : task.rejected) {
    auto path = dead_letters_.write(task.content, "rejected", r.reason, task.batch->raw(r.index));
    if (!path.ok()) {
      getLogger("pipeline.committer")
          ->error(
              "Cannot write a dead letter; the blob stays not done and is retried. tenant={} "
              "content_type={} content_id={} error={}",
              task.content.stream.tenant, task.content.stream.content_type, task.content.content_id,
              path.error().describe());
      return false;
    }
    getLogger("pipeline.committer")
        ->error(
            "Record rejected by a sink, kept as a dead letter. tenant={} content_type={} "
            "content_id={} "
            "record_id={} reason=\"{}\" file={}",
            task.content.stream.tenant, task.content.stream.content_type, task.content.content_id,
            task.batch->id(r.index), r.reason, path->string());
    ++written;
  }
  return true;
}

bool Committer::commitWithRetry(const std::vector<BlobCommit>& commits,
                                const std::vector<std::pair<StreamKey, WallTime>>& watermarks,
                                const std::vector<SinkPosition>& positions, std::stop_token stop) {
  BackoffPolicy policy{std::chrono::milliseconds(200), std::chrono::seconds(30),
                       std::chrono::milliseconds(100)};
  for (int attempt = 0;; ++attempt) {
    Status s = store_.commit(commits, watermarks, positions, clock_.wallNow());
    if (s.ok()) {
      if (!positions.empty()) last_positions_ = positions;
      std::lock_guard lock(mu_);
      ++commits_;
      return true;
    }
    {
      std::lock_guard lock(mu_);
      ++commit_failures_;
    }
    getLogger("pipeline.committer")
        ->error(
            "Committing collection state failed; nothing is acknowledged until it succeeds. "
            "blobs={} attempt={} error={}",
            commits.size(), attempt + 1, s.error().describe());
    for (const BlobCommit& c : commits)
      status_.recordError(c.content.stream, s.error(), StreamState::kError);
    if (stop.stop_requested()) return false;
    if (!clock_.sleepFor(backoffDelay(policy, attempt, random_), stop)) return false;
  }
}

void Committer::processRound(std::deque<BlobTaskPtr> tasks,
                             std::set<std::shared_ptr<CycleTracker>> touched,
                             std::stop_token stop) {
  std::vector<BlobCommit> commits;
  std::vector<BlobTaskPtr> committed;
  std::vector<BlobTaskPtr> failed;
  for (BlobTaskPtr& task : tasks) {
    std::uint64_t dead = 0;
    if (task->outcome == BlobOutcome::kDelivered && !writeDeadLetters(*task, dead)) {
      task->outcome = BlobOutcome::kFailed;
      task->error = Error::retryableError(ErrorKind::kIo, "cannot write dead letters");
    }
    if (task->outcome == BlobOutcome::kFailed || task->outcome == BlobOutcome::kPending) {
      failed.push_back(task);
      continue;
    }
    BlobCommit c;
    c.content = task->content;
    c.duplicates_dropped = task->duplicates_dropped;
    c.records_filtered = task->records_filtered;
    if (task->outcome == BlobOutcome::kDelivered) {
      std::unordered_set<std::uint32_t> rejected;
      for (const RejectedRecord& r : task->rejected) rejected.insert(r.index);
      c.keys = task->keys;
      c.records_forwarded = task->records_sent - rejected.size();
      c.dead_lettered = dead;
    } else if (task->outcome == BlobOutcome::kDeadLettered) {
      c.dead_lettered = 1;
    }
    commits.push_back(std::move(c));
    committed.push_back(task);
  }
  for (BlobTaskPtr& task : committed) {
    if (task->outcome == BlobOutcome::kLost) {
      std::string reason = task->error ? task->error->describe() : "expired";
      if (Status s = store_.recordLostBlob(task->content, reason); !s.ok())
        getLogger("pipeline.committer")->warn("Cannot count a lost blob: {}", s.error().describe());
    }
    task->cycle->resolve(task->content, true);
    touched.insert(task->cycle);
  }
  for (BlobTaskPtr& task : failed) {
    task->cycle->resolve(task->content, false);
    touched.insert(task->cycle);
  }
  std::vector<std::pair<StreamKey, WallTime>> watermarks;
  for (const auto& cycle : touched)
    if (auto w = cycle->watermarkCandidate()) watermarks.emplace_back(cycle->stream(), *w);

  // The blobs this commit marks done: the sinks' stored positions may move past their records.
  std::vector<ContentRef> done;
  for (const BlobCommit& c : commits) done.push_back(c.content);
  std::vector<SinkPosition> positions;
  for (Sink* sink : sinks_)
    if (auto p = sink->durablePosition(done)) positions.push_back({sink->name(), std::move(*p)});

  if ((!commits.empty() || !watermarks.empty()) &&
      !commitWithRetry(commits, watermarks, positions, stop)) {
    // Shutting down with a failing store: nothing of this round is done; the blobs are collected
    // again on the next start. Release memory and keys so shutdown can finish.
    for (BlobTaskPtr& task : committed) {
      dedup_.release(task->keys);
      if (task->holds_slot) budget_.release(task->held_bytes);
    }
    for (BlobTaskPtr& task : failed) {
      dedup_.release(task->keys);
      if (task->holds_slot) budget_.release(task->held_bytes);
    }
    return;
  }
  for (Sink* sink : sinks_) sink->forgetDone(done);
  // commits[i] belongs to committed[i].
  for (std::size_t i = 0; i < committed.size(); ++i) {
    BlobTaskPtr& task = committed[i];
    const BlobCommit& c = commits[i];
    status_.update(task->content.stream, [&](StreamStatus& s) {
      ++s.blobs_done;
      if (s.blobs_pending > 0) --s.blobs_pending;
      s.events_forwarded += c.records_forwarded;
      s.events_forwarded_run += c.records_forwarded;
      s.duplicates_dropped += c.duplicates_dropped;
      s.records_filtered += c.records_filtered;
      s.records_filtered_run += c.records_filtered;
      s.dead_lettered += c.dead_lettered;
      s.bytes_forwarded += task->record_bytes;
      s.records_without_id += task->without_id;
      s.records_invalid_utf8 += task->invalid_utf8;
      s.dead_lettered_run += c.dead_lettered;
      if (task->outcome == BlobOutcome::kLost) {
        ++s.blobs_lost;
        ++s.blobs_lost_run;
      }
    });
    dedup_.release(task->keys);
    if (task->holds_slot) budget_.release(task->held_bytes);
  }
  for (BlobTaskPtr& task : failed) {
    status_.update(task->content.stream, [&](StreamStatus& s) {
      ++s.blobs_failed;
      if (s.blobs_pending > 0) --s.blobs_pending;
    });
    dedup_.release(task->keys);
    if (task->holds_slot) budget_.release(task->held_bytes);
  }
  for (const auto& [stream, w] : watermarks) {
    const WallTime mark = w;  // clang 14 cannot capture a structured binding
    status_.update(stream, [&](StreamStatus& s) {
      if (!s.watermark || *s.watermark < mark) s.watermark = mark;
    });
  }
  for (const auto& cycle : touched)
    if (cycle->claimFinish()) cycle_finished_(cycle);
}

}  // namespace o365fwd
