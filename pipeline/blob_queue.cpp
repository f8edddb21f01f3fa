#include "pipeline/blob_queue.h"

#include <algorithm>

namespace o365fwd {
namespace {

// The first entry after `last` (wrapping), or the first one when there is no `last`.
template <typename Map, typename Key>
typename Map::iterator nextInTurn(Map& map, const std::optional<Key>& last) {
  auto it = last ? map.upper_bound(*last) : map.begin();
  return it == map.end() ? map.begin() : it;
}

}  // namespace

BlobQueue::BlobQueue(std::size_t capacity)
    : capacity_(std::max<std::size_t>(1, capacity)),
      tenant_share_(std::max<std::size_t>(1, capacity_ / 2)),
      refill_(std::max<std::size_t>(1, capacity_ / 4)) {}

bool BlobQueue::hasRoomLocked(const std::string& tenant) const {
  if (size_ >= capacity_) return false;
  auto it = tenants_.find(tenant);
  return it == tenants_.end() || it->second.size < tenant_share_;
}

void BlobQueue::wakePusherLocked(bool only_share_bound) {
  // Pushers already woken take the free places first; no one else is woken for them.
  if (capacity_ - std::min(size_, capacity_) <= woken_) return;
  for (Waiter* w : waiters_) {
    if (w->woken || (only_share_bound && !w->share_bound) || !hasRoomLocked(*w->tenant)) continue;
    w->woken = true;
    ++woken_;
    w->cv.notify_one();
    return;
  }
}

bool BlobQueue::waitForRoomLocked(const std::string& tenant, std::unique_lock<std::mutex>& lock,
                                  std::stop_token stop) {
  if (closed_ || hasRoomLocked(tenant)) return !closed_;
  // Held back by its tenant's share with room left: the next pusher that fits goes on meanwhile.
  if (size_ < capacity_ && !waiters_.empty()) wakePusherLocked();
  Waiter self;
  self.tenant = &tenant;
  self.share_bound = size_ < capacity_;
  auto pos = waiters_.insert(waiters_.end(), &self);
  bool got = true;
  // Another pusher may take the place this one was woken for first: it then waits again.
  while (got && !closed_ && !hasRoomLocked(tenant)) {
    got = self.cv.wait(lock, stop, [&] { return self.woken || closed_; });
    if (self.woken) {
      self.woken = false;
      --woken_;
    }
  }
  waiters_.erase(pos);
  if (!got) {
    wakePusherLocked();  // a place this pusher was woken for goes to the next one
    return false;
  }
  return !closed_;
}

void BlobQueue::addLocked(BlobTaskPtr task) {
  TenantQueue& q = tenants_[task->content.stream.tenant];
  q.streams[task->content.stream].push_back(std::move(task));
  ++q.size;
  ++size_;
  items_cv_.notify_one();
}

bool BlobQueue::push(BlobTaskPtr task, std::stop_token stop) {
  std::vector<BlobTaskPtr> one;
  one.push_back(std::move(task));
  return pushAll(one, stop) == 1;
}

std::size_t BlobQueue::pushAll(std::vector<BlobTaskPtr>& tasks, std::stop_token stop) {
  std::unique_lock lock(mu_);
  std::size_t pushed = 0;
  for (BlobTaskPtr& task : tasks) {
    if (!waitForRoomLocked(task->content.stream.tenant, lock, stop)) break;
    addLocked(std::move(task));
    ++pushed;
  }
  // Several places freed while this pusher pushed or woke up (several pops, a drain): the next
  // pusher — after this one's blobs, so a woken lister fills the places with its whole listing.
  if (!waiters_.empty()) wakePusherLocked();
  return pushed;
}

std::optional<BlobTaskPtr> BlobQueue::pop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  if (!items_cv_.wait(lock, stop, [&] { return closed_ || size_ > 0; }) || size_ == 0)
    return std::nullopt;
  // Round robin over tenants, then over the tenant's streams. Empty entries are erased, so the
  // next entry in turn always holds a task.
  auto tenant = nextInTurn(tenants_, last_tenant_);
  TenantQueue& q = tenant->second;
  auto stream = nextInTurn(q.streams, q.last_served);
  BlobTaskPtr task = std::move(stream->second.front());
  stream->second.pop_front();
  q.last_served = stream->first;
  last_tenant_ = tenant->first;
  if (stream->second.empty()) q.streams.erase(stream);
  --q.size;
  if (q.size == 0) tenants_.erase(tenant);
  --size_;
  // Pushers wait for different conditions (their tenant's share): the first one with room now.
  // One that waited for a full queue only once a quarter of it is free, so the woken lister
  // pushes several blobs before it waits again (and wakes the next pusher while room is left,
  // pushAll()), not one blob per wake-up.
  if (!waiters_.empty()) wakePusherLocked(capacity_ - size_ < refill_);
  return task;
}

void BlobQueue::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  items_cv_.notify_all();
  for (Waiter* w : waiters_) w->cv.notify_one();
}

std::deque<BlobTaskPtr> BlobQueue::drain() {
  std::lock_guard lock(mu_);
  std::deque<BlobTaskPtr> out;
  for (auto& [tenant, q] : tenants_)
    for (auto& [stream, tasks] : q.streams)
      for (auto& t : tasks) out.push_back(std::move(t));
  tenants_.clear();
  size_ = 0;
  for (std::size_t i = 0; i < waiters_.size(); ++i) wakePusherLocked();
  return out;
}

std::size_t BlobQueue::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

std::size_t BlobQueue::sizeOf(const StreamKey& stream) const {
  std::lock_guard lock(mu_);
  auto t = tenants_.find(stream.tenant);
  if (t == tenants_.end()) return 0;
  auto it = t->second.streams.find(stream);
  return it == t->second.streams.end() ? 0 : it->second.size();
}

std::size_t BlobQueue::sizeOfTenant(const std::string& tenant) const {
  std::lock_guard lock(mu_);
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? 0 : it->second.size;
}

}  // namespace o365fwd
