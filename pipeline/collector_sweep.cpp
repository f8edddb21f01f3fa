// The deep sweep of the Collector (collection.sweep_interval; design in docs/STATE.md, "Deep
// sweep"). One sweeper thread serves every stream: it starts a stream's sweep when one is due
// (the last complete one started sweep_interval ago, as stored in the state database), then lists
// the sweep's windows one at a time, round robin over the streams, and only while no live cycle of
// the same tenant is listing. So a live listing waits for at most the one sweep window in flight,
// and every sweep request goes through the tenant's own request budget (the ContentSource's rate
// limiter). Blobs found are queued like live ones; done blobs are skipped (queueRefs).
//
// A sweeper scans the streams only after something changed for the sweep (wakeSweepers: a
// stream's first good cycle, a window listed, a tenant's live listing ended while its sweep
// waited, a sweep started or finished) or when the earliest retry or next sweep it noted falls
// due — not on every change of the collector: at 5,000 streams, eight sweepers scanning on every
// wake-up cost more CPU than the whole idle daemon should. A daemon's stream whose sweep is done
// and not due again is parked by its due time (sweep_parked_) and leaves the scans until then: a
// fleet's start-up wakes the sweepers once per stream's first good cycle, and each wake-up walked
// the swept streams before it (O(streams^2): a fifth of the daemon's CPU until ready at 1,000
// tenants).
#include <algorithm>

#include "core/logging.h"
#include "core/thread_name.h"
#include "core/time_format.h"
#include "pipeline/collector.h"

namespace o365fwd {
namespace {

// The clock is read at least this often (a FakeClock moves without telling) and every stream is
// looked at at least every kSweepRescan (a wall clock stepped back can make a sweep due).
constexpr auto kSweepTick = std::chrono::milliseconds(200);
constexpr auto kSweepRescan = std::chrono::seconds(2);

std::shared_ptr<spdlog::logger> log() {
  return getLogger("pipeline.sweep");
}

}  // namespace

void Collector::wakeSweepers() {
  ++sweep_epoch_;
  // One sweeper looks; one that finds work wakes the next before doing it (sweepLoop). Waking all
  // made eight threads fight for mu_ on every change: 63,000 of a fleet's run --once's 280,000
  // context switches, to find nothing in seven scans of eight.
  sweep_cv_.notify_one();
}

bool Collector::tenantSweepWaiting(const std::string& tenant) const {
  for (auto [it, last] = tenantStreams(tenant); it != last; ++it) {
    const StreamRuntime& rt = it->second;
    if (rt.sweep == StreamRuntime::Sweep::kRunning && !rt.sweep_listing &&
        !rt.sweep_windows.empty())
      return true;
  }
  return false;
}

void Collector::unparkDueSweeps(WallTime wall) {
  // A wall clock stepped back can make any sweep due (sweepDue): then every parked stream is
  // looked at again (those not due are parked again).
  const bool stepped_back = wall < sweep_parked_checked_;
  sweep_parked_checked_ = wall;
  auto end = stepped_back ? sweep_parked_.end() : sweep_parked_.upper_bound(wall);
  for (auto it = sweep_parked_.begin(); it != end; it = sweep_parked_.erase(it))
    sweep_scan_.insert(it->second);
}

bool Collector::sweepEnabled() const {
  return options_.mode != CollectorMode::kReplay &&
         options_.collection.sweep_interval > std::chrono::milliseconds(0);
}

bool Collector::sweepSettled(const StreamRuntime& rt) const {
  using S = StreamRuntime::Sweep;
  if (!sweepEnabled() || !rt.last_cycle_ok) return true;
  return (rt.sweep == S::kIdle && rt.sweep_loaded) || rt.sweep == S::kDone ||
         rt.sweep == S::kGaveUp;
}

bool Collector::tenantListing(const std::string& tenant) const {
  for (auto [it, last] = tenantStreams(tenant); it != last; ++it)
    if (it->second.live_listing) return true;
  return false;
}

void Collector::sweepLoop(std::stop_token stop) {
  nameThisThread("o365-sweep");
  using S = StreamRuntime::Sweep;
  const bool once = options_.mode != CollectorMode::kDaemon;
  SteadyTime last_scan{};
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    const SteadyTime now = clock_.steadyNow();
    const WallTime wall = clock_.wallNow();
    const auto real_now = std::chrono::steady_clock::now();
    const bool quiet = sweep_epoch_ == sweep_scanned_epoch_ && now < sweep_look_at_ &&
                       wall < sweep_look_at_wall_ && real_now - last_scan < kSweepRescan;
    StreamRuntime* start = nullptr;
    StreamRuntime* list = nullptr;
    if (!quiet) {
      last_scan = real_now;
      const std::uint64_t epoch = sweep_epoch_;
      SteadyTime next_retry = SteadyTime::max();
      WallTime next_due = WallTime::max();
      if (!once) unparkDueSweeps(wall);
      // Round robin: begin after the stream served last, wrap around once.
      auto it = sweep_cursor_ ? sweep_scan_.upper_bound(*sweep_cursor_) : sweep_scan_.begin();
      for (std::size_t left = sweep_scan_.size(); left > 0; --left) {
        if (it == sweep_scan_.end()) it = sweep_scan_.begin();
        auto found = streams_.find(*it);
        if (found == streams_.end()) {  // removed with its tenant
          it = sweep_scan_.erase(it);
          continue;
        }
        StreamRuntime& rt = found->second;
        const bool finished = rt.sweep == S::kDone || rt.sweep == S::kGaveUp ||
                              (once && rt.sweep == S::kIdle && rt.sweep_loaded);
        if (!rt.ever_ok || finished) {  // retired (a first good cycle adds it again), or done
          it = sweep_scan_.erase(it);
          continue;
        }
        const auto current = it++;
        if (now < rt.sweep_retry_at) {
          next_retry = std::min(next_retry, rt.sweep_retry_at);
          continue;
        }
        if (!once && rt.sweep == S::kIdle && rt.sweep_loaded && rt.last_sweep &&
            !sweepDue(rt.last_sweep, wall, options_.collection.sweep_interval)) {
          // Swept, the next sweep not due: parked by its due time, out of the scans until then.
          sweep_parked_.emplace(*rt.last_sweep + options_.collection.sweep_interval, *current);
          sweep_scan_.erase(current);
          continue;
        }
        if (rt.sweep == S::kRunning) {
          // Listed by another sweeper, or waiting for its tenant's live listing: both wake us.
          if (!rt.sweep_listing && !rt.sweep_windows.empty() &&
              !tenantListing(rt.spec.key.tenant)) {
            list = &rt;
            break;
          }
          continue;
        }
        if (!rt.sweep_loaded || sweepDue(rt.last_sweep, wall, options_.collection.sweep_interval)) {
          start = &rt;
          break;
        }
        if (rt.last_sweep)
          next_due = std::min(next_due, *rt.last_sweep + options_.collection.sweep_interval);
      }
      if (!sweep_parked_.empty()) next_due = std::min(next_due, sweep_parked_.begin()->first);
      if (!start && !list) {
        sweep_scanned_epoch_ = epoch;
        sweep_look_at_ = next_retry;
        sweep_look_at_wall_ = next_due;
      }
    }
    if (!start && !list) {
      const std::uint64_t seen = sweep_epoch_;
      sweep_cv_.wait_for(lock, stop, kSweepTick, [&] { return sweep_epoch_ != seen; });
      continue;
    }
    StreamRuntime* picked = start ? start : list;
    sweep_cursor_ = picked->spec.key;
    if (list) list->sweep_listing = true;
    if (start) start->sweep = S::kRunning;  // no windows yet: nobody lists it meanwhile
    // There may be more to do: another sweeper looks (it starts after this stream).
    ++sweep_epoch_;
    sweep_cv_.notify_one();
    lock.unlock();
    if (start)
      startSweep(*start, stop);
    else
      listSweepWindow(*list, stop);
    lock.lock();
  }
}

void Collector::startSweep(StreamRuntime& rt, std::stop_token stop) {
  using S = StreamRuntime::Sweep;
  const StreamKey& key = rt.spec.key;
  const WallTime wall = clock_.wallNow();
  auto record = store_.sweepRecord(key);
  auto watermark = store_.watermark(key);
  auto retry_later = [&](const std::string& why) {
    log()->warn("Could not start the deep sweep; trying again later. stream={} error={}", key.str(),
                why);
    std::lock_guard lock(mu_);
    rt.sweep = S::kUndecided;
    rt.sweep_retry_at = clock_.steadyNow() + std::chrono::seconds(30);
    wakeSweepers();  // they note the retry
    if (options_.mode != CollectorMode::kDaemon &&
        ++rt.sweep_attempts >= options_.once_max_cycles) {
      rt.sweep = S::kGaveUp;
      rt.sweep_problem = why;
    }
  };
  if (!record.ok()) return retry_later(record.error().describe());
  if (!watermark.ok()) return retry_later(watermark.error().describe());
  if (!*watermark) return retry_later("the stream has no watermark yet");
  const bool due = sweepDue(record->last_sweep, wall, options_.collection.sweep_interval);
  if (record->last_sweep)
    status_.update(key, [&](StreamStatus& s) { s.last_sweep = record->last_sweep; });
  if (!due || stop.stop_requested()) {
    std::lock_guard lock(mu_);
    rt.sweep_loaded = true;
    rt.last_sweep = record->last_sweep;
    rt.sweep = S::kIdle;
    wakeSweepers();
    wakeAll();
    return;
  }
  SweepPlanInput input;
  input.watermark = **watermark;
  input.floor = record->floor;
  input.overlap = options_.collection.overlap;
  input.server_now = wall + rt.spec.source->clockSkew();
  input.retention = options_.retention;
  input.retention_margin = options_.retention_margin;
  std::vector<ListingWindow> windows = planSweep(input);
  auto cycle = std::make_shared<CycleTracker>(key, clock_.steadyNow());
  // DEBUG: every stream sweeps every sweep_interval; a fleet would log thousands of lines an
  // hour. A sweep that found something says so at INFO when it completes.
  log()->debug("Deep sweep started. stream={} windows={} from={} to={}", key.str(), windows.size(),
               windows.empty() ? "-" : formatIsoMillis(windows.front().start),
               windows.empty() ? "-" : formatIsoMillis(windows.back().end));
  {
    std::lock_guard lock(mu_);
    rt.sweep_loaded = true;
    rt.last_sweep = record->last_sweep;
    rt.sweep_windows.assign(windows.begin(), windows.end());
    rt.sweep_window_count = windows.size();
    rt.sweep_cycle = cycle;
    rt.sweep_started = wall;
    rt.sweep_watermark = **watermark;
    if (!windows.empty()) wakeSweepers();  // its windows may be listed now
  }
  if (windows.empty()) {  // nothing older than the live listing (a young stream)
    cycle->listingFinished(true);
    committer_->touch(cycle);
  }
}

void Collector::listSweepWindow(StreamRuntime& rt, std::stop_token stop) {
  const StreamKey& key = rt.spec.key;
  ListingWindow window;
  std::shared_ptr<CycleTracker> cycle;
  WallTime listed_before;
  {
    std::lock_guard lock(mu_);
    window = rt.sweep_windows.front();
    cycle = rt.sweep_cycle;
    listed_before = rt.sweep_watermark;
  }
  Status s = rt.spec.source->listWindow(
      key, window,
      [&](std::vector<ContentRef> refs) {
        return queueRefs(rt, cycle, std::move(refs), listed_before, stop);
      },
      stop);
  bool finished_listing = false;
  bool gave_up = false;
  // AF20055: the window breaks the API's 7-day / 24-hour limits — the clock skew changed since
  // the sweep was planned (the windows were never planned again, so the sweep failed for good):
  // this attempt ends and the next one plans its windows with the skew the answer taught.
  const bool replan = !s.ok() && s.error().code == "AF20055";
  {
    std::lock_guard lock(mu_);
    rt.sweep_listing = false;
    if (s.ok()) {
      rt.sweep_windows.pop_front();
      finished_listing = rt.sweep_windows.empty();
    } else if (s.error().kind == ErrorKind::kCancelled || stop.stop_requested()) {
      gave_up = true;
    } else if (replan) {
      rt.sweep_windows.clear();  // onSweepFinished counts the attempt and backs off
    } else {
      ++rt.sweep_attempts;
      rt.sweep_retry_at =
          clock_.steadyNow() + backoffDelay(options_.cycle_backoff, rt.sweep_attempts - 1, random_);
      if (options_.mode != CollectorMode::kDaemon && rt.sweep_attempts >= options_.once_max_cycles)
        gave_up = true;
    }
    wakeSweepers();
    wakeAll();
  }
  if (!s.ok() && s.error().kind != ErrorKind::kCancelled)
    log()->warn("Deep sweep: listing a window failed; {}. stream={} error={}",
                replan ? "the sweep is planned again" : "it is listed again later", key.str(),
                s.error().describe());
  if (finished_listing || gave_up || replan) {
    if (gave_up && !s.ok()) {
      std::lock_guard lock(mu_);
      rt.sweep_problem = s.error().describe();
    }
    cycle->listingFinished(finished_listing);
    committer_->touch(cycle);
  }
}

void Collector::onSweepFinished(StreamRuntime& rt, const std::shared_ptr<CycleTracker>& cycle) {
  using S = StreamRuntime::Sweep;
  const StreamKey& key = rt.spec.key;
  const bool ok = cycle->listingComplete() && cycle->failed() == 0;
  WallTime started;
  std::size_t windows = 0;
  {
    std::lock_guard lock(mu_);
    started = rt.sweep_started;
    windows = rt.sweep_window_count;
  }
  bool stored = false;
  if (ok) {
    Status s = store_.recordSweep(key, started);
    stored = s.ok();
    if (!stored)
      log()->warn("Could not store the sweep time; the next start sweeps again. stream={} error={}",
                  key.str(), s.error().describe());
    status_.update(key, [&](StreamStatus& st) {
      st.last_sweep = started;
      ++st.sweeps_completed;
    });
    const bool quiet = options_.mode == CollectorMode::kDaemon && cycle->listed() == 0;
    log()->log(
        quiet ? spdlog::level::debug : spdlog::level::info,
        "Deep sweep complete. stream={} windows={} blobs_queued={} elapsed_ms={}", key.str(),
        windows, cycle->listed(),
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steadyNow() - cycle->started())
            .count());
  } else {
    log()->warn("Deep sweep incomplete; it starts again. stream={} failed_blobs={} listed={}",
                key.str(), cycle->failed(), cycle->listingComplete() ? "yes" : "no");
  }
  std::lock_guard lock(mu_);
  rt.sweep_cycle.reset();
  rt.sweep_windows.clear();
  const bool once = options_.mode != CollectorMode::kDaemon;
  if (ok) {
    rt.last_sweep = started;
    rt.sweep_attempts = 0;
    rt.sweep = once ? S::kDone : S::kIdle;
  } else if (rt.sweep != S::kGaveUp) {
    ++rt.sweep_attempts;
    rt.sweep_retry_at =
        clock_.steadyNow() + backoffDelay(options_.cycle_backoff, rt.sweep_attempts - 1, random_);
    rt.sweep = S::kUndecided;
    if (once && (rt.sweep_attempts >= options_.once_max_cycles || draining_.load())) {
      rt.sweep = S::kGaveUp;
      if (rt.sweep_problem.empty())
        rt.sweep_problem = std::to_string(cycle->failed()) + " blob(s) could not be delivered";
    }
  }
  wakeSweepers();
  wakeAll();
}

}  // namespace o365fwd
