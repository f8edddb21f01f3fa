#include "pipeline/cycle_tracker.h"

#include <algorithm>

namespace o365fwd {

CycleTracker::CycleTracker(StreamKey stream, SteadyTime started)
    : stream_(std::move(stream)), started_(started) {}

void CycleTracker::addPending(const ContentRef& content) {
  std::lock_guard lock(mu_);
  if (pending_.emplace(content.content_id, content.created).second) {
    pending_created_.insert(content.created);
    ++listed_;
  }
}

void CycleTracker::resolve(const ContentRef& content, bool ok) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(content.content_id);
  if (it == pending_.end()) return;
  pending_created_.erase(pending_created_.find(it->second));
  pending_.erase(it);
  if (ok) {
    ++resolved_ok_;
  } else {
    ++failed_;
    min_failed_ = min_failed_ ? std::min(*min_failed_, content.created) : content.created;
  }
}

void CycleTracker::windowListed(WallTime end) {
  std::lock_guard lock(mu_);
  listed_until_ = listed_until_ ? std::max(*listed_until_, end) : end;
}

void CycleTracker::listingFinished(bool complete) {
  std::lock_guard lock(mu_);
  listing_finished_ = true;
  listing_complete_ = complete;
}

std::optional<WallTime> CycleTracker::watermarkCandidate() const {
  std::lock_guard lock(mu_);
  if (!listed_until_) return std::nullopt;
  WallTime candidate = *listed_until_;
  if (!pending_created_.empty()) candidate = std::min(candidate, *pending_created_.begin());
  if (min_failed_) candidate = std::min(candidate, *min_failed_);
  return candidate;
}

bool CycleTracker::finished() const {
  std::lock_guard lock(mu_);
  return listing_finished_ && pending_.empty();
}

bool CycleTracker::listingComplete() const {
  std::lock_guard lock(mu_);
  return listing_complete_;
}

bool CycleTracker::claimFinish() {
  std::lock_guard lock(mu_);
  if (!listing_finished_ || !pending_.empty() || finish_claimed_) return false;
  finish_claimed_ = true;
  return true;
}

std::uint64_t CycleTracker::pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

std::uint64_t CycleTracker::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

std::uint64_t CycleTracker::listed() const {
  std::lock_guard lock(mu_);
  return listed_;
}

std::uint64_t CycleTracker::resolvedOk() const {
  std::lock_guard lock(mu_);
  return resolved_ok_;
}

}  // namespace o365fwd
