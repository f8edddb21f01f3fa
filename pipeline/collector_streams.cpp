// Live tenant changes of the Collector (SIGHUP with tenants added, changed or removed; the app's
// TenantFleet calls these). A removed tenant's streams are retired first — no new cycle, no new
// sweep window — and forgotten only once nothing of theirs is in flight: the live cycle that was
// running finishes (every blob it listed settles and is committed, so the watermark moves as
// usual) and a running deep sweep ends after the window it lists. What the store holds for the
// streams (watermark, done blobs, sweep record) stays: adding the tenant again resumes there.
#include <algorithm>

#include "core/logging.h"
#include "pipeline/collector.h"

namespace o365fwd {

Status Collector::addStreams(std::vector<StreamSpec> specs) {
  std::lock_guard lock(mu_);
  if (draining_.load())
    return Error::retryableError(ErrorKind::kCancelled, "the collector is stopping");
  for (const StreamSpec& spec : specs)
    if (streams_.count(spec.key))
      return Error::retryableError(ErrorKind::kInternal,
                                   "stream " + spec.key.str() + " is still running or draining");
  const SteadyTime now = clock_.steadyNow();
  for (StreamSpec& spec : specs) {
    StreamRuntime rt;
    rt.spec = spec;
    status_.addStream(spec.key);
    auto [it, added] = streams_.emplace(spec.key, std::move(rt));
    schedulePoll(it->second, now);
  }
  finished_cursor_ = streams_.begin();
  wakeAll();
  return okStatus();
}

void Collector::retireTenant(const std::string& tenant) {
  std::vector<std::shared_ptr<CycleTracker>> end_sweeps;
  {
    std::lock_guard lock(mu_);
    for (auto [it, last] = tenantStreams(tenant); it != last; ++it) {
      StreamRuntime& rt = it->second;
      rt.retiring = true;
      rt.finished = true;  // listers and syncNow() skip finished streams
      rt.ever_ok = false;  // the sweeper starts and lists nothing for it
      schedule_.unschedule(rt.spec.key);
    }
    // Sweeps between windows end now, so many tenants retired together drain together.
    (void)tenantDrained(tenant, end_sweeps);
    wakeAll();
  }
  for (const auto& cycle : end_sweeps) {
    cycle->listingFinished(false);
    committer_->touch(cycle);
  }
}

bool Collector::hasTenant(const std::string& tenant) const {
  std::lock_guard lock(mu_);
  auto [first, last] = tenantStreams(tenant);
  return first != last;
}

std::pair<Collector::StreamMap::iterator, Collector::StreamMap::iterator> Collector::tenantStreams(
    const std::string& tenant) {
  // Every key of the tenant sorts before (tenant + '\0', ""), every key of a later tenant after.
  return {streams_.lower_bound(StreamKey{tenant, ""}),
          streams_.lower_bound(StreamKey{tenant + '\0', ""})};
}

std::pair<Collector::StreamMap::const_iterator, Collector::StreamMap::const_iterator>
Collector::tenantStreams(const std::string& tenant) const {
  return {streams_.lower_bound(StreamKey{tenant, ""}),
          streams_.lower_bound(StreamKey{tenant + '\0', ""})};
}

bool Collector::tenantDrained(const std::string& tenant,
                              std::vector<std::shared_ptr<CycleTracker>>& end_sweeps) {
  using S = StreamRuntime::Sweep;
  bool drained = true;
  for (auto [it, last] = tenantStreams(tenant); it != last; ++it) {
    StreamRuntime& rt = it->second;
    // A sweep between windows ends here: its remaining windows are not listed.
    if (rt.sweep_cycle && !rt.sweep_listing && !rt.sweep_windows.empty()) {
      rt.sweep_windows.clear();
      end_sweeps.push_back(rt.sweep_cycle);
    }
    if (rt.busy || rt.sweep_listing || rt.sweep_cycle || rt.sweep == S::kRunning) drained = false;
  }
  return drained;
}

bool Collector::removeTenant(const std::string& tenant, SteadyTime deadline, std::stop_token stop) {
  retireTenant(tenant);
  std::unique_lock lock(mu_);
  ++removals_waiting_;
  struct Done {
    std::size_t& n;
    ~Done() { --n; }
  } done{removals_waiting_};  // under mu_: every return below holds the lock
  for (;;) {
    std::vector<std::shared_ptr<CycleTracker>> end_sweeps;
    const bool drained = tenantDrained(tenant, end_sweeps);
    if (!end_sweeps.empty()) {
      lock.unlock();
      for (const auto& cycle : end_sweeps) {
        cycle->listingFinished(false);
        committer_->touch(cycle);
      }
      lock.lock();
      continue;
    }
    if (drained) break;
    if (stop.stop_requested() || clock_.steadyNow() >= deadline) return false;
    std::uint64_t seen = wakeups_;
    cv_.wait_for(lock, stop, std::chrono::milliseconds(200), [&] { return wakeups_ != seen; });
  }
  for (auto [it, last] = tenantStreams(tenant); it != last;) {
    status_.removeStream(it->first);
    schedule_.unschedule(it->second.spec.key);
    if (it->second.listed_once) --listed_once_;
    it = streams_.erase(it);
  }
  finished_cursor_ = streams_.begin();
  return true;
}

}  // namespace o365fwd
