#pragma once
// The Collector's listing schedule as an index: when each idle stream polls next, earliest first,
// and which tenants have a stream setting up its subscription (their other streams that still
// need a start wait, so they do not each hold a lister blocked on the tenant's lock).
//
// Owned by the Collector and only used under its mutex: not thread-safe. A stream is identified
// by the address of its key, which must stay valid while it is scheduled (the Collector passes
// the key inside its stream's entry and unschedules a stream before erasing it).
//
// Promises: takeDue() costs O((k + s) log n) for k streams taken and s due streams left waiting
// for their tenant's set-up, never a scan of every stream — a 5,000-stream fleet that polls every
// 60 s wakes the dispatcher a few hundred times a minute. Streams due at the same instant are
// taken in key order (tenant, then content type).
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connector/content_ref.h"
#include "core/clock.h"

namespace o365fwd {

class PollSchedule {
 public:
  // Schedules (or moves) the stream's next poll to `due`.
  void schedule(const StreamKey& key, SteadyTime due);
  // The stream is busy, finished or going away: no poll is due. No-op when not scheduled.
  void unschedule(const StreamKey& key);
  std::optional<SteadyTime> dueAt(const StreamKey& key) const;
  std::size_t size() const { return by_due_.size(); }

  struct Taken {
    std::vector<const StreamKey*> keys;  // unscheduled, earliest due first
    // The earliest due time after `now` (when the dispatcher must look again); none when nothing
    // is scheduled later, or when it stopped at `max` (it waits for a lister to become idle).
    std::optional<SteadyTime> next_due;
  };
  // Takes at most `max` streams due at `now`, earliest first. A due stream for which
  // `must_wait(key)` is true stays scheduled (its tenant is setting up; setupEnded() is the cue
  // to look again).
  Taken takeDue(SteadyTime now, std::size_t max,
                const std::function<bool(const StreamKey&)>& must_wait);

  // Tenants with a stream in set-up (token, subscriptions list, start): counted per stream.
  void setupStarted(const std::string& tenant) { ++setting_up_[tenant]; }
  void setupEnded(const std::string& tenant);
  bool settingUp(const std::string& tenant) const { return setting_up_.count(tenant) > 0; }

 private:
  struct ByDue {
    bool operator()(const std::pair<SteadyTime, const StreamKey*>& a,
                    const std::pair<SteadyTime, const StreamKey*>& b) const {
      if (a.first != b.first) return a.first < b.first;
      return *a.second < *b.second;
    }
  };
  std::set<std::pair<SteadyTime, const StreamKey*>, ByDue> by_due_;
  std::map<const StreamKey*, SteadyTime> due_of_;
  std::unordered_map<std::string, int> setting_up_;
};

}  // namespace o365fwd
