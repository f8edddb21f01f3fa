#include "pipeline/blob_queue.h"

namespace o365fwd {

BlobQueue::BlobQueue(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

bool BlobQueue::push(BlobTaskPtr task, std::stop_token stop) {
  std::unique_lock lock(mu_);
  if (!cv_.wait(lock, stop, [&] { return closed_ || size_ < capacity_; }) || closed_) return false;
  per_stream_[task->content.stream].push_back(std::move(task));
  ++size_;
  cv_.notify_all();
  return true;
}

std::optional<BlobTaskPtr> BlobQueue::pop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  if (!cv_.wait(lock, stop, [&] { return closed_ || size_ > 0; }) || size_ == 0) return std::nullopt;
  // Round robin: the first non-empty stream after the one served last.
  auto it = last_served_ ? per_stream_.upper_bound(*last_served_) : per_stream_.begin();
  for (std::size_t i = 0; i <= per_stream_.size(); ++i) {
    if (it == per_stream_.end()) it = per_stream_.begin();
    if (!it->second.empty()) break;
    ++it;
  }
  BlobTaskPtr task = std::move(it->second.front());
  it->second.pop_front();
  last_served_ = it->first;
  if (it->second.empty()) per_stream_.erase(it);
  --size_;
  cv_.notify_all();
  return task;
}

void BlobQueue::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

std::deque<BlobTaskPtr> BlobQueue::drain() {
  std::lock_guard lock(mu_);
  std::deque<BlobTaskPtr> out;
  for (auto& [stream, tasks] : per_stream_)
    for (auto& t : tasks) out.push_back(std::move(t));
  per_stream_.clear();
  size_ = 0;
  cv_.notify_all();
  return out;
}

std::size_t BlobQueue::size() const {
  std::lock_guard lock(mu_);
  return size_;
}

std::size_t BlobQueue::sizeOf(const StreamKey& stream) const {
  std::lock_guard lock(mu_);
  auto it = per_stream_.find(stream);
  return it == per_stream_.end() ? 0 : it->second.size();
}

}  // namespace o365fwd
