#pragma once
// Keeps slow and idle clients of the health endpoint from crowding out its probes. Tracks every
// open connection in accept order and closes (through `close_fn`, which shuts the socket down so
// the HTTP library notices and releases it):
//  - a connection that has not delivered a complete request header within `header_timeout` of
//    its start, or of its previous answer when kept alive (sweep()), and
//  - when more than `max_connections` are open, the oldest one that is waiting for a request
//    header (idle or trickling; never one whose request is being answered) — so a new
//    connection, a probe, always gets in (opened()). When every other connection is busy, the new
//    one itself is closed.
// Thread-safe (one mutex): the server's polling thread reports the events, its reaper thread calls
// sweep(). `close_fn` runs under that mutex, so it never sees a connection closed() already
// reported (the server reports closed() before the library closes the descriptor).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "core/clock.h"

namespace o365fwd {

class ConnectionGuard {
 public:
  using Id = std::uint64_t;
  using CloseFn = std::function<void(int fd)>;

  ConnectionGuard(Clock& clock, std::size_t max_connections,
                  std::chrono::milliseconds header_timeout, CloseFn close_fn);

  Id opened(int fd);            // a new connection; may close the oldest idle one
  void requestStarted(Id id);   // its request header is complete: busy until answered
  void requestFinished(Id id);  // answered; waits for the next header (a new deadline)
  void closed(Id id);           // gone
  // Closes the connections past their header deadline; returns the next deadline, if any.
  std::optional<SteadyTime> sweep();

  struct Counts {
    std::size_t open = 0;  // not yet closed by us
    std::uint64_t evicted = 0;
    std::uint64_t header_timeouts = 0;
  };
  Counts counts() const;

 private:
  struct Entry {
    int fd = -1;
    bool busy = false;
    bool closing = false;  // close_fn called; waiting for closed()
    SteadyTime since;      // start of the current wait for a header
  };
  void closeLocked(Entry& e);

  Clock& clock_;
  const std::size_t max_connections_;
  const std::chrono::milliseconds header_timeout_;
  CloseFn close_fn_;
  mutable std::mutex mu_;
  std::map<Id, Entry> entries_;  // accept order
  Id next_id_ = 1;
  std::size_t open_ = 0;
  std::uint64_t evicted_ = 0;
  std::uint64_t header_timeouts_ = 0;
};

}  // namespace o365fwd
