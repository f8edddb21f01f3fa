#pragma once
// Bounded queue of blobs waiting for a download worker, fair across tenants (issue 11 part 4):
// - pop() serves the tenants in turn (round robin by tenant name), and within a tenant its
//   streams in turn, so a tenant with a 7-day backlog on five content types gets one turn per
//   round like a tenant with one new blob, and cannot starve the others.
// - push() blocks while the queue is full (backpressure reaches the listers) or while the
//   pushing tenant already holds its share (half the capacity, at least 1): a backlog never
//   fills the queue, so another tenant's blob waits at most for a free place, not behind it.
// Thread-safe; every wait ends on the stop token or close(). A push wakes one waiting worker, not
// all of them (16 workers woken per blob, 15 of them for nothing, cost a fleet's start-up a
// context switch storm). Likewise a pop wakes one waiting pusher, the first (in arrival order)
// whose tenant now has room, not every pusher: in a fleet 64 listers wait on a full queue, and
// waking all of them per blob was a quarter of the daemon's CPU. And a pop wakes a pusher only
// once a quarter of the queue is free: the woken lister pushes its listing's next blobs without
// waiting again and wakes the next pusher while room is left (a wake-up per blob was 20,000 of a
// 1,000-tenant run --once's context switches). Workers pop while anything is queued, so the queue
// always drains to that mark again. A pusher that waited for its tenant's share (the queue had
// room) is woken by any pop that gives it room, as before.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "pipeline/blob_task.h"

namespace o365fwd {

class BlobQueue {
 public:
  explicit BlobQueue(std::size_t capacity);
  // False when `stop` was requested or the queue was closed before there was room.
  bool push(BlobTaskPtr task, std::stop_token stop);
  // Pushes the tasks in order, each as push() does (waiting for room), and returns how many went
  // in: fewer when `stop` was requested or the queue was closed (the rest stay in `tasks`). The
  // next waiting pusher is woken after the last of them, so one woken lister fills the free
  // places with its listing instead of sharing them out one blob per lister.
  std::size_t pushAll(std::vector<BlobTaskPtr>& tasks, std::stop_token stop);
  // Blocks for the next task; nullopt when `stop` was requested or the queue is closed and empty.
  std::optional<BlobTaskPtr> pop(std::stop_token stop);
  // Wakes every waiter; push() fails from now on, pop() drains what is left.
  void close();
  // Removes and returns everything still queued (shutdown: these blobs are not done).
  std::deque<BlobTaskPtr> drain();
  std::size_t size() const;
  std::size_t sizeOf(const StreamKey& stream) const;
  std::size_t sizeOfTenant(const std::string& tenant) const;
  std::size_t tenantShare() const { return tenant_share_; }

 private:
  struct TenantQueue {
    std::map<StreamKey, std::deque<BlobTaskPtr>> streams;
    std::optional<StreamKey> last_served;
    std::size_t size = 0;
  };

  // A pusher waiting for room (on its own stack); `woken` set by wakePusherLocked().
  struct Waiter {
    const std::string* tenant = nullptr;
    bool share_bound = false;  // it waited for its tenant's share: the queue had room
    std::condition_variable_any cv;
    bool woken = false;
  };
  bool hasRoomLocked(const std::string& tenant) const;
  // Waits (in the FIFO of pushers) until `tenant` has room; false on stop or close().
  bool waitForRoomLocked(const std::string& tenant, std::unique_lock<std::mutex>& lock,
                         std::stop_token stop);
  void addLocked(BlobTaskPtr task);
  // Wakes the first waiting pusher that has room now, if any (caller holds mu_).
  // With only_share_bound, only a pusher that waited for its tenant's share, not for room.
  void wakePusherLocked(bool only_share_bound = false);

  const std::size_t capacity_;
  const std::size_t tenant_share_;  // most blobs one tenant may have queued
  const std::size_t refill_;        // free places before a pop wakes a waiting pusher
  mutable std::mutex mu_;
  std::condition_variable_any items_cv_;  // pop() waits for a task
  std::list<Waiter*> waiters_;            // push() waits for room, in arrival order
  std::size_t woken_ = 0;                 // waiters woken that have not looked yet
  std::map<std::string, TenantQueue> tenants_;
  std::optional<std::string> last_tenant_;
  std::size_t size_ = 0;
  bool closed_ = false;
};

}  // namespace o365fwd
