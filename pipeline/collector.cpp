#include "pipeline/collector.h"

#include <algorithm>

#include "core/backoff.h"
#include "core/logging.h"
#include "core/thread_name.h"
#include "core/time_format.h"
#include "core/units.h"
#include "pipeline/parse/blob_parser.h"

namespace o365fwd {
namespace {

// What a held blob costs besides its body and parse tables, per record: the committer's copy of
// its key and the state store's sorted copy at the commit (32), and its entry in the store's
// recent-key table (24-48 bytes a key) while the blob's charge is still held at the commit.
// Measured with 16 concurrent 1 GiB blobs, per-record costs were ~500 MiB the budget did not see.
// The de-duplicator's in-flight key table is counted as a whole (setSharedBytes) and the file
// sink's write vectors are bounded (64 KiB), so neither is in this figure any more.
constexpr std::uint64_t kPipelineBytesPerRecord = 64;
// Blobs held from the start of their download until their commit, per download worker (the
// budget's blob count; bytes are bounded by max_inflight_bytes anyway). The committer commits at
// once when a quarter of them wait for it. 4 made a fleet's 10-record blobs commit 16 at a time:
// 1,250 synchronous transactions for 20,000 blobs, each rewriting the pages of its streams.
constexpr std::uint64_t kSlotsPerDownload = 16;
// once/replay: how often run() looks whether every stream finished (it is not woken per change).
constexpr auto kFinishedCheck = std::chrono::milliseconds(50);
// kBlobParseReservePercent (core/config/config.h, where validate checks max_blob_size against it)
// is charged on top of each downloaded body byte while it arrives, for what the blob will hold
// once parsed: the decoded-field arena (body/12), record offsets (80 bytes a record), keys (16) and
// the per-record pipeline cost above: 34 % of the body at ~1 KB records once the record table
// doubled past its first guess (measured: the budget peaked 5 % over its maximum at 33 %). And
// for what the parse and the de-duplication need on top while they run, before the charge is
// trued up: escaped strings saved during the parse, the de-duplicator's scratch and its in-flight
// table doubling (old and new held at once) — measured on a 480 MiB blob of 680-byte records,
// parse +152 MiB at its peak and de-duplication +134 MiB more: 40 % was too little for records
// under ~1 KB (issue 10, docs/BENCHMARKS.md).

std::shared_ptr<spdlog::logger> log() {
  return getLogger("pipeline.collector");
}

// AF20050 (gone) and AF20051 (expired): the content cannot be fetched any more.
bool isLoss(const Error& e) {
  return e.code == "AF20050" || e.code == "AF20051";
}

// Errors that concern this one blob for good: retrying can never fetch it. Anything else that is
// permanent (a permission or configuration problem) is the stream's problem: the blob stays not
// done and is fetched again once the operator fixed it.
bool isBlobUnfetchable(const Error& e) {
  return e.code == "untrusted_uri" || e.code == "AF20052" || e.code == "response_too_large" ||
         e.code == "exceeds_inflight_budget";
}

}  // namespace

Collector::Collector(CollectorOptions options, std::vector<StreamSpec> streams,
                     std::vector<Sink*> sinks, StateStore& store, StatusBoard& status,
                     DeadLetterWriter& dead_letters, Clock& clock, Random& random)
    : options_(std::move(options)),
      store_(store),
      status_(status),
      dead_letters_(dead_letters),
      clock_(clock),
      random_(random),
      dedup_(store),
      budget_(
          options_.collection.max_inflight_bytes,
          static_cast<std::uint64_t>(std::max(1, options_.collection.max_concurrent_downloads)) *
              kSlotsPerDownload,
          kBlobParseReservePercent),
      queue_(static_cast<std::size_t>(std::max(1, options_.collection.max_concurrent_downloads)) *
             4),
      delivery_(std::move(sinks)) {
  options_.committer.dedup_window = options_.collection.dedup_window;
  // The de-duplicator's in-flight key table holds every held blob's keys; its size (it doubles
  // with them) counts against the budget as it is, not as a guess per record.
  dedup_.setMemoryObserver([this](std::uint64_t bytes) { budget_.setSharedBytes(bytes); });
  // A blob holds one of the budget's slots (kSlotsPerDownload) until it is committed: with
  // a commit only every commit_interval, 64 slots allowed at most 320 blobs a second however fast
  // the API and the sinks were (a fleet's start-up of 10,000 small blobs waited on it). A quarter
  // of the slots waiting for their commit now commits at once.
  options_.committer.max_batch = std::clamp<std::size_t>(
      static_cast<std::size_t>(std::max(1, options_.collection.max_concurrent_downloads)) *
          kSlotsPerDownload / 4,
      1, options_.committer.max_batch);
  committer_ = std::make_unique<Committer>(
      options_.committer, store_, dedup_, budget_, status_, dead_letters_, delivery_.sinks(),
      clock_, random_,
      [this](const std::shared_ptr<CycleTracker>& cycle) { onCycleFinished(cycle); });
  for (StreamSpec& spec : streams) {
    StreamRuntime rt;
    rt.spec = spec;
    status_.addStream(spec.key);
    streams_.emplace(spec.key, std::move(rt));
  }
}

Collector::~Collector() {
  shutdown();
}

void Collector::wakeAll() {
  ++wakeups_;
  // Only a tenant removal waits for these changes (daemon mode). A daemon's run() waits for the
  // stop only; once/replay's run() looks every kFinishedCheck: woken on every change it took mu_
  // 12,000 times in a fleet's run --once, a wake-up per settled cycle.
  if (removals_waiting_ > 0) cv_.notify_all();
}

void Collector::syncNow() {
  std::lock_guard lock(mu_);
  SteadyTime now = clock_.steadyNow();
  for (auto& [key, rt] : streams_)
    if (!rt.busy && !rt.finished) schedulePoll(rt, now);
  wakeDispatcher();
}

bool Collector::allStreamsFinished() const {
  // once/replay only (streams are neither added nor removed): a finished stream whose sweep
  // settled stays so, so the streams before the cursor need no second look.
  auto& cursor = const_cast<Collector*>(this)->finished_cursor_;
  while (cursor != streams_.end() && cursor->second.finished && sweepSettled(cursor->second))
    ++cursor;
  return cursor == streams_.end();
}

CollectorResult Collector::run(std::stop_token stop) {
  status_.markStarted();
  committer_->start();
  {
    std::lock_guard lock(mu_);
    finished_cursor_ = streams_.begin();
    spreadFirstPolls(clock_.steadyNow());
  }
  dispatcher_ = std::jthread([this](std::stop_token) { dispatchLoop(listing_stop_.get_token()); });
  int workers = std::max(1, options_.collection.max_concurrent_downloads);
  for (int i = 0; i < workers; ++i)
    workers_.emplace_back([this](std::stop_token) { workerLoop(listing_stop_.get_token()); });
  retry_thread_ = std::jthread([this](std::stop_token) { retryLoop(hard_stop_.get_token()); });
  if (sweepEnabled()) {
    // One sweeper per 500 streams (at most 8): a sweep of 5,000 streams is 35,000 listings, about
    // 3 h on one thread at a real API's 300 ms, which would fall behind the hourly interval.
    std::size_t sweepers = 1;
    {
      std::lock_guard lock(mu_);
      const std::size_t per = std::max<std::size_t>(options_.streams_per_sweeper, 1);
      sweepers = std::clamp<std::size_t>((streams_.size() + per - 1) / per, 1,
                                         std::max<std::size_t>(options_.max_sweepers, 1));
    }
    for (std::size_t i = 0; i < sweepers; ++i)
      sweepers_.emplace_back([this](std::stop_token) { sweepLoop(listing_stop_.get_token()); });
  }

  {
    std::unique_lock lock(mu_);
    if (options_.mode == CollectorMode::kDaemon)
      stop_cv_.wait(lock, stop, [] { return false; });  // until stopped
    else
      while (!stop.stop_requested() && !allStreamsFinished())
        cv_.wait_for(lock, stop, kFinishedCheck, [] { return false; });
  }
  if (stop.stop_requested()) log()->info("Stopping: listing ends, in-flight blobs are drained");
  shutdown();

  CollectorResult result;
  std::lock_guard lock(mu_);
  for (const auto& [key, rt] : streams_) {
    if (rt.sweep == StreamRuntime::Sweep::kGaveUp) {
      result.complete = false;
      result.problems.push_back(key.str() + ": the deep sweep did not complete (" +
                                rt.sweep_problem + ")");
    }
    if (rt.finished && rt.last_cycle_ok) continue;
    result.complete = false;
    result.problems.push_back(key.str() + ": " +
                              (rt.last_problem.empty()
                                   ? std::string("stopped before the cycle completed")
                                   : rt.last_problem));
  }
  return result;
}

void Collector::shutdown() {
  if (draining_.exchange(true)) return;
  // 1. No new listing, no new blobs for the workers.
  listing_stop_.request_stop();
  {
    std::lock_guard lock(mu_);
    wakeAll();
  }
  if (dispatcher_.joinable()) dispatcher_.join();  // listers_ no longer grows
  for (auto& t : listers_)
    if (t.joinable()) t.join();
  for (auto& t : sweepers_)
    if (t.joinable()) t.join();
  queue_.close();
  for (BlobTaskPtr& task : queue_.drain())
    settle(task, BlobOutcome::kFailed,
           Error::retryableError(ErrorKind::kCancelled, "stopped before download"));
  // 2. Drain: let workers finish the blobs they hold, and deliveries complete, until drain_timeout.
  SteadyTime deadline = clock_.steadyNow() + options_.collection.drain_timeout;
  for (;;) {
    bool idle = budget_.blobs() == 0;
    if (idle || clock_.steadyNow() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (budget_.blobs() != 0)
    log()->warn(
        "Drain timeout reached with {} blobs in flight; they are collected again on the next start",
        budget_.blobs());
  // 3. Abort whatever is still running; undelivered blobs are failed (not done).
  hard_stop_.request_stop();
  {
    std::lock_guard lock(mu_);
    wakeAll();
  }
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  if (retry_thread_.joinable()) retry_thread_.join();
  {
    std::lock_guard lock(mu_);
    for (auto& [due, task] : retries_) settle(task, BlobOutcome::kFailed, task->error);
    retries_.clear();
  }
  for (Sink* sink : delivery_.sinks())
    if (Status s = sink->flush(std::chrono::seconds(10)); !s.ok())
      log()->warn("Sink did not flush in time. sink={} error={}", sink->name(),
                  s.error().describe());
  // 4. Commit everything settled so far.
  committer_->stop(std::chrono::seconds(10));
  log()->info("In-flight memory: peak {} of max_inflight_bytes {}; downloads preempted: {}",
              formatSize(budget_.peakBytes()), formatSize(budget_.maxBytes()),
              budget_.preemptions());
}

std::vector<ListingWindow> Collector::planCycleWindows(StreamRuntime& rt) {
  const StreamKey& key = rt.spec.key;
  WallTime server_now = clock_.wallNow() + rt.spec.source->clockSkew();
  if (options_.mode == CollectorMode::kReplay && options_.replay_window) {
    std::vector<ListingWindow> windows;
    WallTime start = floorToSecond(options_.replay_window->start);
    WallTime end = std::min(ceilToSecond(options_.replay_window->end), ceilToSecond(server_now));
    while (start < end) {
      WallTime next = std::min(end, start + std::chrono::hours(24));
      windows.push_back({start, next});
      start = next;
    }
    return windows;
  }
  WindowPlanInput input;
  auto wm = store_.watermark(key);
  if (wm.ok()) input.watermark = *wm;
  input.overlap = options_.collection.overlap;
  input.initial_lookback = options_.collection.initial_lookback;
  input.server_now = server_now;
  input.retention = options_.retention;
  input.retention_margin = options_.retention_margin;
  WindowPlan plan = planWindows(input);
  std::optional<WallTime> first_listing;
  if (!input.watermark && !plan.windows.empty() && sweepEnabled()) {
    // The stream's first listing: the deep sweep never lists older content (initial_lookback).
    if (Status s = store_.setSweepFloor(key, plan.windows.front().start); !s.ok())
      log()->warn(
          "Could not store where the stream's collection starts; the deep sweep may list "
          "older content. stream={} error={}",
          key.str(), s.error().describe());
    else
      first_listing = clock_.wallNow();
  }
  {
    std::lock_guard lock(mu_);
    rt.first_listing_started = first_listing;
  }
  if (plan.unrecoverable_gap) {
    Error gap = Error::permanent(
        ErrorKind::kApi,
        "content created between " + formatIsoMillis(plan.unrecoverable_gap->start) + " and " +
            formatIsoMillis(plan.unrecoverable_gap->end) +
            " was never collected and is now older than the API's 7-day retention: it is lost. "
            "Keep the forwarder running (or its outage shorter than 7 days)",
        "retention_gap");
    log()->error("Unrecoverable gap. stream={} {}", key.str(), gap.message);
    status_.recordError(key, gap, StreamState::kError);
  }
  if (plan.overlap_cut)
    log()->warn(
        "Part of the re-list overlap is beyond the API's 7-day retention; late content created "
        "between {} and {} can no longer be caught. stream={}",
        formatIsoMillis(plan.overlap_cut->start), formatIsoMillis(plan.overlap_cut->end),
        key.str());
  if (plan.watermark_in_future)
    log()->warn("The stored watermark lies in the future (the clock moved back?). stream={}",
                key.str());
  status_.update(key, [&](StreamStatus& s) {
    if (input.watermark && (!s.watermark || *s.watermark < *input.watermark))
      s.watermark = input.watermark;
  });
  std::vector<ListingWindow> windows;
  for (const ListingWindow& w : plan.windows) windows.push_back(w);
  return windows;
}

void Collector::runCycle(StreamRuntime& rt, std::stop_token stop) {
  const StreamKey key = rt.spec.key;
  auto cycle = std::make_shared<CycleTracker>(key, clock_.steadyNow());
  {
    std::lock_guard lock(mu_);
    rt.cycle = cycle;
    ++rt.cycles_run;
    ++polls_;
    if (rt.last_started)
      rt.max_gap = std::max(rt.max_gap, std::chrono::duration_cast<std::chrono::milliseconds>(
                                            cycle->started() - *rt.last_started));
    rt.last_started = cycle->started();
  }
  status_.update(key, [&](StreamStatus& s) { s.last_poll = clock_.wallNow(); });
  auto fail_listing = [&](const Error& error) {
    StreamState state = error.code == "AF20023" ? StreamState::kDisabled : StreamState::kError;
    status_.recordError(key, error, state);
    log()->error("Listing failed. stream={} error={}", key.str(), error.describe());
    {
      std::lock_guard lock(mu_);
      rt.last_problem = error.describe();
      if (error.code == "AF20022" || error.code == "AF20023" || error.code == "AuditingDisabled") {
        rt.subscription_ok = false;
        if (rt.busy && !rt.in_setup) {  // the tenant's other streams wait for this one's start
          rt.in_setup = true;
          schedule_.setupStarted(key.tenant);
        }
      }
      rt.permanent_failure = !error.retryable;
    }
    cycle->listingFinished(false);
    committer_->touch(cycle);
  };

  bool replay = options_.mode == CollectorMode::kReplay;
  if (!replay && !rt.subscription_ok) {
    Status s = rt.spec.source->ensureSubscription(key.content_type, stop);
    if (!s.ok()) {
      if (s.error().kind != ErrorKind::kCancelled)
        fail_listing(s.error());
      else {
        cycle->listingFinished(false);
        committer_->touch(cycle);
      }
      return;
    }
    std::lock_guard lock(mu_);
    rt.subscription_ok = true;
    endSetup(rt);  // the tenant's other streams may be dispatched now
  }

  std::optional<WallTime> listed_before;  // blobs created before it are late (queueRefs)
  if (auto wm = store_.watermark(key); wm.ok()) listed_before = *wm;
  auto on_page = [&](std::vector<ContentRef> refs) -> Status {
    return queueRefs(rt, cycle, std::move(refs), listed_before, stop);
  };
  auto listing = [&](bool on) {
    std::lock_guard lock(mu_);
    rt.live_listing = on;
    if (!on && tenantSweepWaiting(key.tenant)) wakeSweepers();  // its sweep may list now
  };
  listing(true);
  for (const ListingWindow& window : planCycleWindows(rt)) {
    Status s = rt.spec.source->listWindow(key, window, on_page, stop);
    if (!s.ok()) {
      listing(false);
      if (s.error().kind == ErrorKind::kCancelled || stop.stop_requested()) {
        cycle->listingFinished(false);
        committer_->touch(cycle);
      } else {
        fail_listing(s.error());
      }
      return;
    }
    cycle->windowListed(window.end);
    committer_->touch(cycle);
  }
  listing(false);
  cycle->listingFinished(true);
  committer_->touch(cycle);
}

Status Collector::queueRefs(StreamRuntime& rt, const std::shared_ptr<CycleTracker>& cycle,
                            std::vector<ContentRef> refs, std::optional<WallTime> listed_before,
                            std::stop_token stop) {
  const StreamKey& key = rt.spec.key;
  const bool replay = options_.mode == CollectorMode::kReplay;
  if (refs.empty()) return okStatus();
  std::vector<std::string> ids;
  ids.reserve(refs.size());
  for (const ContentRef& r : refs) ids.push_back(r.content_id);
  std::vector<bool> done(refs.size(), false);
  if (!replay) {
    auto d = store_.blobsDone(key, ids);
    if (!d.ok()) return d.error();
    done = std::move(*d);
  }
  WallTime server_now = clock_.wallNow() + rt.spec.source->clockSkew();
  {
    std::lock_guard lock(mu_);
    blobs_queued_ += static_cast<std::uint64_t>(std::count(done.begin(), done.end(), false));
  }
  std::vector<BlobTaskPtr> ready;
  ready.reserve(refs.size());
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (done[i]) continue;
    auto task = std::make_shared<BlobTask>();
    task->content = std::move(refs[i]);
    task->cycle = cycle;
    task->replay = replay;
    task->filter = rt.spec.filter;
    task->delivered_to.assign(delivery_.sinkCount(), false);
    cycle->addPending(task->content);
    // Lateness: measured once per blob (a blob listed again after a failure is not new).
    const auto lateness =
        std::chrono::duration_cast<std::chrono::milliseconds>(server_now - task->content.created);
    bool first = false;
    if (!replay) {
      std::lock_guard lock(lateness_mu_);
      first = first_listings_.firstTime(task->content.content_id);
    }
    const bool late = first && listed_before && task->content.created < *listed_before &&
                      lateness > options_.collection.overlap;
    if (late)
      log()->info(
          "Late blob: listed long after its creation, in a range listed before. stream={} "
          "content_id={} created={} lateness_s={}",
          key.str(), task->content.content_id, formatIsoMillis(task->content.created),
          std::chrono::duration_cast<std::chrono::seconds>(lateness).count());
    status_.update(key, [&](StreamStatus& s) {
      ++s.blobs_listed;
      ++s.blobs_pending;
      if (!first) return;
      s.lateness.observe(lateness);
      s.max_lateness_seconds = std::max<std::int64_t>(
          s.max_lateness_seconds,
          std::chrono::duration_cast<std::chrono::seconds>(lateness).count());
      if (late) ++s.late_blobs;
    });
    if (task->content.expiration <= server_now) {
      log()->error(
          "Blob expired before it could be fetched; its records are lost. stream={} content_id={} "
          "expired={}",
          key.str(), task->content.content_id, formatIsoMillis(task->content.expiration));
      settle(task, BlobOutcome::kLost,
             Error::permanent(ErrorKind::kApi, "content expired before it could be fetched",
                              "expired"));
      continue;
    }
    ready.push_back(std::move(task));
  }
  // All at once: a lister woken for room fills it with its listing (BlobQueue::pushAll).
  const std::size_t pushed = queue_.pushAll(ready, stop);
  if (pushed == ready.size()) return okStatus();
  for (std::size_t i = pushed; i < ready.size(); ++i)
    settle(ready[i], BlobOutcome::kFailed,
           Error::retryableError(ErrorKind::kCancelled, "stopping"));
  return Error::retryableError(ErrorKind::kCancelled, "stopping");
}

void Collector::settle(const BlobTaskPtr& task, BlobOutcome outcome, std::optional<Error> error) {
  task->outcome = outcome;
  if (error) task->error = std::move(error);
  committer_->submit(task);
}

void Collector::workerLoop(std::stop_token stop) {
  nameThisThread("o365-download");
  for (;;) {
    // Workers keep taking queued blobs until the queue is closed and empty (drain); the queue is
    // drained by shutdown() after listing stopped, so `stop` only ends the wait.
    auto task = queue_.pop(hard_stop_.get_token());
    if (!task) {
      if (stop.stop_requested() || hard_stop_.get_token().stop_requested()) return;
      continue;
    }
    processBlob(*task);
  }
}

void Collector::processBlob(const BlobTaskPtr& task) {
  const StreamKey& key = task->content.stream;
  std::stop_token hard = hard_stop_.get_token();
  if (std::optional<Error> blocked = sinkBlocked()) {
    settle(task, BlobOutcome::kFailed, *blocked);  // once/replay: a sink needs the operator
    return;
  }
  if (!budget_.acquireSlot(hard)) {
    settle(task, BlobOutcome::kFailed, Error::retryableError(ErrorKind::kCancelled, "stopping"));
    return;
  }
  task->holds_slot = true;
  ContentSource* source = nullptr;
  {
    std::lock_guard lock(mu_);
    source = streams_.at(key).spec.source;
  }
  // The body is counted against the budget while it arrives (decoded bytes); on failure the
  // download gives its bytes back when it goes out of scope.
  auto download = budget_.startDownload();
  auto body = source->fetchBlob(task->content, hard, download.get());
  // Preempted to give its memory to an older download: fetched again, keeping its age, once it is
  // the oldest download (which is never preempted), so every blob gets through in turn and
  // `run --once` does not end with blobs left for a next cycle.
  while (!body.ok() && body.error().code == "memory_budget" && !hard.stop_requested()) {
    if (!budget_.waitUntilOldest(download->seq(), hard)) break;
    log()->debug(
        "Blob download preempted for an older one; fetching it again. stream={} content_id={}",
        key.str(), task->content.content_id);
    body = source->fetchBlob(task->content, hard, download.get());
  }
  if (!body.ok()) {
    const Error& e = body.error();
    if (isLoss(e)) {
      log()->error(
          "Blob is no longer available at the API; its records are lost. stream={} content_id={} "
          "error={}",
          key.str(), task->content.content_id, e.describe());
      settle(task, BlobOutcome::kLost, e);
    } else if (isBlobUnfetchable(e)) {
      // Refused or unfetchable for good (untrusted host, invalid id, too large): keep a record of
      // it.
      auto path = dead_letters_.write(task->content, e.code.empty() ? "fetch-failed" : e.code,
                                      e.message, "");
      log()->error(
          "Blob cannot be fetched; recorded as a dead letter. stream={} content_id={} error={} "
          "file={}",
          key.str(), task->content.content_id, e.describe(),
          path.ok() ? path->string() : "(write failed)");
      settle(task, path.ok() ? BlobOutcome::kDeadLettered : BlobOutcome::kFailed, e);
    } else {
      if (e.kind != ErrorKind::kCancelled) {
        log()->warn(
            "Blob download failed; it is listed again next cycle. stream={} content_id={} error={}",
            key.str(), task->content.content_id, e.describe());
        // A timeout is shown at once: a hung API host must not look like a quiet one.
        if (!e.retryable || e.code == "timeout") status_.recordError(key, e, StreamState::kError);
      }
      settle(task, BlobOutcome::kFailed, e);
    }
    return;
  }
  task->held_bytes = download->keep();
  if (task->held_bytes < body->size()) {  // a source that does not count while downloading
    budget_.addBytes(body->size() - task->held_bytes);
    task->held_bytes = body->size();
  }

  // When the last holder frees the batch, its body goes to the budget for the next download to
  // decode into (InflightBudget: "Body reuse").
  std::shared_ptr<RecordBatch> batch(new RecordBatch,
                                     [keeper = budget_.bodyKeeper()](RecordBatch* freed) {
                                       keeper->keep(std::move(freed->body));
                                       delete freed;
                                     });
  batch->content = task->content;
  batch->body = std::move(*body);
  if (Status parsed = parseBlobInto(*batch); !parsed.ok()) {
    auto attempts = store_.recordBlobFailure(task->content, parsed.error().describe());
    int n = attempts.ok() ? *attempts : 1;
    if (n >= options_.collection.max_blob_attempts) {
      auto path =
          dead_letters_.write(task->content, "invalid-json", parsed.error().message, batch->body);
      log()->error(
          "Blob is not valid JSON after {} attempts; kept as a dead letter. stream={} "
          "content_id={} "
          "error={} file={}",
          n, key.str(), task->content.content_id, parsed.error().describe(),
          path.ok() ? path->string() : "(write failed)");
      settle(task, path.ok() ? BlobOutcome::kDeadLettered : BlobOutcome::kFailed, parsed.error());
    } else {
      log()->warn(
          "Blob is not valid JSON; it is fetched again next cycle. stream={} content_id={} "
          "attempt={}/{} "
          "error={}",
          key.str(), task->content.content_id, n, options_.collection.max_blob_attempts,
          parsed.error().describe());
      settle(task, BlobOutcome::kFailed, parsed.error());
    }
    return;
  }
  task->records_total = batch->records.size();
  auto dedup = dedup_.filter(*batch, task->replay);
  if (!dedup.ok()) {
    settle(task, BlobOutcome::kFailed, dedup.error());
    return;
  }
  task->keys = std::move(dedup->kept_keys);
  // Filtered records leave the batch, but their keys stay in task->keys: they are committed with
  // the blob like delivered ones, so a later change of filters does not send them (replay does).
  if (task->filter) task->records_filtered = applyRecordFilter(*task->filter, *batch);
  // The parse's tables, the keys and the per-record pipeline cost live as long as the body: the
  // download was charged a reserve for them; now the charge becomes what the blob really holds.
  const std::uint64_t holds = batch->body.size() + batch->parseOverheadBytes() +
                              task->keys.capacity() * sizeof(RecordKey) +
                              batch->records.size() * kPipelineBytesPerRecord;
  if (holds > task->held_bytes) {
    budget_.addBytes(holds - task->held_bytes);
  } else {
    budget_.giveBack(task->held_bytes - holds);
  }
  task->held_bytes = holds;
  task->duplicates_dropped = dedup->duplicates_dropped;
  task->without_id = dedup->without_id;
  task->invalid_utf8 = batch->invalidUtf8Count();
  if (task->without_id > 0 || task->invalid_utf8 > 0)
    log()->warn(
        "Blob holds records the API should not send; forwarded as they are. stream={} "
        "content_id={} "
        "records={} without_id={} invalid_utf8={}",
        key.str(), task->content.content_id, batch->size(), task->without_id, task->invalid_utf8);
  task->records_sent = batch->size();
  task->record_bytes = batch->recordBytes();
  task->batch = std::move(batch);
  if (task->batch->records.empty()) {
    task->delivered_to.assign(delivery_.sinkCount(), true);
    settle(task, BlobOutcome::kDelivered);
    return;
  }
  delivery_.deliver(
      task, [this](const BlobTaskPtr& t) { onDelivered(t); }, hard);
}

void Collector::dropDeliveredBatch(BlobTask& task) {
  // The committer needs the keys and the counts, not the records, unless a sink rejected some
  // (their bytes become dead letters). The body and its parse tables were half the memory of a
  // 1,000,000-record run's peak while blobs waited for their commit (issue 14 part 4). Their
  // charge stays on the budget until the commit: it also bounds what a crash leaves written but
  // not committed (the file sink's tail, docs/STATE.md), which must not grow.
  if (task.rejected.empty()) task.batch.reset();
}

void Collector::onDelivered(const BlobTaskPtr& task) {
  if (Delivery::allDelivered(*task)) {
    noteSinkProblem(std::nullopt);
    dropDeliveredBatch(*task);
    settle(task, BlobOutcome::kDelivered);
    return;
  }
  const bool once = options_.mode != CollectorMode::kDaemon;
  const bool operator_needed = task->error && needsOperator(*task->error);
  if (once && operator_needed) {
    // Cannot heal within this run: stop taking blobs, say it once (the summary repeats it).
    bool first;
    {
      std::lock_guard lock(mu_);
      first = !sink_blocked_;
      if (first) sink_blocked_ = task->error;
    }
    if (first)
      log()->error(
          "A sink refuses records until the operator acts; this run stops without retrying. "
          "error={}",
          task->error->describe());
    settle(task, BlobOutcome::kFailed, task->error);
    return;
  }
  bool give_up = hard_stop_.get_token().stop_requested() ||
                 (once && task->delivery_attempts >= options_.once_max_delivery_attempts);
  if (give_up) {
    settle(task, BlobOutcome::kFailed, task->error);
    return;
  }
  auto delay = backoffDelay(options_.delivery_backoff, task->delivery_attempts - 1, random_);
  noteSinkProblem(task->error);
  log()->debug(
      "A sink did not take the blob; retrying in {} ms. stream={} content_id={} attempt={} "
      "error={}",
      delay.count(), task->content.stream.str(), task->content.content_id, task->delivery_attempts,
      task->error ? task->error->describe() : "unknown");
  std::lock_guard lock(mu_);
  retries_.emplace(clock_.steadyNow() + delay, task);
  retry_cv_.notify_one();
}

void Collector::noteSinkProblem(const std::optional<Error>& error) {
  // The message, not the code: one cause may come with several codes (Kafka reports a missing
  // topic as UNKNOWN_TOPIC_OR_PART from the broker and _UNKNOWN_TOPIC from the client).
  std::string now = !error ? std::string() : error->message.empty() ? "unknown" : error->message;
  {
    std::lock_guard lock(mu_);
    if (now == sink_problem_) return;
    std::swap(now, sink_problem_);  // `now` holds the previous problem
  }
  if (error)
    log()->warn(
        "A sink did not take the blob; blobs are retried with backoff (up to {} ms apart) and this "
        "is "
        "logged again only when the cause changes. error={}",
        options_.delivery_backoff.cap.count(), error->describe());
  else
    log()->info("Sinks take blobs again. previous_error={}", now);
}

void Collector::retryLoop(std::stop_token stop) {
  nameThisThread("o365-retry");
  while (!stop.stop_requested()) {
    BlobTaskPtr due;
    {
      std::unique_lock lock(mu_);
      SteadyTime now = clock_.steadyNow();
      if (!retries_.empty() && retries_.begin()->first <= now) {
        due = retries_.begin()->second;
        retries_.erase(retries_.begin());
      } else {
        auto wait = std::chrono::milliseconds(100);
        if (!retries_.empty())
          wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                                    retries_.begin()->first - now) +
                                    std::chrono::milliseconds(1));
        const std::size_t seen = retries_.size();
        retry_cv_.wait_for(lock, stop, wait, [&] { return retries_.size() != seen; });
        continue;
      }
    }
    due->error.reset();
    delivery_.deliver(
        due, [this](const BlobTaskPtr& t) { onDelivered(t); }, stop);
  }
}

void Collector::onCycleFinished(const std::shared_ptr<CycleTracker>& cycle) {
  const StreamKey& key = cycle->stream();
  std::optional<WallTime> first_listing;
  {
    std::unique_lock lock(mu_);
    auto it = streams_.find(key);
    if (it != streams_.end() && it->second.sweep_cycle == cycle) {
      lock.unlock();
      onSweepFinished(it->second, cycle);
      return;
    }
    if (it != streams_.end() && it->second.sweep == StreamRuntime::Sweep::kUndecided &&
        !it->second.sweep_loaded)
      first_listing = it->second.first_listing_started;
  }
  bool ok = cycle->listingComplete() && cycle->failed() == 0;
  WallTime now = clock_.wallNow();
  // The stream's first listing went from its sweep floor to now, every blob resolved: a complete
  // sweep, stored as one. Sweeping the same range again right away would find nothing but cost
  // a listing per day of initial_lookback (5,000 streams: 5,000-35,000 requests at a fleet's
  // first start); the first real sweep is sweep_interval later, as after any sweep.
  bool first_sweep_stored = false;
  if (ok && first_listing) {
    Status s = store_.recordSweep(key, *first_listing);
    first_sweep_stored = s.ok();
    // The sweepers cannot have touched the stream yet: it enters their scans below (ever_ok).
    if (first_sweep_stored) {
      status_.update(key, [&](StreamStatus& st) {
        st.last_sweep = first_listing;
        ++st.sweeps_completed;
      });
      log()->debug("First listing stored as the stream's first deep sweep. stream={}", key.str());
    }
    if (!s.ok())
      log()->warn(
          "Could not store the first listing as a sweep; the stream sweeps now. stream={} "
          "error={}",
          key.str(), s.error().describe());
  }
  if (ok) {
    status_.update(key, [&](StreamStatus& s) {
      s.state = StreamState::kActive;
      s.last_success = now;
      s.consecutive_failures = 0;
    });
  } else if (cycle->listingComplete()) {
    status_.update(key, [&](StreamStatus& s) { ++s.consecutive_failures; });
  }
  std::lock_guard lock(mu_);
  auto it = streams_.find(key);
  if (it == streams_.end()) return;
  StreamRuntime& rt = it->second;
  rt.busy = false;
  endSetup(rt);
  rt.last_cycle_ok = ok;
  if (!ok) ++failed_polls_;
  if (cycle->listingComplete() && !rt.listed_once) {
    rt.listed_once = true;
    if (++listed_once_ == streams_.size()) {
      if (options_.every_stream_listed)
        options_.every_stream_listed();
      else
        for (Sink* sink : delivery_.sinks()) sink->everyStreamListed();
    }
  }
  if (first_sweep_stored && rt.sweep == StreamRuntime::Sweep::kUndecided && !rt.sweep_loaded) {
    rt.sweep_loaded = true;
    rt.last_sweep = first_listing;
    rt.sweep = options_.mode == CollectorMode::kDaemon ? StreamRuntime::Sweep::kIdle
                                                       : StreamRuntime::Sweep::kDone;
  }
  if (ok && !rt.ever_ok && !rt.retiring) {
    rt.ever_ok = true;
    sweep_scan_.insert(key);
    wakeSweepers();  // the stream has a watermark: its sweep may start
  }
  bool permanent = !ok && rt.permanent_failure && !cycle->listingComplete();
  rt.permanent_failure = false;
  if (ok)
    rt.last_problem.clear();
  else if (rt.last_problem.empty())
    rt.last_problem = std::to_string(cycle->failed()) + " blob(s) could not be delivered";
  SteadyTime steady_now = clock_.steadyNow();
  if (rt.finished) {
    // Retired while the cycle ran: no next cycle.
  } else if (options_.mode == CollectorMode::kDaemon) {
    SteadyTime due = std::max(steady_now, cycle->started() + options_.collection.poll_interval);
    if (!ok) due = std::min(due, steady_now + std::chrono::seconds(30));
    schedulePoll(rt, due);
  } else if (ok || permanent || sink_blocked_ || rt.cycles_run >= options_.once_max_cycles) {
    rt.finished = true;
    if (!ok && sink_blocked_)
      rt.last_problem = "stopped: a sink needs the operator (" + sink_blocked_->code + ")";
  } else {
    schedulePoll(rt, steady_now + backoffDelay(options_.cycle_backoff, rt.cycles_run - 1, random_));
  }
  wakeAll();
}

}  // namespace o365fwd
