#include "cluster/kafka_group_client.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <thread>

#include "cluster/cluster_options.h"
#include "core/logging.h"

namespace o365fwd {
namespace {

std::string errName(rd_kafka_resp_err_t err) {
  return rd_kafka_err2name(err);
}

bool isTransport(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
         err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE ||
         err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT || err == RD_KAFKA_RESP_ERR__RESOLVE ||
         err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
         err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
         err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

bool isAuth(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED ||
         err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
         err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED;
}

// Operator-facing error of an admin request about `what` ("topic x", "group y").
Error clusterError(rd_kafka_resp_err_t err, const std::string& what, const std::string& brokers,
                   std::chrono::milliseconds timeout, const std::string& detail = {}) {
  std::string code = errName(err);
  if (isTransport(err))
    return Error::retryableError(
        ErrorKind::kTransport,
        "the cluster brokers " + brokers + " did not answer about " + what + " within " +
            std::to_string(timeout.count() / 1000) + "s (" + code +
            "): check cluster.kafka.brokers, that the brokers run and the network path to them, "
            "and the TLS/SASL properties",
        code);
  if (err == RD_KAFKA_RESP_ERR__SSL)
    return Error::permanent(ErrorKind::kPermission,
                            "TLS handshake with the cluster brokers " + brokers + " failed (" +
                                code + "): check ssl.ca.location and the broker certificate",
                            code);
  if (isAuth(err))
    return Error::permanent(
        ErrorKind::kPermission,
        "Kafka refused access to " + what + " on " + brokers + " (" + code +
            "): check the SASL/TLS credentials in cluster.kafka.properties and the principal's "
            "ACLs (Describe/Create on the topics, Read on the group, Describe on the cluster)",
        code);
  return Error::retryableError(ErrorKind::kTransport,
                               "Kafka request about " + what + " on " + brokers + " failed (" +
                                   code + (detail.empty() ? "" : ": " + detail) + ")",
                               code);
}

}  // namespace

struct KafkaGroupClient::Handle {
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* queue = nullptr;  // admin results
  std::shared_ptr<spdlog::logger> log = getLogger("cluster.kafka");
  ~Handle() {
    if (queue) rd_kafka_queue_destroy(queue);
    if (rk) rd_kafka_destroy(rk);
  }
  // librdkafka's own lines: our Errors carry what matters, so its chatter stays at DEBUG.
  static void logLine(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
    auto* self = static_cast<Handle*>(rd_kafka_opaque(rk));
    if (!self) return;
    auto lvl = level <= 2 ? spdlog::level::warn : spdlog::level::debug;
    self->log->log(lvl, "librdkafka {}: {}", fac ? fac : "", buf ? buf : "");
  }
  // Waits for the result event of one admin request; nullptr after `timeout`.
  rd_kafka_event_t* await(rd_kafka_event_type_t type, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      rd_kafka_event_t* ev =
          rd_kafka_queue_poll(queue, static_cast<int>(std::max<long>(1, left.count())));
      if (!ev) continue;
      if (rd_kafka_event_type(ev) == type) return ev;
      rd_kafka_event_destroy(ev);  // a stale result of an earlier, timed-out request
    }
    return nullptr;
  }
  rd_kafka_AdminOptions_t* options(rd_kafka_admin_op_t op, std::chrono::milliseconds timeout) {
    rd_kafka_AdminOptions_t* o = rd_kafka_AdminOptions_new(rk, op);
    char errstr[256];
    rd_kafka_AdminOptions_set_request_timeout(o, static_cast<int>(timeout.count()), errstr,
                                              sizeof errstr);
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS)
      rd_kafka_AdminOptions_set_operation_timeout(o, static_cast<int>(timeout.count()), errstr,
                                                  sizeof errstr);
    return o;
  }
};

Result<std::unique_ptr<KafkaGroupClient>> KafkaGroupClient::create(
    const ClusterKafkaConfig& config, const std::string& client_id,
    std::chrono::milliseconds request_timeout) {
  Result<KafkaProperties> props = buildClusterClientProperties(config, client_id);
  if (!props.ok()) return props.error();
  auto handle = std::make_unique<Handle>();
  for (const std::string& w : props->warnings) handle->log->warn("{}", w);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  for (const KafkaProperty& p : props->properties) {
    if (rd_kafka_conf_set(conf, p.key.c_str(), p.value.reveal().c_str(), errstr, sizeof errstr) ==
        RD_KAFKA_CONF_OK)
      continue;
    rd_kafka_conf_destroy(conf);
    return refusedKafkaProperty("cluster.kafka", p.key, errstr, p.secret);
  }
  rd_kafka_conf_set_opaque(conf, handle.get());
  rd_kafka_conf_set_log_cb(conf, &Handle::logLine);
  handle->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!handle->rk) {
    rd_kafka_conf_destroy(conf);
    return Error::permanent(ErrorKind::kConfig,
                            std::string("cluster Kafka client could not be created: ") + errstr);
  }
  handle->queue = rd_kafka_queue_new(handle->rk);
  return std::unique_ptr<KafkaGroupClient>(
      new KafkaGroupClient(std::move(handle), config.brokers, request_timeout));
}

KafkaGroupClient::KafkaGroupClient(std::unique_ptr<Handle> handle, std::string brokers,
                                   std::chrono::milliseconds request_timeout)
    : handle_(std::move(handle)), brokers_(std::move(brokers)), request_timeout_(request_timeout) {}

KafkaGroupClient::~KafkaGroupClient() = default;

Result<std::vector<TopicDescription>> KafkaGroupClient::describeTopics(
    const std::vector<std::string>& names) {
  std::vector<TopicDescription> out;
  for (const std::string& name : names) {
    TopicDescription d;
    d.name = name;
    // A topic created a moment ago (by `cluster init`, or another instance) may not be in every
    // broker's metadata yet: "unknown" is asked again twice, half a second apart.
    for (int attempt = 0; attempt < 3 && !d.exists; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
      rd_kafka_topic_t* rkt = rd_kafka_topic_new(handle_->rk, name.c_str(), nullptr);
      const rd_kafka_metadata_t* md = nullptr;
      rd_kafka_resp_err_t err =
          rd_kafka_metadata(handle_->rk, 0, rkt, &md, static_cast<int>(request_timeout_.count()));
      rd_kafka_topic_destroy(rkt);
      if (err) return clusterError(err, "topic " + name, brokers_, request_timeout_);
      rd_kafka_resp_err_t topic_err =
          md->topic_cnt > 0 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
      if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR ||
          topic_err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) {
        d.exists = true;
        d.partitions = md->topics[0].partition_cnt;
      }
      rd_kafka_metadata_destroy(md);
      if (!d.exists && topic_err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        return clusterError(topic_err, "topic " + name, brokers_, request_timeout_);
    }
    out.push_back(std::move(d));
  }

  // cleanup.policy of the topics that exist, in one DescribeConfigs request.
  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const TopicDescription& d : out)
    if (d.exists)
      resources.push_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, d.name.c_str()));
  if (resources.empty()) return out;
  rd_kafka_AdminOptions_t* options =
      handle_->options(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, request_timeout_);
  rd_kafka_DescribeConfigs(handle_->rk, resources.data(), resources.size(), options,
                           handle_->queue);
  rd_kafka_AdminOptions_destroy(options);
  for (rd_kafka_ConfigResource_t* r : resources) rd_kafka_ConfigResource_destroy(r);
  rd_kafka_event_t* ev = handle_->await(RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT,
                                        request_timeout_ + std::chrono::seconds(1));
  if (!ev)
    return clusterError(RD_KAFKA_RESP_ERR__TIMED_OUT, "the topics' configuration", brokers_,
                        request_timeout_);
  Status status = okStatus();
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev)) {
    status = clusterError(err, "the topics' configuration", brokers_, request_timeout_,
                          rd_kafka_event_error_string(ev));
  } else {
    size_t count = 0;
    const rd_kafka_ConfigResource_t** results = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(ev), &count);
    for (size_t i = 0; i < count && status.ok(); ++i) {
      std::string name = rd_kafka_ConfigResource_name(results[i]);
      if (rd_kafka_resp_err_t res_err = rd_kafka_ConfigResource_error(results[i])) {
        const char* why = rd_kafka_ConfigResource_error_string(results[i]);
        status = clusterError(res_err, "topic " + name, brokers_, request_timeout_, why ? why : "");
        break;
      }
      size_t entries = 0;
      const rd_kafka_ConfigEntry_t** configs =
          rd_kafka_ConfigResource_configs(results[i], &entries);
      for (size_t j = 0; j < entries; ++j) {
        if (std::string(rd_kafka_ConfigEntry_name(configs[j])) != "cleanup.policy") continue;
        const char* value = rd_kafka_ConfigEntry_value(configs[j]);
        for (TopicDescription& d : out)
          if (d.name == name) d.cleanup_policy = value ? value : "";
      }
    }
  }
  rd_kafka_event_destroy(ev);
  if (!status.ok()) return status.error();
  return out;
}

Result<bool> KafkaGroupClient::createTopic(const std::string& name, int partitions,
                                           const std::map<std::string, std::string>& configs) {
  char errstr[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(name.c_str(), partitions, -1, errstr, sizeof errstr);
  if (!topic)
    return Error::permanent(ErrorKind::kConfig,
                            "topic " + name + " cannot be requested: " + std::string(errstr));
  for (const auto& [key, value] : configs)
    rd_kafka_NewTopic_set_config(topic, key.c_str(), value.c_str());
  rd_kafka_AdminOptions_t* options =
      handle_->options(RD_KAFKA_ADMIN_OP_CREATETOPICS, request_timeout_);
  rd_kafka_CreateTopics(handle_->rk, &topic, 1, options, handle_->queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(topic);
  rd_kafka_event_t* ev = handle_->await(RD_KAFKA_EVENT_CREATETOPICS_RESULT,
                                        request_timeout_ + std::chrono::seconds(1));
  const std::string what = "topic " + name;
  if (!ev) return clusterError(RD_KAFKA_RESP_ERR__TIMED_OUT, what, brokers_, request_timeout_);
  Result<bool> result = true;
  if (rd_kafka_resp_err_t ev_err = rd_kafka_event_error(ev)) {
    result =
        clusterError(ev_err, what, brokers_, request_timeout_, rd_kafka_event_error_string(ev));
  } else {
    size_t count = 0;
    const rd_kafka_topic_result_t** topics =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &count);
    rd_kafka_resp_err_t err =
        count > 0 ? rd_kafka_topic_result_error(topics[0]) : RD_KAFKA_RESP_ERR__FAIL;
    const char* why = count > 0 ? rd_kafka_topic_result_error_string(topics[0]) : nullptr;
    if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      result = false;
    } else if (err == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR ||
               err == RD_KAFKA_RESP_ERR_POLICY_VIOLATION ||
               err == RD_KAFKA_RESP_ERR_INVALID_CONFIG ||
               err == RD_KAFKA_RESP_ERR_INVALID_PARTITIONS) {
      result = Error::permanent(ErrorKind::kConfig,
                                "the cluster refused to create " + what + " (" + errName(err) +
                                    (why ? std::string(": ") + why : "") +
                                    "): create it yourself with kafka-topics.sh --create --topic " +
                                    name + " --partitions " + std::to_string(partitions),
                                errName(err));
    } else if (err) {
      result = clusterError(err, what, brokers_, request_timeout_, why ? why : "");
    }
  }
  rd_kafka_event_destroy(ev);
  return result;
}

Result<GroupDescription> KafkaGroupClient::describeGroup(const std::string& group) {
  const char* groups[] = {group.c_str()};
  rd_kafka_AdminOptions_t* options =
      handle_->options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, request_timeout_);
  rd_kafka_DescribeConsumerGroups(handle_->rk, groups, 1, options, handle_->queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_event_t* ev = handle_->await(RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
                                        request_timeout_ + std::chrono::seconds(1));
  const std::string what = "group " + group;
  if (!ev) return clusterError(RD_KAFKA_RESP_ERR__TIMED_OUT, what, brokers_, request_timeout_);
  Result<GroupDescription> result = GroupDescription{};
  if (rd_kafka_resp_err_t ev_err = rd_kafka_event_error(ev)) {
    result =
        clusterError(ev_err, what, brokers_, request_timeout_, rd_kafka_event_error_string(ev));
  } else {
    size_t count = 0;
    const rd_kafka_ConsumerGroupDescription_t** descs =
        rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(ev), &count);
    if (count > 0) {
      const rd_kafka_ConsumerGroupDescription_t* d = descs[0];
      const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(d);
      rd_kafka_resp_err_t err = error ? rd_kafka_error_code(error) : RD_KAFKA_RESP_ERR_NO_ERROR;
      if (err == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
        result->state = "Dead";
      } else if (err) {
        result = clusterError(err, what, brokers_, request_timeout_, rd_kafka_error_string(error));
      } else {
        result->state =
            rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d));
        size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
        for (size_t i = 0; i < members; ++i) {
          const rd_kafka_MemberDescription_t* m = rd_kafka_ConsumerGroupDescription_member(d, i);
          GroupMember member;
          member.member_id = rd_kafka_MemberDescription_consumer_id(m);
          member.client_id = rd_kafka_MemberDescription_client_id(m);
          member.host = rd_kafka_MemberDescription_host(m);
          if (const rd_kafka_MemberAssignment_t* a = rd_kafka_MemberDescription_assignment(m)) {
            if (const rd_kafka_topic_partition_list_t* parts =
                    rd_kafka_MemberAssignment_partitions(a))
              for (int j = 0; j < parts->cnt; ++j)
                member.partitions.push_back(parts->elems[j].partition);
          }
          std::sort(member.partitions.begin(), member.partitions.end());
          result->members.push_back(std::move(member));
        }
        std::sort(
            result->members.begin(), result->members.end(),
            [](const GroupMember& a, const GroupMember& b) { return a.client_id < b.client_id; });
      }
    }
  }
  rd_kafka_event_destroy(ev);
  return result;
}

}  // namespace o365fwd
