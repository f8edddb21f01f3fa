#include "app/cluster_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cluster/cluster_options.h"
#include "cluster/cluster_overview.h"
#include "cluster/cluster_topics.h"
#include "cluster/kafka_group_client.h"
#include "cluster/tenant_partitioner.h"
#include "core/config/config_loader.h"
#include "core/logging.h"
#include "core/secrets/redact.h"

namespace o365fwd {
namespace {

constexpr int kFailed = 1;
constexpr int kInvalid = 2;

std::string hostName() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

// Loads the configuration for a cluster subcommand; nullopt (after printing why) when unusable.
std::optional<LoadedConfig> loadClusterConfig(const std::string& path) {
  LoadedConfig loaded = loadConfigFile(path);
  if (!loaded.validExceptTenantFiles()) {
    std::cerr << "o365fwd: the configuration " << path << " is invalid:\n";
    for (const ConfigIssue& issue : loaded.issues)
      if (!issue.warning) std::cerr << "  " << redactSecrets(issue.describe()) << "\n";
    return std::nullopt;
  }
  if (!loaded.config.cluster.enabled) {
    std::cerr << "o365fwd: " << path
              << " has no `cluster:` block; add cluster.kafka (brokers, group, partitions) to "
                 "run instances as a cluster (docs/CLUSTER.md)\n";
    return std::nullopt;
  }
  return loaded;
}

// The configuration and an admin client of a cluster subcommand.
struct ClusterSession {
  LoadedConfig loaded;
  std::unique_ptr<KafkaGroupClient> admin;
  const ClusterKafkaConfig& kafka() const { return loaded.config.cluster.kafka; }
};

// Loads the configuration and connects the admin client; nullopt (after printing why, with the
// exit code in `exit_code`) when either fails.
std::optional<ClusterSession> openClusterSession(const std::string& path, int& exit_code) {
  std::optional<LoadedConfig> loaded = loadClusterConfig(path);
  if (!loaded) {
    exit_code = kInvalid;
    return std::nullopt;
  }
  auto admin = KafkaGroupClient::create(loaded->config.cluster.kafka,
                                        clusterClientId("cli-" + hostName(), ::getpid()));
  if (!admin.ok()) {
    std::cerr << "o365fwd: " << redactSecrets(admin.error().describe()) << "\n";
    exit_code = admin.error().kind == ErrorKind::kConfig ? kInvalid : kFailed;
    return std::nullopt;
  }
  return ClusterSession{std::move(*loaded), std::move(*admin)};
}

int runInit(const std::string& path) {
  int exit_code = 0;
  std::optional<ClusterSession> session = openClusterSession(path, exit_code);
  if (!session) return exit_code;
  const ClusterKafkaConfig& k = session->kafka();
  Result<std::vector<ClusterTopicCheck>> topics = ensureClusterTopics(*session->admin, k);
  if (!topics.ok()) {
    std::cerr << "o365fwd: cluster init: " << redactSecrets(topics.error().describe()) << "\n";
    return kFailed;
  }
  std::cout << "Cluster group " << k.group << " on " << k.brokers << ":\n";
  for (const ClusterTopicCheck& t : *topics) {
    const char* verdict = t.outcome == ClusterTopicCheck::Outcome::kCreated
                              ? "created "
                              : (t.ok() ? "exists  " : "PROBLEM ");
    std::cout << "  " << verdict << t.topic << ": " << redactSecrets(t.message) << "\n";
    if (!t.ok()) exit_code = kFailed;
  }
  std::cout << (exit_code == 0
                    ? "Ready: start `o365fwd run` with this configuration on each host.\n"
                    : "Not ready: correct the problems above and run `o365fwd cluster "
                      "init` again.\n");
  return exit_code;
}

int runStatus(const std::string& path) {
  int exit_code = 0;
  std::optional<ClusterSession> session = openClusterSession(path, exit_code);
  if (!session) return exit_code;
  const ClusterKafkaConfig& k = session->kafka();
  Result<std::vector<ClusterTopicCheck>> topics = checkClusterTopics(*session->admin, k);
  if (!topics.ok()) {
    std::cerr << "o365fwd: cluster status: " << redactSecrets(topics.error().describe()) << "\n";
    return kFailed;
  }
  ClusterOverview overview;
  overview.group = k.group;
  overview.brokers = k.brokers;
  overview.partitions = k.partitions;
  overview.topics = std::move(*topics);
  overview.tenants_by_partition = tenantsByPartition(session->loaded.config.tenants, k.partitions);
  Result<GroupDescription> group = session->admin->describeGroup(k.group);
  if (group.ok())
    overview.members = std::move(*group);
  else
    overview.members_error = group.error().describe();
  std::cout << redactSecrets(renderClusterOverview(overview)) << std::flush;
  return clusterOverviewOk(overview) ? 0 : kFailed;
}

}  // namespace

void registerClusterCommand(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto* cmd = app.add_subcommand(
      "cluster",
      "Cluster mode: create the group's Kafka topics (init) or show its members (status)");
  auto action = std::make_shared<std::string>();
  cmd->add_option("action", *action, "init | status")
      ->required()
      ->check(CLI::IsMember({"init", "status"}));
  cmd->footer(
      "init: creates <group>.assignments and <group>.state (compacted) with cluster.kafka."
      "partitions partitions; safe to run again. status: members, their partitions and tenants.");
  cmd->callback([&global, &result, action] {
    LogOptions log_options;  // the report is the output; library logs only when they matter
    log_options.level = "warn";
    setupLogging(log_options);
    result.exit_code =
        *action == "init" ? runInit(global.config_path) : runStatus(global.config_path);
  });
}

}  // namespace o365fwd
