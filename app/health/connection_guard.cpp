#include "app/health/connection_guard.h"

namespace o365fwd {

ConnectionGuard::ConnectionGuard(Clock& clock, std::size_t max_connections,
                                 std::chrono::milliseconds header_timeout, CloseFn close_fn)
    : clock_(clock),
      max_connections_(max_connections == 0 ? 1 : max_connections),
      header_timeout_(header_timeout),
      close_fn_(std::move(close_fn)) {}

void ConnectionGuard::closeLocked(Entry& e) {
  e.closing = true;
  --open_;
  close_fn_(e.fd);
}

ConnectionGuard::Id ConnectionGuard::opened(int fd) {
  std::lock_guard lock(mu_);
  const Id id = next_id_++;
  entries_[id] = Entry{fd, false, false, clock_.steadyNow()};
  ++open_;
  if (open_ > max_connections_) {
    // The oldest connection still waiting for a header; the new one is the last candidate.
    for (auto& [other, e] : entries_) {
      if (e.busy || e.closing) continue;
      closeLocked(e);
      ++evicted_;
      break;
    }
  }
  return id;
}

void ConnectionGuard::requestStarted(Id id) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(id); it != entries_.end()) it->second.busy = true;
}

void ConnectionGuard::requestFinished(Id id) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(id); it != entries_.end()) {
    it->second.busy = false;
    it->second.since = clock_.steadyNow();
  }
}

void ConnectionGuard::closed(Id id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  if (!it->second.closing) --open_;
  entries_.erase(it);
}

std::optional<SteadyTime> ConnectionGuard::sweep() {
  std::lock_guard lock(mu_);
  const SteadyTime now = clock_.steadyNow();
  std::optional<SteadyTime> next;
  for (auto& [id, e] : entries_) {
    if (e.busy || e.closing) continue;
    const SteadyTime deadline = e.since + header_timeout_;
    if (deadline <= now) {
      closeLocked(e);
      ++header_timeouts_;
    } else if (!next || deadline < *next) {
      next = deadline;
    }
  }
  return next;
}

ConnectionGuard::Counts ConnectionGuard::counts() const {
  std::lock_guard lock(mu_);
  return Counts{open_, evicted_, header_timeouts_};
}

}  // namespace o365fwd
