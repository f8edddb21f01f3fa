#include "core/config/config_parse.h"

#include <algorithm>

#include "core/config/config_fleet.h"
#include "core/filters/filter_parse.h"
#include "core/time_format.h"
#include "core/units.h"

namespace o365fwd {
namespace {

// Keys of each mapping: the YAML names are the field names of core/config/config.h.
const std::vector<std::string_view> kTopKeys = {
    "tenants", "collection",  "state_dir",   "sinks",   "health",
    "log",     "credentials", "tenants_dir", "filters", "cluster"};
const std::vector<std::string_view> kTenantKeys = {"name",
                                                   "tenant_id",
                                                   "client_id",
                                                   "client_secret_file",
                                                   "client_secret_env",
                                                   "client_secret_credential",
                                                   "client_secret",
                                                   "certificate_file",
                                                   "private_key_file",
                                                   "client_secret_expires",
                                                   "cloud",
                                                   "publisher_id",
                                                   "content_types",
                                                   "login_url",
                                                   "api_url",
                                                   "token_endpoint",
                                                   "credential",
                                                   "filters",
                                                   "service_health",
                                                   "graph_url"};
const std::vector<std::string_view> kCollectionKeys = {"poll_interval",
                                                       "initial_lookback",
                                                       "overlap",
                                                       "max_concurrent_downloads",
                                                       "max_requests_per_minute",
                                                       "dedup_window",
                                                       "request_timeout",
                                                       "max_blob_size",
                                                       "max_inflight_bytes",
                                                       "max_blob_attempts",
                                                       "drain_timeout",
                                                       "lag_warning",
                                                       "lag_error",
                                                       "stall_timeout",
                                                       "sweep_interval",
                                                       "max_concurrent_listings",
                                                       "max_concurrent_setup_requests",
                                                       "startup_spread"};
const std::vector<std::string_view> kFileSinkKeys = {"name", "type", "path", "max_size",
                                                     "max_files"};
const std::vector<std::string_view> kKafkaSinkKeys = {"name",
                                                      "type",
                                                      "brokers",
                                                      "topic",
                                                      "compression",
                                                      "message_timeout",
                                                      "max_message_size",
                                                      "idempotence",
                                                      "properties"};
const std::vector<std::string_view> kSyslogSinkKeys = {
    "name",     "type",        "address",          "transport", "format",  "facility",
    "severity", "hostname",    "app_name",         "sd_id",     "ca_file", "cert_file",
    "key_file", "server_name", "max_message_size", "oversize"};
const std::vector<std::string_view> kClusterKeys = {"kafka"};
const std::vector<std::string_view> kClusterKafkaKeys = {"brokers", "group", "partitions",
                                                         "properties", "exactly_once"};
const std::vector<std::string_view> kHealthKeys = {"listen", "token_file", "metrics_detail"};
const std::vector<std::string_view> kLogKeys = {"level", "format"};

const Names<Cloud> kClouds = {{"commercial", Cloud::kCommercial},
                              {"gcc", Cloud::kGcc},
                              {"gcc-high", Cloud::kGccHigh},
                              {"dod", Cloud::kDod}};
const Names<TokenEndpoint> kTokenEndpoints = {{"v1", TokenEndpoint::kV1},
                                              {"v2", TokenEndpoint::kV2}};
const Names<SinkType> kSinkTypes = {
    {"file", SinkType::kFile}, {"kafka", SinkType::kKafka}, {"syslog", SinkType::kSyslog}};
const Names<SyslogTransport> kTransports = {{"tcp", SyslogTransport::kTcp},
                                            {"tls", SyslogTransport::kTls},
                                            {"udp", SyslogTransport::kUdp},
                                            {"relp", SyslogTransport::kRelp}};
const Names<SyslogFormat> kFormats = {{"rfc5424", SyslogFormat::kRfc5424},
                                      {"rfc3164", SyslogFormat::kRfc3164}};
const Names<MetricsDetail> kMetricsDetails = {{"stream", MetricsDetail::kStream},
                                              {"tenant", MetricsDetail::kTenant},
                                              {"total", MetricsDetail::kTotal}};
const Names<OversizePolicy> kOversize = {{"dead_letter", OversizePolicy::kDeadLetter},
                                         {"truncate", OversizePolicy::kTruncate}};
const Names<int> kFacilities = {{"kern", 0},    {"user", 1},    {"mail", 2},      {"daemon", 3},
                                {"auth", 4},    {"syslog", 5},  {"lpr", 6},       {"news", 7},
                                {"uucp", 8},    {"cron", 9},    {"authpriv", 10}, {"ftp", 11},
                                {"ntp", 12},    {"audit", 13},  {"alert", 14},    {"clock", 15},
                                {"local0", 16}, {"local1", 17}, {"local2", 18},   {"local3", 19},
                                {"local4", 20}, {"local5", 21}, {"local6", 22},   {"local7", 23}};
const Names<int> kSeverities = {{"emerg", 0},   {"alert", 1},  {"crit", 2}, {"err", 3},
                                {"warning", 4}, {"notice", 5}, {"info", 6}, {"debug", 7}};

std::string stripTrailingSlashes(std::string url) {
  while (url.size() > 1 && url.back() == '/' && url.find("://") + 3 < url.size()) url.pop_back();
  return url;
}

void parseTenant(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
                 TenantConfig& t) {
  MapReader r(issues, node, path, "a tenant", kTenantKeys);
  t.line = r.line();
  r.getString("name", t.name);
  r.getString("tenant_id", t.tenant_id);
  readCredentialKeys(issues, r, t);
  r.getEnum("cloud", kClouds, t.cloud, "cloud");
  r.getString("publisher_id", t.publisher_id);
  if (!r.getStringList("content_types", t.content_types) && !r.find("content_types"))
    t.content_types.assign(std::begin(kContentTypes), std::end(kContentTypes));
  if (r.getString("login_url", t.login_url))
    t.login_url = stripTrailingSlashes(t.login_url);
  else
    t.login_url = defaultLoginUrl(t.cloud);
  if (r.getString("api_url", t.api_url))
    t.api_url = stripTrailingSlashes(t.api_url);
  else
    t.api_url = defaultApiUrl(t.cloud);
  r.getEnum("token_endpoint", kTokenEndpoints, t.token_endpoint, "token endpoint version");
  r.getString("credential", t.credential);
  if (const ConfigNode* f = r.find("filters")) {
    parseFilters(issues, *f, r.pathOf("filters"), t.filters);
    t.own_filters = true;
  }
  r.getBool("service_health", t.service_health);
  if (r.getString("graph_url", t.graph_url))
    t.graph_url = stripTrailingSlashes(t.graph_url);
  else
    t.graph_url = defaultGraphUrl(t.cloud);
}

void parseCollection(ConfigIssues& issues, const ConfigNode& node, CollectionConfig& c) {
  MapReader r(issues, node, "collection", "collection", kCollectionKeys);
  r.getDuration("poll_interval", c.poll_interval);
  r.getDuration("initial_lookback", c.initial_lookback);
  r.getDuration("overlap", c.overlap);
  r.getInt("max_concurrent_downloads", c.max_concurrent_downloads);
  r.getInt("max_requests_per_minute", c.max_requests_per_minute);
  r.getDuration("dedup_window", c.dedup_window);
  r.getDuration("request_timeout", c.request_timeout);
  const bool blob_size_set = r.getSize("max_blob_size", c.max_blob_size);
  const bool budget_set = r.getSize("max_inflight_bytes", c.max_inflight_bytes);
  // Said only when the operator set either: the defaults (1GiB, 512MiB) admit bodies up to
  // ~341MiB, as README says; real blobs are a few MB.
  if ((blob_size_set || budget_set) && c.max_inflight_bytes > 0 &&
      c.max_blob_size > largestBlobWithin(c.max_inflight_bytes)) {
    const ConfigNode* at = r.find(blob_size_set ? "max_blob_size" : "max_inflight_bytes");
    issues.warning(
        r.pathOf(blob_size_set ? "max_blob_size" : "max_inflight_bytes"),
        at != nullptr ? at->line : r.line(),
        "max_blob_size " + formatSize(c.max_blob_size) + " does not fit in max_inflight_bytes " +
            formatSize(c.max_inflight_bytes) + ": a blob is held with its parse (about 1.5 x " +
            "its size), so bodies above " + formatSize(largestBlobWithin(c.max_inflight_bytes)) +
            " are dead-lettered (exceeds_inflight_budget); raise max_inflight_bytes to at " +
            "least " + formatSize(c.max_blob_size + c.max_blob_size / 2) +
            " or lower max_blob_size");
  }
  r.getInt("max_blob_attempts", c.max_blob_attempts);
  r.getDuration("drain_timeout", c.drain_timeout);
  r.getDuration("lag_warning", c.lag_warning);
  r.getDuration("lag_error", c.lag_error);
  r.getDuration("stall_timeout", c.stall_timeout);
  r.getDuration("sweep_interval", c.sweep_interval);
  r.getInt("max_concurrent_listings", c.max_concurrent_listings);
  r.getInt("max_concurrent_setup_requests", c.max_concurrent_setup_requests);
  r.getDuration("startup_spread", c.startup_spread);
}

const std::vector<std::string_view>& keysOf(SinkType type) {
  switch (type) {
    case SinkType::kFile: return kFileSinkKeys;
    case SinkType::kKafka: return kKafkaSinkKeys;
    case SinkType::kSyslog: return kSyslogSinkKeys;
  }
  return kFileSinkKeys;
}

// Returns false when the sink's type is missing or unknown (the sink is then left out).
bool parseSink(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
               SinkConfig& s) {
  std::vector<std::string_view> all_keys;
  for (const auto& [name, type] : kSinkTypes) {
    for (std::string_view k : keysOf(type))
      if (std::find(all_keys.begin(), all_keys.end(), k) == all_keys.end()) all_keys.push_back(k);
  }
  std::optional<SinkType> type;
  for (const ConfigEntry& e : node.entries) {
    if (e.key != "type" || !e.value.isScalar()) continue;
    for (const auto& [name, value] : kSinkTypes)
      if (e.value.scalar == name) type = value;
    break;
  }
  std::string what = type ? std::string("a ") + toString(*type) + " sink" : "a sink";
  MapReader r(issues, node, path, what, type ? keysOf(*type) : all_keys, all_keys);
  s.line = r.line();
  if (!r.find("type")) {
    if (node.isMap() || node.isNull())
      issues.error(path, r.line(), "no `type`; add `type: file`, `type: kafka` or `type: syslog`");
    return false;
  }
  if (!r.getEnum("type", kSinkTypes, s.type, "sink type")) return false;
  r.getString("name", s.name);
  switch (s.type) {
    case SinkType::kFile:
      r.getString("path", s.file.path);
      r.getSize("max_size", s.file.max_size);
      r.getInt("max_files", s.file.max_files);
      break;
    case SinkType::kKafka:
      r.getString("brokers", s.kafka.brokers);
      if (!r.find("topic")) s.kafka.topic.clear();  // required; checked later
      r.getString("topic", s.kafka.topic);
      r.getString("compression", s.kafka.compression);
      r.getDuration("message_timeout", s.kafka.message_timeout);
      r.getSize("max_message_size", s.kafka.max_message_size);
      r.getBool("idempotence", s.kafka.idempotence);
      r.getScalarMap("properties", s.kafka.properties);
      break;
    case SinkType::kSyslog: {
      SyslogSinkConfig& y = s.syslog;
      r.getString("address", y.address);
      r.getEnum("transport", kTransports, y.transport, "syslog transport");
      r.getEnum("format", kFormats, y.format, "syslog format");
      r.getNumberOrName("facility", kFacilities, y.facility, "syslog facility");
      r.getNumberOrName("severity", kSeverities, y.severity, "syslog severity");
      r.getString("hostname", y.hostname);
      r.getString("app_name", y.app_name);
      r.getString("sd_id", y.sd_id);
      r.getString("ca_file", y.ca_file);
      r.getString("cert_file", y.cert_file);
      r.getString("key_file", y.key_file);
      r.getString("server_name", y.server_name);
      r.getSize("max_message_size", y.max_message_size);
      r.getEnum("oversize", kOversize, y.oversize, "oversize policy");
      break;
    }
  }
  return true;
}

void parseCluster(ConfigIssues& issues, const ConfigNode& node, ClusterConfig& c) {
  c.enabled = true;
  MapReader r(issues, node, "cluster", "cluster", kClusterKeys);
  const ConfigNode* kafka = r.find("kafka");
  if (!kafka) {
    issues.error("cluster", r.line(),
                 "has no `kafka:`; cluster mode coordinates through Kafka: add `kafka:` with "
                 "brokers, group and partitions, or remove `cluster:` for a single node");
    return;
  }
  MapReader k(issues, *kafka, "cluster.kafka", "cluster.kafka", kClusterKafkaKeys);
  k.getString("brokers", c.kafka.brokers);
  k.getString("group", c.kafka.group);
  k.getInt("partitions", c.kafka.partitions);
  k.getScalarMap("properties", c.kafka.properties);
  k.getBool("exactly_once", c.kafka.exactly_once);
}

// Parses the whole document. The caller has already made sure `root` is a mapping.
void parseRoot(ConfigIssues& issues, const ConfigNode& root, Config& config) {
  MapReader top(issues, root, "", "the top level", kTopKeys);
  if (const ConfigNode* tenants = top.find("tenants"); tenants && !tenants->isNull()) {
    if (!tenants->isList()) {
      issues.error("tenants", tenants->line, "expected a list of tenants (`- name: ...`)");
    } else {
      for (size_t i = 0; i < tenants->items.size(); ++i) {
        std::string path = "tenants[" + std::to_string(i) + "]";
        issues.recordLine(path, tenants->items[i].line);
        TenantConfig t;
        parseTenant(issues, tenants->items[i], path, t);
        config.tenants.push_back(std::move(t));
      }
    }
  }
  if (const ConfigNode* c = top.find("collection")) parseCollection(issues, *c, config.collection);
  config.state_dir.clear();  // required: checkConfig() reports it when still empty
  top.getString("state_dir", config.state_dir);
  if (const ConfigNode* sinks = top.find("sinks"); sinks && !sinks->isNull()) {
    if (!sinks->isList()) {
      issues.error("sinks", sinks->line, "expected a list of sinks (`- type: file`)");
    } else {
      for (size_t i = 0; i < sinks->items.size(); ++i) {
        std::string path = "sinks[" + std::to_string(i) + "]";
        issues.recordLine(path, sinks->items[i].line);
        SinkConfig s;
        if (parseSink(issues, sinks->items[i], path, s)) config.sinks.push_back(std::move(s));
      }
    }
  }
  if (const ConfigNode* h = top.find("health")) {
    MapReader r(issues, *h, "health", "health", kHealthKeys);
    r.getString("listen", config.health.listen);
    r.getString("token_file", config.health.token_file);
    r.getEnum("metrics_detail", kMetricsDetails, config.health.metrics_detail, "metrics detail");
  }
  if (const ConfigNode* creds = top.find("credentials"))
    parseCredentials(issues, *creds, config.credentials);
  top.getString("tenants_dir", config.tenants_dir);
  if (const ConfigNode* f = top.find("filters"))
    parseFilters(issues, *f, "filters", config.filters);
  if (const ConfigNode* cluster = top.find("cluster"))
    parseCluster(issues, *cluster, config.cluster);
  if (const ConfigNode* l = top.find("log")) {
    MapReader r(issues, *l, "log", "log", kLogKeys);
    r.getString("level", config.log.level);
    r.getString("format", config.log.format);
  }
}

// Unnamed sinks become "<type>" for the first of a type and "<type>-<n>" after.
void nameSinks(std::vector<SinkConfig>& sinks) {
  std::map<SinkType, int> seen;
  for (SinkConfig& s : sinks) {
    int n = ++seen[s.type];
    if (s.name.empty())
      s.name = n == 1 ? toString(s.type) : std::string(toString(s.type)) + "-" + std::to_string(n);
  }
}

void resolvePath(const std::filesystem::path& base, std::string& p) {
  if (p.empty() || isPlaceholder(p) || std::filesystem::path(p).is_absolute()) return;
  p = (base / p).lexically_normal().string();
}

void resolvePath(const std::filesystem::path& base, std::optional<std::string>& p) {
  if (p) resolvePath(base, *p);
}

void resolvePaths(const std::filesystem::path& base, Config& config) {
  resolvePath(base, config.state_dir);
  for (TenantConfig& t : config.tenants) {
    resolvePath(base, t.client_secret_file);
    resolvePath(base, t.certificate_file);
    resolvePath(base, t.private_key_file);
  }
  for (SinkConfig& s : config.sinks) {
    resolvePath(base, s.file.path);
    resolvePath(base, s.syslog.ca_file);
    resolvePath(base, s.syslog.cert_file);
    resolvePath(base, s.syslog.key_file);
    for (auto& [key, value] : s.kafka.properties)
      if (key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0) resolvePath(base, value);
  }
  resolvePath(base, config.health.token_file);
  for (CredentialConfig& c : config.credentials) {
    resolvePath(base, c.client_secret_file);
    resolvePath(base, c.certificate_file);
    resolvePath(base, c.private_key_file);
  }
  resolvePath(base, config.tenants_dir);
  for (auto& [key, value] : config.cluster.kafka.properties)
    if (key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0) resolvePath(base, value);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parseExpiryDate(std::string_view text) {
  auto digits = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i)
      if (text[i] < '0' || text[i] > '9') return false;
    return true;
  };
  if (text.size() < 10 || !digits(0, 4) || text[4] != '-' || !digits(5, 2) || text[7] != '-' ||
      !digits(8, 2))
    return std::nullopt;
  if (text.size() > 10 && text[10] != 'T') return std::nullopt;
  if (text.size() > 10 && text.back() != 'Z' && text.find('+', 10) == std::string_view::npos)
    return std::nullopt;  // a time of day must say it is UTC
  const int month = (text[5] - '0') * 10 + (text[6] - '0');
  const int day = (text[8] - '0') * 10 + (text[9] - '0');
  const int year = std::stoi(std::string(text.substr(0, 4)));
  using namespace std::chrono;
  const year_month_day date{std::chrono::year(year),
                            std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  if (text.size() == 10) return sys_days(date);
  return parseUtc(text);
}

void readSecretExpiry(ConfigIssues& issues, MapReader& r,
                      std::optional<std::chrono::system_clock::time_point>& out) {
  std::optional<std::string> text;
  if (!r.getOptString("client_secret_expires", text) || !text) return;
  if (auto date = parseExpiryDate(*text)) {
    out = *date;
    return;
  }
  const ConfigNode* node = r.find("client_secret_expires");
  issues.error(r.pathOf("client_secret_expires"), node ? node->line : r.line(),
               showValue(*text) +
                   " is not a date; write the Expires date of the client secret (Entra admin "
                   "center: App registrations > the app > Certificates & secrets > Client "
                   "secrets) as YYYY-MM-DD, e.g. 2027-05-01");
}

void parseConfig(const ConfigNode& root, const std::filesystem::path& base_dir,
                 ConfigIssues& issues, Config& config) {
  parseRoot(issues, root, config);
  nameSinks(config.sinks);
  resolvePaths(base_dir, config);
  resolveCredentialRefs(config.credentials, config.tenants, "tenants", issues);
}

void parseTenantEntry(ConfigIssues& issues, const ConfigNode& node, const std::string& path,
                      const std::filesystem::path& base_dir, TenantConfig& tenant) {
  parseTenant(issues, node, path, tenant);
  resolvePath(base_dir, tenant.client_secret_file);
  resolvePath(base_dir, tenant.certificate_file);
  resolvePath(base_dir, tenant.private_key_file);
}

}  // namespace o365fwd
