#include "app/config_reload.h"

#include <tuple>

namespace o365fwd {
namespace {

// The fields a running tenant uses, except its secret (re-read on reload) and YAML line.
auto tenantFields(const TenantConfig& t) {
  return std::tie(t.tenant_id, t.client_id, t.client_secret_file, t.client_secret_env,
                  t.client_secret_credential, t.certificate_file, t.private_key_file, t.cloud,
                  t.publisher_id, t.login_url, t.api_url, t.token_endpoint, t.service_health,
                  t.graph_url);
}

auto collectionFields(const CollectionConfig& c) {
  return std::tie(c.poll_interval, c.initial_lookback, c.overlap, c.max_concurrent_downloads,
                  c.max_requests_per_minute, c.dedup_window, c.request_timeout, c.max_blob_size,
                  c.max_inflight_bytes, c.max_blob_attempts, c.drain_timeout, c.lag_warning,
                  c.lag_error, c.stall_timeout, c.max_concurrent_listings,
                  c.max_concurrent_setup_requests, c.startup_spread);
}

bool sameSink(const SinkConfig& a, const SinkConfig& b) {
  if (std::tie(a.name, a.type) != std::tie(b.name, b.type)) return false;
  switch (a.type) {
    case SinkType::kFile:
      return std::tie(a.file.path, a.file.max_size, a.file.max_files) ==
             std::tie(b.file.path, b.file.max_size, b.file.max_files);
    case SinkType::kKafka:
      return std::tie(a.kafka.brokers, a.kafka.topic, a.kafka.compression, a.kafka.message_timeout,
                      a.kafka.max_message_size, a.kafka.idempotence, a.kafka.properties) ==
             std::tie(b.kafka.brokers, b.kafka.topic, b.kafka.compression, b.kafka.message_timeout,
                      b.kafka.max_message_size, b.kafka.idempotence, b.kafka.properties);
    case SinkType::kSyslog: {
      const SyslogSinkConfig &x = a.syslog, &y = b.syslog;
      return std::tie(x.address, x.transport, x.format, x.facility, x.severity, x.hostname,
                      x.app_name, x.sd_id, x.ca_file, x.cert_file, x.key_file, x.server_name,
                      x.max_message_size, x.oversize) ==
             std::tie(y.address, y.transport, y.format, y.facility, y.severity, y.hostname,
                      y.app_name, y.sd_id, y.ca_file, y.cert_file, y.key_file, y.server_name,
                      y.max_message_size, y.oversize);
    }
  }
  return false;
}

const TenantConfig* findTenant(const Config& config, const std::string& name) {
  for (const TenantConfig& t : config.tenants)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace

bool sameTenantSettings(const TenantConfig& a, const TenantConfig& b) {
  auto inlineSecret = [](const TenantConfig& t) {
    return t.client_secret ? t.client_secret->reveal() : std::string();
  };
  return tenantFields(a) == tenantFields(b) && a.content_types == b.content_types &&
         a.client_secret.has_value() == b.client_secret.has_value() &&
         inlineSecret(a) == inlineSecret(b) && a.filters == b.filters;
}

std::vector<std::string> changesNeedingRestart(const Config& running, const Config& reloaded) {
  std::vector<std::string> changes;
  for (const TenantConfig& t : reloaded.tenants) {
    const TenantConfig* before = findTenant(running, t.name);
    if (!before) {
      changes.push_back("tenants[" + t.name + "] (added)");
      continue;
    }
    if (tenantFields(*before) != tenantFields(t)) changes.push_back("tenants[" + t.name + "]");
    if (before->content_types != t.content_types)
      changes.push_back("tenants[" + t.name + "].content_types");
  }
  for (const TenantConfig& t : running.tenants)
    if (!findTenant(reloaded, t.name)) changes.push_back("tenants[" + t.name + "] (removed)");
  if (collectionFields(running.collection) != collectionFields(reloaded.collection))
    changes.push_back("collection");
  if (running.state_dir != reloaded.state_dir) changes.push_back("state_dir");
  bool sinks_same = running.sinks.size() == reloaded.sinks.size();
  for (std::size_t i = 0; sinks_same && i < running.sinks.size(); ++i)
    sinks_same = sameSink(running.sinks[i], reloaded.sinks[i]);
  if (!sinks_same) changes.push_back("sinks");
  if (std::tie(running.health.listen, running.health.token_file, running.health.metrics_detail) !=
      std::tie(reloaded.health.listen, reloaded.health.token_file, reloaded.health.metrics_detail))
    changes.push_back("health");
  if (running.log.format != reloaded.log.format) changes.push_back("log.format");
  const ClusterConfig& rc = running.cluster;
  const ClusterConfig& nc = reloaded.cluster;
  if (std::tie(rc.enabled, rc.kafka.brokers, rc.kafka.group, rc.kafka.partitions,
               rc.kafka.properties) != std::tie(nc.enabled, nc.kafka.brokers, nc.kafka.group,
                                                nc.kafka.partitions, nc.kafka.properties))
    changes.push_back("cluster");
  return changes;
}

}  // namespace o365fwd
