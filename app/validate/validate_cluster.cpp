#include "app/validate/validate_cluster.h"

#include <unistd.h>

#include "app/validate/check_steps.h"
#include "cluster/cluster_options.h"
#include "cluster/cluster_topics.h"
#include "cluster/kafka_group_client.h"

namespace o365fwd {

using namespace validate_steps;

void checkClusterTopicsStage(ValidationContext& ctx) {
  const Config& config = ctx.loaded.config;
  if (!config.cluster.enabled) return;
  const ClusterKafkaConfig& k = config.cluster.kafka;
  Timer timer(ctx.clock);
  CheckResult c = make("cluster", k.group + " on " + k.brokers);
  auto admin = KafkaGroupClient::create(k, clusterClientId("validate", ::getpid()),
                                        std::chrono::seconds(10));
  if (!admin.ok()) {
    fail(c, admin.error().describe(), "correct cluster.kafka.properties");
    push(ctx, std::move(c), timer);
    return;
  }
  auto topics = checkClusterTopics(**admin, k);
  if (!topics.ok()) {
    c.code = topics.error().code;
    fail(c, topics.error().describe(),
         "make the cluster brokers reachable from this host (cluster.kafka.brokers and its "
         "TLS/SASL properties), then run `o365fwd validate` again");
    push(ctx, std::move(c), timer);
    return;
  }
  std::vector<std::string> problems;
  std::vector<std::string> fine;
  for (const ClusterTopicCheck& t : *topics)
    (t.ok() ? fine : problems).push_back(t.topic + " " + t.message);
  if (problems.empty()) {
    c.detail = "brokers answered in " + timer.ms() + "; " + join(fine);
  } else {
    bool missing = false;
    for (const ClusterTopicCheck& t : *topics)
      missing |= t.outcome == ClusterTopicCheck::Outcome::kMissing;
    c.code = missing ? "cluster_topics_missing" : "cluster_topics_mismatch";
    fail(c, join(problems),
         missing ? "run `o365fwd cluster init` once, then `o365fwd validate` again"
                 : "see each topic's problem above");
  }
  push(ctx, std::move(c), timer);
}

}  // namespace o365fwd
