#include "app/cluster/cluster_service.h"

#include <algorithm>

#include "cluster/cluster_topics.h"
#include "cluster/kafka_group_client.h"
#include "cluster/kafka_membership.h"
#include "cluster/tenant_partitioner.h"
#include "core/logging.h"
#include "core/secrets/redact.h"

namespace o365fwd {
namespace {

constexpr std::size_t kMaxMembersShown = 100;
constexpr std::size_t kMaxTenantsShown = 200;
constexpr auto kDescribeInterval = std::chrono::seconds(15);
constexpr auto kDescribeRetry = std::chrono::seconds(2);
// No describe until the brokers have answered without a connection error for this long (below).
constexpr auto kQuietBeforeDescribe = std::chrono::seconds(30);

std::shared_ptr<spdlog::logger> log() {
  return getLogger("app.cluster");
}

std::string listed(const std::vector<int>& partitions) {
  std::string out;
  for (int p : partitions) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out.empty() ? "-" : out;
}

ErrorInfo errorInfo(WallTime at, std::string code, const std::string& message) {
  std::string text = redactSecrets(message);
  if (text.size() > 512) text.resize(512);
  return ErrorInfo{at, std::move(code), std::move(text)};
}

}  // namespace

std::vector<int> releasablePartitions(const std::set<int>& pending,
                                      const std::vector<std::string>& busy, int partitions) {
  std::set<int> held;
  for (const std::string& tenant : busy) held.insert(tenantPartition(tenant, partitions));
  std::vector<int> out;
  for (int p : pending)
    if (!held.count(p)) out.push_back(p);
  return out;
}

Result<std::unique_ptr<ClusterService>> ClusterService::create(ClusterServiceParts parts) {
  std::unique_ptr<ClusterService> service(new ClusterService(std::move(parts)));
  MembershipOptions options;
  options.client_id = service->parts_.client_id;
  options.drain_timeout = service->parts_.drain_timeout;
  auto member =
      createKafkaMembership(service->parts_.config, options, *service, *service->parts_.clock);
  if (!member.ok()) return member.error();
  service->membership_ = std::move(*member);
  auto admin = KafkaGroupClient::create(service->parts_.config, service->parts_.client_id);
  if (!admin.ok()) return admin.error();
  service->admin_ = std::move(*admin);
  return service;
}

ClusterService::~ClusterService() {
  stop();
}

Status ClusterService::start() {
  auto topics = checkClusterTopics(*admin_, parts_.config);
  if (!topics.ok()) {
    log()->warn("Cannot check the cluster topics yet; joining anyway. error={}",
                topics.error().describe());
  } else {
    std::string problems;
    for (const ClusterTopicCheck& t : *topics)
      if (!t.ok()) problems += (problems.empty() ? "" : "; ") + t.message;
    if (!problems.empty()) {
      log()->error("Cluster topics are not ready: {}", problems);
      std::lock_guard lock(mu_);
      topics_problem_ = errorInfo(parts_.clock->wallNow(), "topics", problems);
    }
  }
  if (parts_.state_store == "local")
    log()->warn(
        "Cluster mode keeps each instance's state in its own SQLite store under state_dir for "
        "now (the state in <group>.state is not in this build): a tenant that moves to another "
        "instance is collected there from that instance's own state, so records may be "
        "forwarded again (never lost). group={}",
        parts_.config.group);
  if (Status s = membership_->start(); !s.ok()) return s;
  describer_ = std::jthread([this](std::stop_token stop) { describeLoop(stop); });
  return okStatus();
}

bool ClusterService::leave(SteadyTime deadline) {
  return membership_->leave(deadline);
}

void ClusterService::stop() {
  if (membership_) membership_->stop();
  if (describer_.joinable()) {
    describer_.request_stop();
    cv_.notify_all();
    describer_.join();
  }
}

void ClusterService::setTenants(std::vector<TenantConfig> tenants) {
  std::lock_guard lock(mu_);
  parts_.tenants = std::move(tenants);
}

std::vector<int> ClusterService::loadState(const std::vector<int>& partitions) {
  if (!parts_.load_partitions || partitions.empty()) return partitions;
  Status s = parts_.load_partitions(partitions, parts_.clock->steadyNow() + parts_.drain_timeout);
  if (s.ok()) return partitions;
  log()->error(
      "Cannot load the state of the partitions gained; their tenants wait and loading is "
      "retried every second. partitions={} error={}",
      listed(partitions), s.error().describe());
  std::lock_guard lock(mu_);
  load_error_ = redactSecrets(s.error().describe());
  return {};
}

void ClusterService::applyOwnership(SteadyTime drain_deadline) {
  std::set<int> owned;
  {
    std::lock_guard lock(mu_);
    owned = owned_;
  }
  const SteadyTime wait = drain_deadline + std::chrono::seconds(30);
  if (!parts_.fleet->reassign(std::move(owned), drain_deadline, wait))
    log()->warn(
        "The tenant changes of the rebalance are not applied yet; they continue in the "
        "background");
}

void ClusterService::onAssigned(const std::vector<int>& partitions) {
  if (!partitions.empty()) {
    {
      std::lock_guard lock(mu_);
      loading_.insert(partitions.begin(), partitions.end());
      // Given back before their release: their state is still loaded (loading again is a no-op).
      for (int p : partitions) release_pending_.erase(p);
    }
    std::vector<int> loaded = loadState(partitions);
    {
      std::lock_guard lock(mu_);
      for (int p : loaded) {
        loading_.erase(p);
        owned_.insert(p);
      }
      if (!loaded.empty()) load_error_.clear();
    }
    if (!loaded.empty()) applyOwnership(parts_.clock->steadyNow());
  }
  std::vector<std::string> tenants = parts_.fleet->runningTenants();
  log()->info("Rebalance applied. group={} gained={} tenants_here={}", parts_.config.group,
              listed(partitions), tenants.size());
  {
    std::lock_guard lock(mu_);
    describe_now_ = true;
  }
  cv_.notify_all();
}

void ClusterService::onRevoked(const std::vector<int>& partitions, bool lost) {
  {
    std::lock_guard lock(mu_);
    for (int p : partitions) {
      owned_.erase(p);
      loading_.erase(p);
    }
  }
  const SteadyTime now = parts_.clock->steadyNow();
  // Lost: others may hold them already, so no waiting for the drain (it goes on in the
  // background; what it commits is only what the sinks acknowledged).
  applyOwnership(lost ? now : now + parts_.drain_timeout);
  {
    std::lock_guard lock(mu_);
    release_pending_.insert(partitions.begin(), partitions.end());
  }
  releaseDrained();
  log()->info("Revocation applied. group={} revoked={} lost={} tenants_here={}",
              parts_.config.group, listed(partitions), lost, parts_.fleet->runningTenants().size());
  {
    std::lock_guard lock(mu_);
    describe_now_ = true;
  }
  cv_.notify_all();
}

void ClusterService::releaseDrained() {
  // Running too, not only draining: when the fleet has not applied the revocation yet (it was
  // still busy with an earlier change when reassign() gave up waiting), the revoked tenants
  // still run and commit, and their partitions' state must stay loaded until they are gone.
  std::vector<std::string> busy = parts_.fleet->runningTenants();
  std::vector<std::string> draining = parts_.fleet->drainingTenants();
  busy.insert(busy.end(), draining.begin(), draining.end());
  std::vector<int> release;
  {
    std::lock_guard lock(mu_);
    release = releasablePartitions(release_pending_, busy, parts_.config.partitions);
    for (int p : release) release_pending_.erase(p);
  }
  if (release.empty()) return;
  if (parts_.release_partitions) parts_.release_partitions(release);
  log()->debug("Released the state of revoked partitions. partitions={}", listed(release));
}

void ClusterService::stopFenced() {
  if (!parts_.exactly_once) return;
  std::optional<ExactlyOnceStats> eos = parts_.exactly_once();
  if (!eos || eos->fenced_partitions.empty()) return;
  std::vector<int> stop;
  {
    std::lock_guard lock(mu_);
    for (int p : eos->fenced_partitions)
      if (owned_.erase(p) > 0) stop.push_back(p);
  }
  if (stop.empty()) return;
  log()->error(
      "Stopping the tenants of partitions whose transactions were fenced; the instance that "
      "fenced them collects them. group={} partitions={}",
      parts_.config.group, listed(stop));
  applyOwnership(parts_.clock->steadyNow());
  std::lock_guard lock(mu_);
  release_pending_.insert(stop.begin(), stop.end());
}

void ClusterService::onIdle() {
  stopFenced();
  releaseDrained();
  std::vector<int> waiting;
  {
    std::lock_guard lock(mu_);
    waiting.assign(loading_.begin(), loading_.end());
  }
  if (waiting.empty()) return;
  std::vector<int> loaded = loadState(waiting);
  if (loaded.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (int p : loaded) {
      loading_.erase(p);
      owned_.insert(p);
    }
    load_error_.clear();
  }
  applyOwnership(parts_.clock->steadyNow());
}

void ClusterService::describeLoop(std::stop_token stop) {
  while (!stop.stop_requested()) {
    // Not while the member reports the brokers unreachable, nor in the first 30 s after its last
    // connection error: librdkafka 2.0 aborts the process (librdkafka issue #4605,
    // rd_kafka_enq_once_del_source_return) when the request to the group coordinator fails to be
    // sent after the coordinator was found — a connection that drops between the two, as while
    // restarted brokers flap; the group view then stays as last described (members_at says when).
    MembershipState m = membership_->state();
    const bool unsettled =
        m.last_error_at && m.last_error_connection &&
        ((!m.last_ok_at || *m.last_error_at >= *m.last_ok_at) ||
         parts_.clock->wallNow() - *m.last_error_at < kQuietBeforeDescribe);
    if (unsettled) {
      std::unique_lock lock(mu_);
      describe_now_ = false;
      cv_.wait_for(lock, stop, std::chrono::seconds(2), [&] { return describe_now_; });
      continue;
    }
    {
      // Cleared before, not after: a rebalance during a slow describe asks for another one.
      std::lock_guard lock(mu_);
      describe_now_ = false;
    }
    Result<GroupDescription> group = admin_->describeGroup(parts_.config.group);
    {
      std::lock_guard lock(mu_);
      WallTime now = parts_.clock->wallNow();
      if (group.ok()) {
        group_ = std::move(*group);
        group_at_ = now;
        describe_ok_at_ = now;
      } else {
        describe_error_connection_ = group.error().kind == ErrorKind::kTransport;
        describe_error_ = errorInfo(now, group.error().code, group.error().message);
      }
    }
    // A describe that timed out or met a broken connection (a new group's coordinator still
    // loading, a slow broker) is tried again soon: until one succeeds the views show the brokers
    // down. Other errors (authorization, ...) wait for the next interval.
    const bool retry_soon = !group.ok() && group.error().kind == ErrorKind::kTransport;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, retry_soon ? kDescribeRetry : kDescribeInterval,
                 [&] { return describe_now_; });
  }
}

ClusterReport ClusterService::report() const {
  MembershipState m = membership_->state();
  std::vector<std::string> running = parts_.fleet->runningTenants();
  std::lock_guard lock(mu_);
  ClusterReport r;
  r.group = parts_.config.group;
  r.brokers = parts_.config.brokers;
  r.client_id = m.client_id;
  r.member_id = m.member_id;
  r.partitions_total = static_cast<std::uint64_t>(parts_.config.partitions);
  r.partitions = m.partitions;
  r.tenants_total = running.size();
  for (std::size_t i = 0; i < running.size() && i < kMaxTenantsShown; ++i)
    r.tenants.push_back(running[i]);
  r.state_store = parts_.state_store;
  r.rebalances = m.rebalances;
  r.last_rebalance = m.last_rebalance;
  if (m.leaving)
    r.role = "leaving";
  else if (!m.joined)
    r.role = "joining";
  else if (!loading_.empty())
    r.role = "loading";
  else if (m.partitions.empty())
    r.role = "standby";
  else
    r.role = "active";

  // The broker connection: whichever was seen last, an answer or a connection failure.
  std::optional<WallTime> ok_at = m.last_ok_at;
  if (describe_ok_at_ && (!ok_at || *describe_ok_at_ > *ok_at)) ok_at = describe_ok_at_;
  std::optional<ErrorInfo> conn_error;
  if (m.last_error_at && m.last_error_connection)
    conn_error = errorInfo(*m.last_error_at, m.last_error_code, m.last_error);
  if (describe_error_ && describe_error_connection_ &&
      (!conn_error || describe_error_->at > conn_error->at))
    conn_error = describe_error_;
  if (conn_error && (!ok_at || conn_error->at >= *ok_at))
    r.broker_state = "down";
  else if (ok_at)
    r.broker_state = "up";
  // The error shown: a broken connection now, else a topic or load problem, else the latest.
  if (r.broker_state == "down") {
    r.last_error = conn_error;
  } else if (topics_problem_ && !m.joined) {
    r.last_error = topics_problem_;
  } else if (!load_error_.empty()) {
    r.last_error = errorInfo(parts_.clock->wallNow(), "state-load", load_error_);
  } else if (m.last_error_at && !m.last_error_connection &&
             (!ok_at || *m.last_error_at >= *ok_at)) {
    r.last_error = errorInfo(*m.last_error_at, m.last_error_code, m.last_error);
  }

  if (group_) {
    r.group_state = group_->state;
    r.members_at = group_at_;
    r.members_total = group_->members.size();
    auto by_partition = tenantsByPartition(parts_.tenants, parts_.config.partitions);
    std::set<int> held;
    for (const GroupMember& g : group_->members) {
      held.insert(g.partitions.begin(), g.partitions.end());
      if (r.members.size() >= kMaxMembersShown) continue;
      ClusterMemberReport member{g.client_id, g.member_id, g.host, g.partitions, 0};
      for (int p : g.partitions)
        if (auto it = by_partition.find(p); it != by_partition.end())
          member.tenants += it->second.size();
      r.members.push_back(std::move(member));
    }
    for (const auto& [p, names] : by_partition)
      if (!held.count(p)) r.unheld_partitions.push_back(p);
  }
  if (parts_.exactly_once)
    if (std::optional<ExactlyOnceStats> eos = parts_.exactly_once()) {
      r.exactly_once = true;
      r.transactions_committed = eos->transactions_committed;
      r.transactions_aborted = eos->transactions_aborted;
      r.blobs_dropped_fenced = eos->blobs_dropped;
      r.fenced_partitions.assign(eos->fenced_partitions.begin(), eos->fenced_partitions.end());
      r.fenced_error = redactSecrets(eos->fenced_error);
    }
  return r;
}

}  // namespace o365fwd
