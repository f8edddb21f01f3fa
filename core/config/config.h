#pragma once
// The configuration as plain structs (the contract in DESIGN.md "Configuration contract").
// Filled by loadConfig() in core/config/config_loader.h; no logic beyond defaults lives here.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/filters/filter_config.h"
#include "core/secrets/secret.h"

namespace o365fwd {

inline constexpr const char* kContentTypes[] = {"Audit.AzureActiveDirectory", "Audit.Exchange",
                                                "Audit.SharePoint", "Audit.General", "DLP.All"};

// The content type of Microsoft 365 service health records (a tenant's `service_health: true`):
// one record per new or changed Graph serviceHealthIssue; not an audit content type.
inline constexpr const char* kServiceHealthContentType = "ServiceHealth.Issue";

enum class Cloud { kCommercial, kGcc, kGccHigh, kDod };
enum class TokenEndpoint { kV1, kV2 };

struct TenantConfig {
  std::string name;       // [a-z0-9_-]+, unique
  std::string tenant_id;  // GUID, or a verified domain resolved to the GUID before use
  std::string client_id;  // GUID
  // Credential: exactly one of these sources.
  std::optional<std::string> client_secret_file;
  std::optional<std::string> client_secret_env;
  std::optional<std::string> client_secret_credential;  // file name in $CREDENTIALS_DIRECTORY
  std::optional<Secret> client_secret;                  // inline (discouraged)
  std::optional<std::string> certificate_file;          // PEM certificate (with private_key_file)
  std::optional<std::string> private_key_file;          // PEM private key
  // When the client secret expires (the token does not say): `client_secret_expires:
  // 2027-05-01`, midnight UTC of that day, or an RFC 3339 UTC time. For expiry warnings only.
  std::optional<std::chrono::system_clock::time_point> client_secret_expires;
  Cloud cloud = Cloud::kCommercial;
  std::string publisher_id;                // PublisherIdentifier; empty = the tenant GUID
  std::vector<std::string> content_types;  // default: all five
  std::string login_url;                   // resolved from `cloud` when not given
  std::string api_url;                     // resolved from `cloud` when not given
  TokenEndpoint token_endpoint = TokenEndpoint::kV2;
  int line = 0;  // YAML line of this tenant's entry, for messages

  // Fleet configuration (tenants_dir, shared credentials).
  std::string credential;   // name of a top-level `credentials:` entry; its source was copied in
  std::string source_file;  // the tenants_dir file it came from; empty: the main file

  // Record filters in effect for this tenant: its own `filters:` (own_filters) or a copy of the
  // top-level one (filled in by loadConfig once every tenant is known).
  FilterConfig filters;
  bool own_filters = false;
  // Microsoft 365 service health (Graph service announcements; docs/STATUS.md "Service health").
  bool service_health = false;
  std::string graph_url;  // resolved from `cloud` when not given
};

// A named application credential shared by tenants (`credentials:`; `credential: NAME` in a
// tenant): one multi-tenant app consented in every customer tenant. Exactly one secret source,
// the same keys and loading rules as a tenant's own. Tokens stay per tenant.
struct CredentialConfig {
  std::string name;
  std::string client_id;  // used by referencing tenants that do not set their own
  std::optional<std::string> client_secret_file;
  std::optional<std::string> client_secret_env;
  std::optional<std::string> client_secret_credential;
  std::optional<Secret> client_secret;
  std::optional<std::string> certificate_file;
  std::optional<std::string> private_key_file;
  std::optional<std::chrono::system_clock::time_point> client_secret_expires;
  int line = 0;
};

// A downloaded blob is charged this much more than its decoded body against max_inflight_bytes
// while it arrives (what it holds once parsed and de-duplicated: pipeline/collector.cpp), so the
// largest body the budget admits is largestBlobWithin(max_inflight_bytes); a larger one is
// dead-lettered as exceeds_inflight_budget.
inline constexpr std::uint64_t kBlobParseReservePercent = 50;
inline constexpr std::uint64_t largestBlobWithin(std::uint64_t max_inflight_bytes) {
  return max_inflight_bytes * 100 / (100 + kBlobParseReservePercent);
}

struct CollectionConfig {
  std::chrono::milliseconds poll_interval{std::chrono::seconds(60)};
  std::chrono::milliseconds initial_lookback{std::chrono::hours(24)};
  std::chrono::milliseconds overlap{std::chrono::hours(12)};
  int max_concurrent_downloads = 16;
  int max_requests_per_minute = 1800;  // per tenant, all requests together
  std::chrono::milliseconds dedup_window{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(300)};
  // A blob larger than this is dead-lettered; the default fits the default max_inflight_bytes
  // (largestBlobWithin(512 MiB) = 341 MiB). Real blobs are a few MB.
  std::uint64_t max_blob_size = 320ull * 1024 * 1024;
  std::uint64_t max_inflight_bytes = 512ull * 1024 * 1024;  // downloaded, not yet acknowledged
  int max_blob_attempts = 5;  // invalid JSON: attempts before the blob is dead-lettered
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds lag_warning{std::chrono::hours(24)};
  std::chrono::milliseconds lag_error{std::chrono::hours(72)};

  // No byte received for this long aborts a transfer (token, API, blob), separately from the
  // total request_timeout.
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};

  // Deep sweep (late content): every sweep_interval each stream re-lists the whole retention
  // older than its live listing; 0 disables it.
  std::chrono::milliseconds sweep_interval{std::chrono::hours(1)};

  // Fleet scheduling (issue 11 part 3). Listing runs on a pool sized from the stream count
  // (one thread per 50 streams, at least 8) up to max_concurrent_listings; token and
  // subscription requests of all tenants together are capped at max_concurrent_setup_requests;
  // the daemon's first poll of each tenant is spread over up to startup_spread (4 ms per tenant,
  // at most this), with jitter.
  int max_concurrent_listings = 64;
  int max_concurrent_setup_requests = 32;
  std::chrono::milliseconds startup_spread{std::chrono::seconds(5)};
};

enum class SinkType { kFile, kKafka, kSyslog };

struct FileSinkConfig {
  std::string path;
  std::uint64_t max_size = 1024ull * 1024 * 1024;  // rotate when the file would exceed this
  int max_files = 10;                              // rotated files kept besides the current one
};

struct KafkaSinkConfig {
  std::string brokers;
  std::string topic = "o365-audit";  // may contain {tenant} and {content_type}
  std::string compression = "zstd";  // none | gzip | snappy | lz4 | zstd
  std::chrono::milliseconds message_timeout{std::chrono::seconds(120)};
  std::uint64_t max_message_size = 1000000;
  bool idempotence = true;
  // Passed to librdkafka. A key ending in "_file" (e.g. sasl.password_file) names a file whose
  // content becomes the value of the key without the suffix; such values are secrets.
  std::map<std::string, std::string> properties;
};

enum class SyslogTransport { kTcp, kTls, kUdp, kRelp };
enum class SyslogFormat { kRfc5424, kRfc3164 };
enum class OversizePolicy { kDeadLetter, kTruncate };

struct SyslogSinkConfig {
  std::string address;  // host:port
  SyslogTransport transport = SyslogTransport::kTls;
  SyslogFormat format = SyslogFormat::kRfc5424;
  int facility = 13;     // log audit
  int severity = 6;      // informational
  std::string hostname;  // default: the machine's host name
  std::string app_name = "o365fwd";
  std::string sd_id = "o365@32473";
  std::string ca_file;      // TLS: CA bundle to verify the receiver (default: system store)
  std::string cert_file;    // TLS: optional client certificate
  std::string key_file;     // TLS: key of the client certificate
  std::string server_name;  // TLS: name to verify; default: the host part of `address`
  std::uint64_t max_message_size = 64 * 1024;
  OversizePolicy oversize = OversizePolicy::kDeadLetter;
};

struct SinkConfig {
  std::string name;  // unique; default "<type>" or "<type>-<index>"
  SinkType type = SinkType::kFile;
  FileSinkConfig file;
  KafkaSinkConfig kafka;
  SyslogSinkConfig syslog;
  int line = 0;
};

// How finely /metrics breaks figures down (docs/STATUS.md "Metrics detail").
enum class MetricsDetail { kStream, kTenant, kTotal };

struct HealthConfig {
  std::string listen = "127.0.0.1:9465";  // empty = no health server
  std::string token_file;                 // required for a non-loopback listen address

  MetricsDetail metrics_detail = MetricsDetail::kStream;
};

struct LogConfig {
  std::string level = "info";
  std::string format = "text";  // text | json
};

// Cluster mode (docs/CLUSTER.md): instances with the same `group` share the tenants through
// Kafka's consumer-group protocol; each tenant belongs to assignment partition
// tenantPartition(name, partitions) (cluster/tenant_partitioner.h).
struct ClusterKafkaConfig {
  std::string brokers;  // host:port[,host:port...], as the Kafka sink
  std::string group;    // consumer group; topics <group>.assignments and <group>.state
  int partitions = 64;  // of both topics, fixed at creation
  // Passed to librdkafka with the Kafka sink's rules (`<key>_file` reads a secret file).
  std::map<std::string, std::string> properties;

  // Exactly-once into a Kafka sink on these brokers: each commit is one Kafka transaction with
  // the blobs' records (docs/CLUSTER.md "Exactly-once into Kafka").
  bool exactly_once = true;
};

struct ClusterConfig {
  bool enabled = false;  // a `cluster:` block is present; absent = single node (SQLite state)
  ClusterKafkaConfig kafka;
};

struct Config {
  std::vector<TenantConfig> tenants;
  CollectionConfig collection;
  std::string state_dir = "/var/lib/o365fwd";
  std::vector<SinkConfig> sinks;
  HealthConfig health;
  LogConfig log;
  std::string source_path;  // the file it was read from

  // Fleet configuration.
  std::vector<CredentialConfig> credentials;
  std::string tenants_dir;  // a directory (every *.yaml in it) or a glob; tenants merged in

  // Record filters (`filters:`); a tenant's own `filters:` replaces them whole.
  FilterConfig filters;

  ClusterConfig cluster;  // cluster.enabled false: single node
};

const char* toString(Cloud cloud);
const char* toString(SinkType type);
const char* toString(MetricsDetail detail);  // "stream" | "tenant" | "total"
// Default hosts of a cloud: login (token) and API (resource) base URLs, no trailing slash.
std::string defaultLoginUrl(Cloud cloud);
std::string defaultApiUrl(Cloud cloud);
// Microsoft Graph host of a cloud (the service health source), no trailing slash.
std::string defaultGraphUrl(Cloud cloud);
bool isKnownContentType(const std::string& content_type);
bool isGuid(const std::string& text);
// The same Kafka cluster: the same set of host:port entries (order and blanks ignored).
bool sameKafkaBrokers(const std::string& a, const std::string& b);
// Cluster mode with a Kafka sink on the cluster's brokers: that sink is exactly-once.
bool exactlyOnceSink(const Config& config, const SinkConfig& sink);

}  // namespace o365fwd
