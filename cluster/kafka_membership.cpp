#include "cluster/kafka_membership.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "cluster/cluster_options.h"
#include "core/logging.h"

namespace o365fwd {
namespace {

std::shared_ptr<spdlog::logger> log() {
  return getLogger("cluster.member");
}

std::vector<int> partitionsOf(const rd_kafka_topic_partition_list_t* list) {
  std::vector<int> out;
  if (!list) return out;
  for (int i = 0; i < list->cnt; ++i) out.push_back(list->elems[i].partition);
  std::sort(out.begin(), out.end());
  return out;
}

std::string joined(const std::vector<int>& partitions) {
  std::string out;
  for (int p : partitions) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out.empty() ? "-" : out;
}

bool isConnectionError(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TRANSPORT ||
         err == RD_KAFKA_RESP_ERR__RESOLVE || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
         err == RD_KAFKA_RESP_ERR__SSL || err == RD_KAFKA_RESP_ERR__AUTHENTICATION;
}

class KafkaMembership final : public Membership {
 public:
  KafkaMembership(ClusterKafkaConfig config, MembershipOptions options, RebalanceListener& listener,
                  Clock& clock)
      : config_(std::move(config)),
        options_(std::move(options)),
        listener_(listener),
        clock_(clock) {
    state_.client_id = options_.client_id;
  }
  ~KafkaMembership() override {
    stop();
    if (rk_) rd_kafka_destroy(rk_);
  }

  Status build() {
    Result<KafkaProperties> props = buildClusterClientProperties(config_, options_.client_id);
    if (!props.ok()) return props.error();
    for (const std::string& w : props->warnings) log()->warn("{}", w);
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char errstr[512];
    auto set = [&](const std::string& key, const std::string& value, bool secret) -> Status {
      if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof errstr) ==
          RD_KAFKA_CONF_OK)
        return okStatus();
      return refusedKafkaProperty("cluster.kafka", key, errstr, secret);
    };
    for (const KafkaProperty& p : props->properties)
      if (Status s = set(p.key, p.value.reveal(), p.secret); !s.ok()) {
        rd_kafka_conf_destroy(conf);
        return s;
      }
    const std::pair<std::string, std::string> owned[] = {
        {"group.id", config_.group},
        {"partition.assignment.strategy", "cooperative-sticky"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "false"},
        {"max.poll.interval.ms", std::to_string(maxPollInterval(options_.drain_timeout).count())},
    };
    for (const auto& [key, value] : owned)
      if (Status s = set(key, value, false); !s.ok()) {
        rd_kafka_conf_destroy(conf);
        return s;
      }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_log_cb(conf, &KafkaMembership::logLine);
    rd_kafka_conf_set_error_cb(conf, &KafkaMembership::errorCb);
    rd_kafka_conf_set_rebalance_cb(conf, &KafkaMembership::rebalanceCb);
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk_) {
      rd_kafka_conf_destroy(conf);
      return Error::permanent(ErrorKind::kConfig,
                              std::string("cluster group member could not be created: ") + errstr);
    }
    rd_kafka_poll_set_consumer(rk_);
    return okStatus();
  }

  Status start() override {
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, assignmentsTopic(config_.group).c_str(),
                                      RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err)
      return Error::permanent(ErrorKind::kInternal, std::string("cannot subscribe to ") +
                                                        assignmentsTopic(config_.group) + ": " +
                                                        rd_kafka_err2str(err));
    log()->info(
        "Joining the cluster group. group={} topic={} client_id={} brokers={} "
        "max_poll_interval_ms={}",
        config_.group, assignmentsTopic(config_.group), options_.client_id, config_.brokers,
        maxPollInterval(options_.drain_timeout).count());
    thread_ = std::jthread([this](std::stop_token stop) { pollLoop(stop); });
    return okStatus();
  }

  bool leave(SteadyTime deadline) override {
    {
      std::lock_guard lock(mu_);
      state_.leaving = true;
    }
    leave_requested_.store(true);
    std::unique_lock lock(mu_);
    // Short slices against the injected clock: the deadline is the Clock's, not the cv's.
    while (!left_ && thread_.joinable() && clock_.steadyNow() < deadline)
      cv_.wait_for(lock, std::chrono::milliseconds(100));
    return left_;
  }

  void stop() override {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
  }

  MembershipState state() const override {
    std::lock_guard lock(mu_);
    return state_;
  }

 private:
  void pollLoop(std::stop_token stop) {
    SteadyTime next_idle = clock_.steadyNow();
    SteadyTime next_probe = next_idle;
    while (!stop.stop_requested()) {
      if (leave_requested_.load()) {
        closeConsumer();
        return;
      }
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 200)) {
        if (m->err) onConsumerError(m->err, rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
      }
      if (clock_.steadyNow() >= next_idle) {
        listener_.onIdle();
        next_idle = clock_.steadyNow() + std::chrono::seconds(1);
      }
      if (clock_.steadyNow() >= next_probe && brokersDown()) {
        probeBrokers();
        next_probe = clock_.steadyNow() + std::chrono::seconds(5);
      }
    }
  }

  bool brokersDown() const {
    std::lock_guard lock(mu_);
    return state_.last_error_at && state_.last_error_connection &&
           (!state_.last_ok_at || *state_.last_error_at >= *state_.last_ok_at);
  }

  // While the brokers are reported down: one metadata request (2 s at most) says when they
  // answer again, so the outage ends in the status views without waiting for a rebalance.
  void probeBrokers() {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk_, 0, nullptr, &md, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    rd_kafka_metadata_destroy(md);
    std::lock_guard lock(mu_);
    state_.last_ok_at = clock_.wallNow();
    log()->info("The cluster brokers answer again. group={}", config_.group);
  }

  void closeConsumer() {
    log()->info(
        "Leaving the cluster group: revoking every partition (drain and commit), then "
        "telling the coordinator. group={}",
        config_.group);
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_);
    std::lock_guard lock(mu_);
    left_ = true;
    state_.partitions.clear();
    if (err)
      log()->warn(
          "Leaving the cluster group ended with an error; the others take over after "
          "session.timeout.ms. group={} error={}",
          config_.group, rd_kafka_err2str(err));
    else
      log()->info("Left the cluster group. group={}", config_.group);
    cv_.notify_all();
  }

  void onConsumerError(rd_kafka_resp_err_t err, const std::string& text) {
    std::string message;
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
      message = "the topic " + assignmentsTopic(config_.group) +
                " does not exist: run `o365fwd cluster init` once with this configuration (" +
                text + ")";
    else if (err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
             err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
      message = "Kafka refused the group or topic (" + text +
                "): grant the principal Read on group " + config_.group + " and Describe/Read on " +
                assignmentsTopic(config_.group);
    else
      message = text;
    noteError(rd_kafka_err2name(err), message, isConnectionError(err));
  }

  void noteError(const std::string& code, const std::string& message, bool connection) {
    std::string full = connection ? "the cluster brokers " + config_.brokers +
                                        " cannot be reached (" + message +
                                        "): check that they run, the network path, and the "
                                        "TLS/SASL properties; the tenants held keep being "
                                        "collected meanwhile"
                                  : message;
    bool first = false;
    {
      std::lock_guard lock(mu_);
      // One line per episode and kind: librdkafka reports each broker connection and its
      // retries ("1 identical error(s) suppressed"), which would be a line every few seconds.
      first = !state_.last_error_at || state_.last_error_code != code ||
              (state_.last_ok_at && *state_.last_ok_at > *state_.last_error_at);
      state_.last_error_at = clock_.wallNow();
      state_.last_error_code = code;
      state_.last_error = full;
      state_.last_error_connection = connection;
    }
    if (first) log()->error("Cluster group: {} group={} code={}", full, config_.group, code);
  }

  void onRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    std::vector<int> partitions = partitionsOf(parts);
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk_), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      refreshMemberId();
      log()->info("Partitions assigned. group={} gained={} member_id={}", config_.group,
                  joined(partitions), memberId());
      listener_.onAssigned(partitions);
      rd_kafka_error_t* error = nullptr;
      if (cooperative) {
        error = rd_kafka_incremental_assign(rk_, parts);
      } else {
        rd_kafka_assign(rk_, parts);
      }
      if (error) {
        log()->error("Cannot complete the assignment: {}", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
      }
      std::lock_guard lock(mu_);
      for (int p : partitions)
        if (!std::count(state_.partitions.begin(), state_.partitions.end(), p))
          state_.partitions.push_back(p);
      std::sort(state_.partitions.begin(), state_.partitions.end());
      state_.joined = true;
      ++state_.rebalances;
      state_.last_rebalance = clock_.wallNow();
      state_.last_ok_at = state_.last_rebalance;
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      const bool lost = rd_kafka_assignment_lost(rk_) != 0;
      log()->info("Partitions revoked. group={} revoked={} lost={}", config_.group,
                  joined(partitions), lost);
      listener_.onRevoked(partitions, lost);
      if (cooperative) {
        if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk_, parts)) {
          log()->error("Cannot complete the revocation: {}", rd_kafka_error_string(error));
          rd_kafka_error_destroy(error);
        }
      } else {
        rd_kafka_assign(rk_, nullptr);
      }
      std::lock_guard lock(mu_);
      std::erase_if(state_.partitions,
                    [&](int p) { return std::count(partitions.begin(), partitions.end(), p) > 0; });
      if (!cooperative) state_.partitions.clear();
      state_.last_rebalance = clock_.wallNow();
    } else {
      log()->error("Rebalance failed. group={} error={}", config_.group, rd_kafka_err2str(err));
      noteError(rd_kafka_err2name(err), std::string("rebalance failed: ") + rd_kafka_err2str(err),
                false);
      if (cooperative) {
        // Give up what is held: the coordinator decides again.
        listener_.onRevoked(state().partitions, true);
        if (rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk_, parts))
          rd_kafka_error_destroy(error);
      } else {
        rd_kafka_assign(rk_, nullptr);
      }
    }
  }

  void refreshMemberId() {
    char* id = rd_kafka_memberid(rk_);
    std::lock_guard lock(mu_);
    if (id) {
      state_.member_id = id;
      rd_kafka_mem_free(rk_, id);
    }
  }
  std::string memberId() const {
    std::lock_guard lock(mu_);
    return state_.member_id;
  }

  static void rebalanceCb(rd_kafka_t*, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* parts, void* opaque) {
    static_cast<KafkaMembership*>(opaque)->onRebalance(err, parts);
  }
  static void errorCb(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaMembership*>(opaque);
    auto code = static_cast<rd_kafka_resp_err_t>(err);
    self->noteError(rd_kafka_err2name(code), reason ? reason : rd_kafka_err2str(code),
                    isConnectionError(code));
  }
  static void logLine(const rd_kafka_t*, int level, const char* fac, const char* buf) {
    auto lvl = level <= 3 ? spdlog::level::warn : spdlog::level::debug;
    getLogger("cluster.kafka")->log(lvl, "librdkafka {}: {}", fac ? fac : "", buf ? buf : "");
  }

  ClusterKafkaConfig config_;
  MembershipOptions options_;
  RebalanceListener& listener_;
  Clock& clock_;
  rd_kafka_t* rk_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  MembershipState state_;
  bool left_ = false;
  std::atomic<bool> leave_requested_{false};
  std::jthread thread_;
};

}  // namespace

std::chrono::milliseconds maxPollInterval(std::chrono::milliseconds drain_timeout) {
  return drain_timeout + std::chrono::seconds(60);
}

Result<std::unique_ptr<Membership>> createKafkaMembership(const ClusterKafkaConfig& config,
                                                          const MembershipOptions& options,
                                                          RebalanceListener& listener,
                                                          Clock& clock) {
  auto member = std::make_unique<KafkaMembership>(config, options, listener, clock);
  if (Status s = member->build(); !s.ok()) return s.error();
  return std::unique_ptr<Membership>(std::move(member));
}

}  // namespace o365fwd
