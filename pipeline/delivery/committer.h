#pragma once
// The only writer of collection progress. Receives blobs whose fate is settled (delivered to every
// sink, dead-lettered, lost, or failed for this cycle) and listing progress, and turns them into
// StateStore commits: every commit_interval (or when max_batch blobs are staged) one transaction
// marks the delivered blobs done, records their record keys, adds counters and moves the
// watermarks of the affected streams (CycleTracker's contiguous-prefix rule).
//
// Promises: a blob becomes done only in the same transaction that records its keys, and only
// after every sink acknowledged it (Delivery) and every record some sink rejected was written to a
// dead letter; a failed commit is retried and nothing is released before it succeeded; after a
// commit the blobs' in-flight keys and budget are released and cycle_finished fires once per
// finished cycle. Each commit also stores every sink's durablePosition() (sinks/sink.h: the file
// sink's crash recovery), and the settled batches are then forgotten by the sinks. Owns one thread.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "core/clock.h"
#include "core/random.h"
#include "pipeline/blob_task.h"
#include "pipeline/delivery/dead_letter.h"
#include "pipeline/delivery/deduplicator.h"
#include "pipeline/inflight_budget.h"
#include "pipeline/state/state_store.h"
#include "pipeline/status_board.h"

namespace o365fwd {

struct CommitterOptions {
  std::chrono::milliseconds commit_interval{200};
  std::size_t max_batch = 512;
  std::chrono::milliseconds prune_interval{std::chrono::minutes(10)};
  std::chrono::milliseconds dedup_window{std::chrono::hours(24 * 7)};
};

class Committer {
 public:
  using CycleFinished = std::function<void(const std::shared_ptr<CycleTracker>&)>;

  Committer(CommitterOptions options, StateStore& store, Deduplicator& dedup,
            InflightBudget& budget, StatusBoard& status, DeadLetterWriter& dead_letters,
            std::vector<Sink*> sinks, Clock& clock, Random& random, CycleFinished cycle_finished);
  ~Committer();

  void start();
  // Commits everything submitted so far, then ends the thread. Gives up retrying a failing commit
  // after `deadline` (those blobs stay not-done and are collected again on the next start).
  void stop(std::chrono::milliseconds deadline);

  void submit(BlobTaskPtr task);
  void touch(std::shared_ptr<CycleTracker> cycle);

  std::uint64_t commits() const;
  std::uint64_t commitFailures() const;

 private:
  void loop(std::stop_token stop);
  void processRound(std::deque<BlobTaskPtr> tasks, std::set<std::shared_ptr<CycleTracker>> touched,
                    std::stop_token stop);
  bool writeDeadLetters(BlobTask& task, std::uint64_t& written);
  bool commitWithRetry(const std::vector<BlobCommit>& commits,
                       const std::vector<std::pair<StreamKey, WallTime>>& watermarks,
                       const std::vector<SinkPosition>& positions, std::stop_token stop);
  // On the way out: stores the sinks' positions when they moved since the last commit (a run
  // whose last blobs were committed while the file sink's position was still held where its
  // recovery started would otherwise leave it there, and the next start would read the whole
  // tail again).
  void commitFinalPositions(std::stop_token stop);

  CommitterOptions options_;
  StateStore& store_;
  Deduplicator& dedup_;
  InflightBudget& budget_;
  StatusBoard& status_;
  DeadLetterWriter& dead_letters_;
  std::vector<SinkPosition> last_positions_;  // committer thread only
  std::vector<Sink*> sinks_;
  Clock& clock_;
  Random& random_;
  CycleFinished cycle_finished_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<BlobTaskPtr> queue_;
  std::set<std::shared_ptr<CycleTracker>> touched_;
  std::uint64_t commits_ = 0;
  std::uint64_t commit_failures_ = 0;
  SteadyTime stop_deadline_{};
  bool stopping_ = false;
  SteadyTime next_prune_{};
  std::jthread thread_;
};

}  // namespace o365fwd
