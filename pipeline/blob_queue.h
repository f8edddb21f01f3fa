#pragma once
// Bounded queue of blobs waiting for a download worker, fair across streams: pop() takes from the
// streams in turn, so a stream with a 7-day backlog cannot starve the others. push() blocks while
// the queue is full (backpressure reaches the listers). Thread-safe.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>

#include "pipeline/blob_task.h"

namespace o365fwd {

class BlobQueue {
 public:
  explicit BlobQueue(std::size_t capacity);
  // False when `stop` was requested or the queue was closed before there was room.
  bool push(BlobTaskPtr task, std::stop_token stop);
  // Blocks for the next task; nullopt when `stop` was requested or the queue is closed and empty.
  std::optional<BlobTaskPtr> pop(std::stop_token stop);
  // Wakes every waiter; push() fails from now on, pop() drains what is left.
  void close();
  // Removes and returns everything still queued (shutdown: these blobs are not done).
  std::deque<BlobTaskPtr> drain();
  std::size_t size() const;
  std::size_t sizeOf(const StreamKey& stream) const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::map<StreamKey, std::deque<BlobTaskPtr>> per_stream_;
  std::optional<StreamKey> last_served_;
  std::size_t size_ = 0;
  bool closed_ = false;
};

}  // namespace o365fwd
