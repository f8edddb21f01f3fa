#pragma once
// Cluster mode's group membership as an interface of ours (docs/CLUSTER.md "Membership and
// assignment"): one member of the consumer group <group>, subscribed to <group>.assignments with
// cooperative-sticky assignment. KafkaMembership (cluster/kafka_membership.h) implements it over
// librdkafka; the daemon's ClusterService (app/cluster/) is its RebalanceListener.
//
// Threads: the implementation owns one poll thread; the listener's callbacks run on it, one at a
// time, and may block (a revocation drains the partitions' tenants before it returns: the
// member's max.poll.interval.ms is set above drain_timeout). state() may be called from any
// thread.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace o365fwd {

class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // Partitions gained (ascending; may be empty: a rebalance that gave this member nothing new).
  // Returns once their tenants' state is loaded and their tenants started.
  virtual void onAssigned(const std::vector<int>& partitions) = 0;
  // Partitions taken away (ascending). `lost`: the member was already out of the group (session
  // timeout, max.poll.interval exceeded), others may hold them now: stop without waiting.
  // Otherwise returns once their tenants drained and committed (bounded by drain_timeout).
  virtual void onRevoked(const std::vector<int>& partitions, bool lost) = 0;
  // Called on the poll thread about once a second between rebalances (retries of work that
  // failed in a callback).
  virtual void onIdle() {}
};

struct MembershipState {
  std::string member_id;         // the coordinator's id; empty before the first join
  std::string client_id;         // o365fwd-<host>-<pid>
  bool joined = false;           // received a first assignment (possibly empty) since start
  bool leaving = false;          // leave() was called
  std::vector<int> partitions;   // held now, ascending
  std::uint64_t rebalances = 0;  // completed rebalances this member took part in
  std::optional<WallTime> last_rebalance;
  // The last trouble the member saw talking to the brokers (connection, missing topic, fatal).
  std::optional<WallTime> last_error_at;
  std::string last_error_code;
  std::string last_error;              // operator-facing, with what to do
  bool last_error_connection = false;  // the brokers could not be reached
  std::optional<WallTime> last_ok_at;  // the last rebalance or answer from the coordinator
};

class Membership {
 public:
  virtual ~Membership() = default;
  // Subscribes and starts the poll thread.
  virtual Status start() = 0;
  // Leaves the group: revokes every partition through the listener (drain and commit), then
  // tells the coordinator, so the others take over at once. Waits until done or `deadline`;
  // true when the member left.
  virtual bool leave(SteadyTime deadline) = 0;
  // Stops the poll thread (after leave(), or without leaving: the partitions move after the
  // session timeout). Idempotent.
  virtual void stop() = 0;
  virtual MembershipState state() const = 0;
};

}  // namespace o365fwd
