// The listing schedule of the Collector (see pipeline/collector.h): one dispatcher thread picks
// the streams whose poll is due, earliest first, and hands each to an idle lister thread; the
// lister pool grows with the stream count (one thread per kStreamsPerLister streams, at least
// kMinListers, at most collection.max_concurrent_listings), so listing is not bounded by a fixed
// thread count. The daemon's first poll of each tenant is spread over the start-up spread, and
// one INFO line per summary_interval sums up the polls instead of a line per poll.
//
// The idle streams wait in schedule_ (pipeline/poll_schedule.h) by their next poll: the
// dispatcher takes the due ones from its front and never scans every stream (at 5,000 streams a
// scan per wake-up cost most of an idle daemon's CPU and slowed its start-up).
#include <algorithm>

#include "core/logging.h"
#include "core/thread_name.h"
#include "pipeline/collector.h"

namespace o365fwd {
namespace {

constexpr std::size_t kStreamsPerLister = 50;
constexpr std::size_t kMinListers = 8;
constexpr auto kStartupSpreadPerTenant = std::chrono::milliseconds(4);
// The dispatcher looks at the clock at least this often (FakeClock and SystemClock alike).
constexpr auto kDispatchTick = std::chrono::milliseconds(200);

std::shared_ptr<spdlog::logger> log() {
  return getLogger("pipeline.collector");
}

}  // namespace

std::size_t Collector::listerTarget() const {
  const std::size_t streams = std::max<std::size_t>(1, streams_.size());
  const std::size_t cap =
      static_cast<std::size_t>(std::max(1, options_.collection.max_concurrent_listings));
  const std::size_t wanted =
      std::max(kMinListers, (streams + kStreamsPerLister - 1) / kStreamsPerLister);
  return std::min({streams, cap, wanted});
}

void Collector::spreadFirstPolls(SteadyTime now) {
  std::map<std::string, SteadyTime> first;  // by tenant: its streams share the token and the list
  for (const auto& [key, rt] : streams_) first.emplace(key.tenant, now);
  std::chrono::milliseconds spread{0};
  if (options_.mode == CollectorMode::kDaemon && first.size() > 1)
    spread = std::min(options_.collection.startup_spread,
                      kStartupSpreadPerTenant * static_cast<long>(first.size()));
  if (spread.count() > 0)
    for (auto& [tenant, due] : first)
      due = now + std::chrono::duration_cast<SteadyTime::duration>(
                      std::chrono::duration<double, std::milli>(
                          random_.uniform() * static_cast<double>(spread.count())));
  for (auto& [key, rt] : streams_)
    if (!rt.busy && !rt.finished) schedulePoll(rt, first.at(key.tenant));
  if (spread.count() > 0)
    log()->info("First polls spread over {} ms with jitter. tenants={} streams={}", spread.count(),
                first.size(), streams_.size());
}

void Collector::schedulePoll(StreamRuntime& rt, SteadyTime due) {
  schedule_.schedule(rt.spec.key, due);
  if (due < dispatch_look_at_) wakeDispatcher();
}

void Collector::wakeDispatcher() {
  ++dispatch_wakeups_;
  dispatch_cv_.notify_one();
}

void Collector::endSetup(StreamRuntime& rt) {
  if (!rt.in_setup) return;
  rt.in_setup = false;
  schedule_.setupEnded(rt.spec.key.tenant);
  wakeDispatcher();  // the tenant's other streams may be dispatched now
}

void Collector::dispatchLoop(std::stop_token stop) {
  nameThisThread("o365-dispatch");
  SteadyTime next_summary = clock_.steadyNow() + options_.summary_interval;
  SteadyTime last_summary = clock_.steadyNow();
  const bool replay = options_.mode == CollectorMode::kReplay;
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    // Grow the pool to the stream count (streams may be added while running).
    for (std::size_t n = listerTarget(); listers_.size() < n;)
      listers_.emplace_back([this](std::stop_token) { listerLoop(listing_stop_.get_token()); });

    const SteadyTime now = clock_.steadyNow();
    // As many as there are idle listers, earliest due first; the others wait for a lister.
    // A tenant's subscription requests are serialised (SubscriptionManager): while one of its
    // streams sets up (token, list, start), its other streams that need a start wait in the
    // schedule rather than hold a lister each, so the listers go to other tenants. (Replay never
    // touches subscriptions.)
    const std::size_t free = idle_listers_ > due_.size() ? idle_listers_ - due_.size() : 0;
    PollSchedule::Taken taken = schedule_.takeDue(now, free, [&](const StreamKey& key) {
      StreamRuntime& rt = streams_.at(key);
      if (replay || rt.subscription_ok) return false;
      if (schedule_.settingUp(key.tenant)) return true;
      rt.in_setup = true;  // taken: this stream sets the tenant up
      schedule_.setupStarted(key.tenant);
      return false;
    });
    for (const StreamKey* key : taken.keys) {
      streams_.at(*key).busy = true;
      due_.push_back(*key);
      due_cv_.notify_one();
    }

    if (options_.mode == CollectorMode::kDaemon && now >= next_summary) {
      logPollSummary(std::chrono::duration_cast<std::chrono::milliseconds>(now - last_summary));
      last_summary = now;
      next_summary = now + options_.summary_interval;
    }

    // The clock is read at least every kDispatchTick (a FakeClock moves without telling).
    auto wait = kDispatchTick;
    if (taken.next_due)
      wait = std::min<std::chrono::milliseconds>(
          wait, std::chrono::duration_cast<std::chrono::milliseconds>(*taken.next_due - now));
    wait = std::max(wait, std::chrono::milliseconds(1));
    dispatch_look_at_ = now + wait;
    const std::uint64_t seen = dispatch_wakeups_;
    dispatch_cv_.wait_for(lock, stop, wait, [&] { return dispatch_wakeups_ != seen; });
    dispatch_look_at_ = SteadyTime::min();  // looking now: a new due stream needs no wake-up
  }
}

void Collector::listerLoop(std::stop_token stop) {
  nameThisThread("o365-list");
  for (;;) {
    StreamRuntime* picked = nullptr;
    {
      std::unique_lock lock(mu_);
      ++idle_listers_;
      wakeDispatcher();  // the dispatcher may hand this lister a stream
      const bool got = due_cv_.wait(lock, stop, [&] { return !due_.empty(); });
      --idle_listers_;
      if (!got) return;
      auto it = streams_.find(due_.front());
      due_.pop_front();
      if (it == streams_.end()) continue;  // removed meanwhile
      picked = &it->second;
    }
    runCycle(*picked, stop);
  }
}

void Collector::logPollSummary(std::chrono::milliseconds interval) {
  std::size_t polled = 0;
  std::chrono::milliseconds max_gap{0};
  const SteadyTime since = clock_.steadyNow() - interval;
  for (auto& [key, rt] : streams_) {
    if (rt.last_started && *rt.last_started >= since) ++polled;
    max_gap = std::max(max_gap, rt.max_gap);
    rt.max_gap = std::chrono::milliseconds(0);
  }
  const std::uint64_t records = status_.totals().events_forwarded_run;
  log()->info(
      "Polling summary. interval_s={} streams={} streams_polled={} polls={} failed_polls={} "
      "blobs_queued={} records_forwarded={} longest_poll_gap_s={} listers={}",
      interval.count() / 1000, streams_.size(), polled, polls_, failed_polls_, blobs_queued_,
      records - std::min(records, records_at_summary_), max_gap.count() / 1000, listers_.size());
  polls_ = failed_polls_ = blobs_queued_ = 0;
  records_at_summary_ = records;
}

}  // namespace o365fwd
