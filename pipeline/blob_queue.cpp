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
      tenant_share_(std::max<std::size_t>(1, capacity_ / 2)) {}

bool BlobQueue::push(BlobTaskPtr task, std::stop_token stop) {
  const std::string& tenant = task->content.stream.tenant;
  std::unique_lock lock(mu_);
  auto room = [&] {
    if (closed_) return true;
    auto it = tenants_.find(tenant);
    return size_ < capacity_ && (it == tenants_.end() || it->second.size < tenant_share_);
  };
  if (!room()) {
    ++waiting_pushers_;
    const bool got = room_cv_.wait(lock, stop, room);
    --waiting_pushers_;
    if (!got) return false;
  }
  if (closed_) return false;
  TenantQueue& q = tenants_[tenant];
  q.streams[task->content.stream].push_back(std::move(task));
  ++q.size;
  ++size_;
  items_cv_.notify_one();
  return true;
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
  // Pushers wait for different conditions (their tenant's share): each looks again.
  if (waiting_pushers_ > 0) room_cv_.notify_all();
  return task;
}

void BlobQueue::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  items_cv_.notify_all();
  room_cv_.notify_all();
}

std::deque<BlobTaskPtr> BlobQueue::drain() {
  std::lock_guard lock(mu_);
  std::deque<BlobTaskPtr> out;
  for (auto& [tenant, q] : tenants_)
    for (auto& [stream, tasks] : q.streams)
      for (auto& t : tasks) out.push_back(std::move(t));
  tenants_.clear();
  size_ = 0;
  room_cv_.notify_all();
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
