#pragma once
// The collection engine: for every stream (tenant × content type) it runs poll cycles — keep the
// subscription enabled, list ≤24 h windows from (watermark − overlap) to now, queue the blobs that
// are not done — and for every queued blob: download, parse, drop duplicates, deliver to every
// sink, and hand the settled blob to the Committer.
//
// Threads (all owned here, all stopped and joined by run()): one dispatcher that hands due
// streams to a pool of lister threads (one cycle of one stream at a time each; the pool grows with
// the stream count, pipeline/collector_dispatch.cpp), download workers
// (max_concurrent_downloads), one retry thread for
// deliveries a sink could not take yet, the Committer's thread, and sweeper threads (the deep
// sweep, collection.sweep_interval: one per 500 streams, at most 8, each listing one window of
// one stream at a time, only while no live listing of the same tenant runs;
// pipeline/collector_sweep.cpp).
//
// Promises: nothing is skipped silently — every listed blob ends delivered, dead-lettered (kept on
// disk), lost (expired at the API; counted and logged at ERROR) or failed for this cycle (listed
// again next cycle, holding the watermark). Memory is bounded by the InflightBudget; when sinks are
// slow, downloads and listing wait. On stop: listing stops, in-flight blobs are drained until
// drain_timeout, sinks are flushed and the state is committed.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stop_token>
#include <thread>
#include <vector>

#include "core/backoff.h"
#include "core/clock.h"
#include "core/config/config.h"
#include "core/filters/record_filter.h"
#include "core/random.h"
#include "pipeline/blob_queue.h"
#include "pipeline/content_source.h"
#include "pipeline/deep_sweep.h"
#include "pipeline/delivery/committer.h"
#include "pipeline/delivery/dead_letter.h"
#include "pipeline/delivery/deduplicator.h"
#include "pipeline/delivery/delivery.h"
#include "pipeline/inflight_budget.h"
#include "pipeline/poll_schedule.h"
#include "pipeline/state/state_store.h"
#include "pipeline/status_board.h"

namespace o365fwd {

enum class CollectorMode {
  kDaemon,  // poll every poll_interval until stopped
  kOnce,    // one cycle per stream (repeated while blobs failed, up to once_max_cycles), then stop
  kReplay,  // list replay_window, forward everything again (no de-duplication, no done check)
};

struct CollectorOptions {
  CollectionConfig collection;
  CollectorMode mode = CollectorMode::kDaemon;
  std::optional<ListingWindow> replay_window;
  int once_max_cycles = 4;
  int once_max_delivery_attempts = 8;
  BackoffPolicy delivery_backoff{std::chrono::milliseconds(500), std::chrono::seconds(30),
                                 std::chrono::milliseconds(200)};  // a sink did not take a blob
  BackoffPolicy cycle_backoff{std::chrono::seconds(1), std::chrono::seconds(20),
                              std::chrono::milliseconds(500)};  // once/replay: retry a failed cycle
  // Daemon: one INFO line per interval summing up the polls (instead of a line per poll).
  std::chrono::milliseconds summary_interval{std::chrono::minutes(10)};
  std::chrono::milliseconds retention{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds retention_margin{std::chrono::minutes(10)};
  CommitterOptions committer;
  // Deep sweep threads: one per this many streams, at most max_sweepers.
  std::size_t streams_per_sweeper = 500;
  std::size_t max_sweepers = 8;
  // Called once when every stream has listed all its windows since start; unset: the collector
  // tells its sinks (Sink::everyStreamListed) itself. Set when another source of records also has
  // to re-send what was in flight before the sinks are told (service health).
  std::function<void()> every_stream_listed;
};

struct StreamSpec {
  StreamKey key;
  ContentSource* source = nullptr;
  // The tenant's record filters (shared by its streams); null = forward every record.
  std::shared_ptr<const RecordFilter> filter;
};

struct CollectorResult {
  bool complete = true;  // once/replay: every stream listed everything and resolved every blob
  std::vector<std::string> problems;  // one line per stream that did not complete
};

class Collector {
 public:
  Collector(CollectorOptions options, std::vector<StreamSpec> streams, std::vector<Sink*> sinks,
            StateStore& store, StatusBoard& status, DeadLetterWriter& dead_letters, Clock& clock,
            Random& random);
  ~Collector();

  // Runs until the mode's work is done (once, replay) or `stop` is requested (daemon, or an early
  // stop of once/replay), then drains and commits. Call once.
  CollectorResult run(std::stop_token stop);
  // Makes every idle stream poll now ("Sync Now").
  void syncNow();

  // Live tenant changes (daemon mode; pipeline/collector_streams.cpp). Callable from any thread,
  // before or during run().
  // Adds streams; they poll at once. Error when a stream of the same key is still present (a
  // removed tenant not yet drained) or the collector is stopping.
  Status addStreams(std::vector<StreamSpec> specs);
  // Stops new cycles and sweeps of the tenant's streams; what is in flight continues.
  void retireTenant(const std::string& tenant);
  // Retires the tenant, then waits until its in-flight cycles and sweep have drained (every
  // listed blob settled and committed), and forgets its streams (their state stays in the
  // store; the StatusBoard rows go). True when drained; false at `deadline` or on `stop` (the
  // streams stay retired; call again). A tenant without streams is drained at once.
  bool removeTenant(const std::string& tenant, SteadyTime deadline, std::stop_token stop);
  bool hasTenant(const std::string& tenant) const;

  std::uint64_t queuedBlobs() const { return queue_.size(); }
  const InflightBudget& budget() const { return budget_; }
  const Committer& committer() const { return *committer_; }

 private:
  struct StreamRuntime {
    StreamSpec spec;
    std::shared_ptr<CycleTracker> cycle;
    int cycles_run = 0;
    bool busy = false;      // a lister runs (or is about to run) a cycle; not in schedule_
    bool finished = false;  // once/replay: no more cycles (retired, too); not in schedule_
    bool subscription_ok = false;
    bool in_setup = false;  // busy without subscription_ok: counted in schedule_'s set-up tenants
    bool last_cycle_ok = false;
    bool permanent_failure = false;  // the last cycle failed on an error retrying cannot fix
    std::string last_problem;
    bool listed_once = false;  // a cycle of this run listed every window (Sink::everyStreamListed)

    // Deep sweep (pipeline/collector_sweep.cpp). Guarded by mu_.
    enum class Sweep { kUndecided, kIdle, kRunning, kDone, kGaveUp };
    Sweep sweep = Sweep::kUndecided;  // kIdle: not due (rechecked); kDone: once mode, finished
    bool ever_ok = false;             // a live cycle completed: the stream has a watermark
    bool live_listing = false;        // a live cycle is listing now (the sweep waits)
    bool sweep_loaded = false;        // last_sweep was read from the store
    bool sweep_listing = false;       // the sweeper lists one of its windows now
    std::optional<WallTime> last_sweep;
    // The running cycle is the stream's first listing (it stored the sweep floor), started then
    // (local wall time): completed, it counts as the stream's first sweep.
    std::optional<WallTime> first_listing_started;
    std::deque<ListingWindow> sweep_windows;  // still to list
    std::shared_ptr<CycleTracker> sweep_cycle;
    WallTime sweep_started{};    // local wall time, stored when the sweep completes
    WallTime sweep_watermark{};  // blobs created before it were listed before: late
    std::size_t sweep_window_count = 0;
    int sweep_attempts = 0;
    SteadyTime sweep_retry_at{};
    std::string sweep_problem;

    // Listing schedule (pipeline/collector_dispatch.cpp). Guarded by mu_.
    std::optional<SteadyTime> last_started;  // start of the latest cycle
    std::chrono::milliseconds max_gap{0};    // longest gap between two cycle starts this summary

    bool retiring = false;  // the tenant is being removed: no new cycle or sweep (guarded by mu_)
  };

  using StreamMap = std::map<StreamKey, StreamRuntime>;

  // Listing schedule (pipeline/collector_dispatch.cpp).
  // Due streams are found through schedule_, not by scanning every stream: the dispatcher wakes
  // for a lister that became idle, a stream due earlier than it planned to look, or a tenant's
  // set-up that ended (caller of each holds mu_).
  void schedulePoll(StreamRuntime& rt, SteadyTime due);
  void wakeDispatcher();
  void endSetup(StreamRuntime& rt);  // the stream is no longer busy without a subscription
  void dispatchLoop(std::stop_token stop);
  void listerLoop(std::stop_token stop);
  // Lister threads wanted for the current stream count (caller holds mu_).
  std::size_t listerTarget() const;
  // The first poll of each tenant at a random moment within the start-up spread (daemon).
  void spreadFirstPolls(SteadyTime now);                    // caller holds mu_
  void logPollSummary(std::chrono::milliseconds interval);  // caller holds mu_
  void runCycle(StreamRuntime& rt, std::stop_token stop);
  std::vector<ListingWindow> planCycleWindows(StreamRuntime& rt);
  void workerLoop(std::stop_token stop);
  void processBlob(const BlobTaskPtr& task);
  void onDelivered(const BlobTaskPtr& task);
  // Every sink acknowledged the batch: frees it before the commit when no record was rejected
  // (its charge on the budget stays until the commit).
  void dropDeliveredBatch(BlobTask& task);
  // Logs a change of the sinks' delivery problem (nullopt: delivering again), not every blob.
  void noteSinkProblem(const std::optional<Error>& error);
  std::optional<Error> sinkBlocked() const {
    std::lock_guard lock(mu_);
    return sink_blocked_;
  }
  void retryLoop(std::stop_token stop);
  void settle(const BlobTaskPtr& task, BlobOutcome outcome,
              std::optional<Error> error = std::nullopt);
  void onCycleFinished(const std::shared_ptr<CycleTracker>& cycle);
  bool allStreamsFinished() const;
  void shutdown();
  void wakeAll();  // caller holds mu_
  // Queues the refs of one listed page that are not done; measures their lateness. Blobs created
  // before `listed_before` lie in a range listed completely before.
  Status queueRefs(StreamRuntime& rt, const std::shared_ptr<CycleTracker>& cycle,
                   std::vector<ContentRef> refs, std::optional<WallTime> listed_before,
                   std::stop_token stop);
  // Deep sweep (pipeline/collector_sweep.cpp).
  // Sweepers scan the streams only when something changed for the sweep (wakeSweepers, caller
  // holds mu_) or a retry or the next sweep falls due, not on every change of the collector.
  void wakeSweepers();
  bool tenantSweepWaiting(const std::string& tenant) const;  // caller holds mu_
  bool sweepEnabled() const;
  void unparkDueSweeps(WallTime wall);                  // caller holds mu_
  bool sweepSettled(const StreamRuntime& rt) const;     // caller holds mu_
  bool tenantListing(const std::string& tenant) const;  // caller holds mu_
  void sweepLoop(std::stop_token stop);
  void startSweep(StreamRuntime& rt, std::stop_token stop);
  void listSweepWindow(StreamRuntime& rt, std::stop_token stop);
  void onSweepFinished(StreamRuntime& rt, const std::shared_ptr<CycleTracker>& cycle);
  // The tenant's streams as [first, last) of streams_ (keys sort by tenant first), so a tenant's
  // streams are found without a scan of every stream. Caller holds mu_.
  std::pair<StreamMap::iterator, StreamMap::iterator> tenantStreams(const std::string& tenant);
  std::pair<StreamMap::const_iterator, StreamMap::const_iterator> tenantStreams(
      const std::string& tenant) const;
  // Live tenant changes (pipeline/collector_streams.cpp); caller holds mu_.
  bool tenantDrained(const std::string& tenant,
                     std::vector<std::shared_ptr<CycleTracker>>& end_sweeps);

  CollectorOptions options_;
  StateStore& store_;
  StatusBoard& status_;
  DeadLetterWriter& dead_letters_;
  Clock& clock_;
  Random& random_;
  Deduplicator dedup_;
  InflightBudget budget_;
  BlobQueue queue_;
  Delivery delivery_;
  std::unique_ptr<Committer> committer_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  StreamMap streams_;
  std::multimap<SteadyTime, BlobTaskPtr> retries_;
  std::uint64_t wakeups_ = 0;             // bumped (under mu_) with every cv_ notification
  std::size_t removals_waiting_ = 0;      // removeTenant() calls waiting on cv_ (guarded by mu_)
  std::condition_variable_any stop_cv_;   // a daemon's run() waits here for the stop only
  std::condition_variable_any retry_cv_;  // the retry thread: a retry was added
  // once/replay: the streams before it have finished and settled their sweep (they stay so).
  StreamMap::const_iterator finished_cursor_;
  std::size_t listed_once_ = 0;  // streams with listed_once (guarded by mu_)
  // once/replay: the first delivery error only the operator can fix (sinks/sink.h needsOperator);
  // from then on blobs are not sent and streams end their run.
  std::optional<Error> sink_blocked_;
  std::string sink_problem_;  // the sinks' current delivery problem as last logged ("" = none)

  std::stop_source listing_stop_;  // stop listing and taking new blobs
  std::stop_source hard_stop_;     // abort in-flight transfers and deliveries (drain deadline)
  std::atomic<bool> draining_{false};
  std::vector<std::jthread> listers_;  // grown by the dispatcher only; joined after it
  std::jthread dispatcher_;
  std::deque<StreamKey> due_;  // streams picked for a cycle, waiting for a lister (mu_)
  std::condition_variable_any due_cv_;
  std::size_t idle_listers_ = 0;  // guarded by mu_
  PollSchedule schedule_;         // idle streams by next poll (guarded by mu_)
  std::condition_variable_any dispatch_cv_;
  std::uint64_t dispatch_wakeups_ = 0;               // bumped with every dispatch_cv_ notification
  SteadyTime dispatch_look_at_ = SteadyTime::min();  // when the waiting dispatcher looks again
  // Poll summary since the last summary line (guarded by mu_).
  std::uint64_t polls_ = 0, failed_polls_ = 0, blobs_queued_ = 0, records_at_summary_ = 0;
  std::vector<std::jthread> workers_;
  std::jthread retry_thread_;
  std::vector<std::jthread> sweepers_;     // the deep sweep: each lists one window at a time
  std::optional<StreamKey> sweep_cursor_;  // round robin over the streams (guarded by mu_)
  // The streams a sweeper looks at (guarded by mu_): every stream from its first good cycle
  // (ever_ok), taken out lazily when a scan finds it retired, gone or, for good, finished (done,
  // given up, or in once mode decided not due). A scan of all 5,000 streams of a fleet on every
  // sweep event, most of them not yet polled, was a sixth of run --once's CPU at 1,000 tenants.
  std::set<StreamKey> sweep_scan_;
  // Daemon streams swept and not due again, by the wall time their next sweep falls due (mu_);
  // moved back to sweep_scan_ when due (or all of them when the wall clock stepped back).
  std::multimap<WallTime, StreamKey> sweep_parked_;
  WallTime sweep_parked_checked_ = WallTime::min();
  std::condition_variable_any sweep_cv_;
  std::uint64_t sweep_epoch_ = 0;          // bumped by wakeSweepers (guarded by mu_)
  std::uint64_t sweep_scanned_epoch_ = 0;  // the epoch of the last scan that found nothing
  // After a scan that found nothing: nothing falls due before these (steady retries, wall-clock
  // sweep intervals); until then, without a new epoch, a sweeper does not scan again.
  SteadyTime sweep_look_at_ = SteadyTime::min();
  WallTime sweep_look_at_wall_ = WallTime::min();
  std::mutex lateness_mu_;
  FirstListings first_listings_;  // guarded by lateness_mu_
};

}  // namespace o365fwd
