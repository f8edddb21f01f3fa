#include "pipeline/poll_schedule.h"

namespace o365fwd {

void PollSchedule::schedule(const StreamKey& key, SteadyTime due) {
  auto [it, inserted] = due_of_.try_emplace(&key, due);
  if (!inserted) {
    if (it->second == due) return;
    by_due_.erase({it->second, &key});
    it->second = due;
  }
  by_due_.emplace(due, &key);
}

void PollSchedule::unschedule(const StreamKey& key) {
  auto it = due_of_.find(&key);
  if (it == due_of_.end()) return;
  by_due_.erase({it->second, &key});
  due_of_.erase(it);
}

std::optional<SteadyTime> PollSchedule::dueAt(const StreamKey& key) const {
  auto it = due_of_.find(&key);
  if (it == due_of_.end()) return std::nullopt;
  return it->second;
}

PollSchedule::Taken PollSchedule::takeDue(SteadyTime now, std::size_t max,
                                          const std::function<bool(const StreamKey&)>& must_wait) {
  Taken taken;
  auto it = by_due_.begin();
  while (it != by_due_.end() && it->first <= now && taken.keys.size() < max) {
    const StreamKey* key = it->second;
    if (must_wait && must_wait(*key)) {
      ++it;
      continue;
    }
    taken.keys.push_back(key);
    due_of_.erase(key);
    it = by_due_.erase(it);
  }
  // Below `max`, every due stream that could go went and `it` is the first one due later.
  if (taken.keys.size() < max && it != by_due_.end()) taken.next_due = it->first;
  return taken;
}

void PollSchedule::setupEnded(const std::string& tenant) {
  auto it = setting_up_.find(tenant);
  if (it == setting_up_.end()) return;
  if (--it->second <= 0) setting_up_.erase(it);
}

}  // namespace o365fwd
