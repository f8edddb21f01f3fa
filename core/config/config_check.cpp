#include "core/config/config_check.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/host_port.h"
#include "core/units.h"

namespace o365fwd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kSevenDays = hours(24 * 7);

std::string showValue(std::string_view s) {
  constexpr size_t kMax = 80;
  std::string out = "\"";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  return out + "\"";
}

bool isName(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool isEnvName(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool isPrintableNoSpace(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 32 && c < 127; });
}

class Checker {
 public:
  Checker(const std::string& file, const KeyLines& lines, std::vector<ConfigIssue>& issues)
      : file_(file), lines_(lines), issues_(issues) {
    for (const ConfigIssue& i : issues) reported_.insert(i.path);
  }
  void error(const std::string& path, std::string message) { add(path, std::move(message), false); }
  void warn(const std::string& path, std::string message) { add(path, std::move(message), true); }
  bool reported(const std::string& path) const { return reported_.count(path) > 0; }

 private:
  void add(const std::string& path, std::string message, bool warning) {
    if (reported(path)) return;  // a parse error already explains this value
    issues_.push_back(
        ConfigIssue{file_, path, lineOfPath(lines_, path), std::move(message), warning});
  }
  const std::string& file_;
  const KeyLines& lines_;
  std::vector<ConfigIssue>& issues_;
  std::set<std::string> reported_;
};

// nullopt when `url` is an acceptable base URL (already stripped of trailing slashes).
std::optional<std::string> urlProblem(const std::string& url) {
  bool http = url.rfind("http://", 0) == 0;
  if (!http && url.rfind("https://", 0) != 0)
    return showValue(url) + " is not an https:// URL; write e.g. https://login.microsoftonline.com";
  std::string rest = url.substr(http ? 7 : 8);
  size_t end = rest.find_first_of("/?#");
  if (end != std::string::npos)
    return showValue(url) +
           " has a path or query; give only the scheme and host, e.g. "
           "https://manage.office.com";
  if (rest.find('@') != std::string::npos)
    return showValue(url) + " holds a user name; remove it (credentials never go into URLs)";
  std::string host = rest;
  if (auto hp = parseHostPort(rest))
    host = hp->host;
  else if (rest.find(':') != std::string::npos && rest.front() != '[')
    return showValue(url) + " has an invalid port; use host:port with a port 1-65535";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) return showValue(url) + " has no host";
  if (http && !isLoopbackHost(host))
    return showValue(url) +
           " uses plain http:// to a host that is not loopback; use https:// "
           "(http is allowed only for 127.0.0.1, ::1 or localhost, e.g. a local "
           "simulator)";
  return std::nullopt;
}

void checkCredential(Checker& c, const TenantConfig& t, const std::string& p) {
  std::vector<std::string> sources;
  if (t.client_secret_file) sources.push_back("client_secret_file");
  if (t.client_secret_env) sources.push_back("client_secret_env");
  if (t.client_secret_credential) sources.push_back("client_secret_credential");
  if (t.client_secret) sources.push_back("client_secret");
  if (t.certificate_file || t.private_key_file) sources.push_back("certificate_file");
  if (sources.empty()) {
    c.error(p,
            "no credential; set `credential: NAME` (a shared credential) or one of "
            "client_secret_file, client_secret_env, "
            "client_secret_credential (a systemd credential), or certificate_file + "
            "private_key_file");
    return;
  }
  if (sources.size() > 1) {
    std::string list;
    for (const auto& s : sources) list += (list.empty() ? "" : ", ") + s;
    c.error(p + "." + sources[1], "more than one credential (" + list + "); keep exactly one");
    return;
  }
  if (t.certificate_file.has_value() != t.private_key_file.has_value()) {
    if (t.certificate_file)
      c.error(p + ".certificate_file",
              "needs private_key_file too: the PEM private key of the "
              "certificate uploaded to the app registration");
    else
      c.error(p + ".private_key_file",
              "needs certificate_file too: the PEM certificate uploaded "
              "to the app registration (Certificates & secrets)");
    return;
  }
  auto nonEmpty = [&](const std::optional<std::string>& v, const char* key, const char* what) {
    if (v && v->empty()) c.error(p + "." + key, std::string("is empty; name ") + what);
  };
  nonEmpty(t.client_secret_file, "client_secret_file", "the file that holds the client secret");
  nonEmpty(t.certificate_file, "certificate_file", "the PEM certificate file");
  nonEmpty(t.private_key_file, "private_key_file", "the PEM private key file");
  if (t.client_secret_env && !isEnvName(*t.client_secret_env))
    c.error(p + ".client_secret_env", showValue(*t.client_secret_env) +
                                          " is not an environment variable name; use letters, "
                                          "digits and '_', e.g. O365FWD_CONTOSO_SECRET");
  if (const auto& cred = t.client_secret_credential;
      cred &&
      (cred->empty() || cred->find('/') != std::string::npos || *cred == "." || *cred == ".."))
    c.error(p + ".client_secret_credential",
            showValue(*cred) +
                " is not a credential name; use the name given to LoadCredential= in "
                "the unit, e.g. contoso-secret (no '/')");
  if (t.client_secret_expires && t.certificate_file && t.credential.empty())
    c.error(p + ".client_secret_expires",
            "applies to a client secret; a certificate's expiry is read from the certificate "
            "itself (notAfter), so remove client_secret_expires");
  if (t.client_secret)
    c.warn(p + ".client_secret",
           "an inline secret is discouraged: anyone who can read this file "
           "can use it; move it to client_secret_file (chmod 0640) or a "
           "systemd credential");
}

void checkTenants(Checker& c, const std::vector<TenantConfig>& tenants, bool required) {
  if (required && tenants.empty() && !c.reported("tenants"))
    c.error("tenants",
            "no tenant configured; add one under `tenants:` with name, tenant_id, "
            "client_id and a credential");
  std::map<std::string, size_t> names, tenant_ids;
  for (size_t i = 0; i < tenants.size(); ++i) {
    const TenantConfig& t = tenants[i];
    std::string p = "tenants[" + std::to_string(i) + "]";
    if (t.name.empty())
      c.error(p + ".name",
              "is required; a short name such as `contoso` (a-z, 0-9, '_', '-'), used "
              "in status, metrics and output");
    else if (!isName(t.name))
      c.error(p + ".name",
              showValue(t.name) + " may use only a-z, 0-9, '_' and '-'; e.g. `contoso`");
    else if (auto [it, fresh] = names.emplace(t.name, i); !fresh)
      c.error(p + ".name", showValue(t.name) + " is already the name of tenants[" +
                               std::to_string(it->second) + "]; tenant names must be unique");
    const char* overview =
        "use the Directory (tenant) ID from the app registration's Overview page";
    if (t.tenant_id.empty())
      c.error(p + ".tenant_id", std::string("is required; ") + overview);
    else if (!isGuid(t.tenant_id) && !isDomainName(t.tenant_id))
      c.error(p + ".tenant_id", showValue(t.tenant_id) + " is not a GUID or a domain; " + overview);
    else if (auto [it, fresh] = tenant_ids.emplace(t.tenant_id, i); !fresh)
      c.warn(p + ".tenant_id", "the same tenant as tenants[" + std::to_string(it->second) +
                                   "]; both would forward the same records");
    const char* client =
        "use the Application (client) ID from the app registration's Overview page";
    if (t.client_id.empty())
      c.error(p + ".client_id", std::string("is required; ") + client);
    else if (!isGuid(t.client_id))
      c.error(p + ".client_id", showValue(t.client_id) + " is not a GUID; " + client);
    if (t.credential.empty()) checkCredential(c, t, p);  // else checked at credentials[]
    if (!t.publisher_id.empty() && !isGuid(t.publisher_id))
      c.error(p + ".publisher_id", showValue(t.publisher_id) +
                                       " is not a GUID; use your tenant "
                                       "GUID, or remove the key to use tenant_id");
    if (t.content_types.empty())
      c.error(p + ".content_types",
              "lists no content type; remove the key to collect all five, "
              "or name at least one");
    std::set<std::string> seen;
    for (size_t j = 0; j < t.content_types.size(); ++j) {
      const std::string& ct = t.content_types[j];
      std::string cp = p + ".content_types[" + std::to_string(j) + "]";
      if (!isKnownContentType(ct)) {
        std::string hint, all;
        for (const char* known : kContentTypes) {
          all += (all.empty() ? "" : ", ") + std::string(known);
          if (hint.empty() && editDistance(ct, known) <= 2)
            hint = " (did you mean `" + std::string(known) + "`?)";
        }
        c.error(cp, showValue(ct) + " is not a content type; use " + all + hint);
      } else if (!seen.insert(ct).second) {
        c.error(cp, showValue(ct) + " is listed twice; remove one");
      }
    }
    if (auto problem = urlProblem(t.login_url)) c.error(p + ".login_url", *problem);
    if (auto problem = urlProblem(t.api_url)) c.error(p + ".api_url", *problem);
    if (auto problem = urlProblem(t.graph_url)) c.error(p + ".graph_url", *problem);
  }
}

// `credentials:` entries: a name, an optional client_id, exactly one secret source.
void checkSharedCredentials(Checker& c, const std::vector<CredentialConfig>& credentials) {
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < credentials.size(); ++i) {
    const CredentialConfig& k = credentials[i];
    std::string p = "credentials[" + std::to_string(i) + "]";
    if (k.name.empty())
      c.error(p + ".name", "is required; tenants refer to it with `credential: NAME`");
    else if (!isName(k.name))
      c.error(p + ".name", showValue(k.name) + " may use only a-z, 0-9, '_' and '-'");
    else if (auto [it, fresh] = names.emplace(k.name, i); !fresh)
      c.error(p + ".name", showValue(k.name) + " is already the name of credentials[" +
                               std::to_string(it->second) + "]; names must be unique");
    if (!k.client_id.empty() && !isGuid(k.client_id))
      c.error(p + ".client_id", showValue(k.client_id) +
                                    " is not a GUID; use the Application (client) ID of the "
                                    "multi-tenant app registration");
    TenantConfig as_tenant;
    as_tenant.client_secret_file = k.client_secret_file;
    as_tenant.client_secret_env = k.client_secret_env;
    as_tenant.client_secret_credential = k.client_secret_credential;
    as_tenant.client_secret = k.client_secret;
    as_tenant.certificate_file = k.certificate_file;
    as_tenant.private_key_file = k.private_key_file;
    as_tenant.client_secret_expires = k.client_secret_expires;
    checkCredential(c, as_tenant, p);
  }
}

void checkCollection(Checker& c, const CollectionConfig& k) {
  auto tooLong = [&](const char* key, milliseconds v) {
    if (v > kSevenDays)
      c.error(std::string("collection.") + key,
              formatDuration(v) + " is more than 7d, the API's retention; use at most 7d");
  };
  auto atLeast = [&](const char* key, milliseconds v, milliseconds min) {
    if (v < min)
      c.error(std::string("collection.") + key,
              formatDuration(v) + " is too short; use at least " + formatDuration(min));
  };
  auto range = [&](const char* key, long long v, long long lo, long long hi) {
    if (v < lo || v > hi)
      c.error(std::string("collection.") + key, std::to_string(v) + " is out of range; use " +
                                                    std::to_string(lo) + ".." + std::to_string(hi));
  };
  tooLong("initial_lookback", k.initial_lookback);
  tooLong("overlap", k.overlap);
  atLeast("poll_interval", k.poll_interval, seconds(1));
  range("max_concurrent_downloads", k.max_concurrent_downloads, 1, 256);
  range("max_requests_per_minute", k.max_requests_per_minute, 1, 100000);
  atLeast("dedup_window", k.dedup_window, hours(1));
  atLeast("request_timeout", k.request_timeout, seconds(1));
  atLeast("stall_timeout", k.stall_timeout, seconds(1));
  atLeast("drain_timeout", k.drain_timeout, seconds(1));
  range("max_blob_attempts", k.max_blob_attempts, 1, 1000);
  range("max_concurrent_listings", k.max_concurrent_listings, 1, 1024);
  range("max_concurrent_setup_requests", k.max_concurrent_setup_requests, 1, 256);
  if (k.startup_spread > std::chrono::minutes(10))
    c.error("collection.startup_spread",
            formatDuration(k.startup_spread) + " is too long; use 0s..10m");
  if (k.sweep_interval != milliseconds(0)) {  // 0 disables the deep sweep
    atLeast("sweep_interval", k.sweep_interval, seconds(1));
    tooLong("sweep_interval", k.sweep_interval);
  }
  if (k.max_blob_size == 0) c.error("collection.max_blob_size", "must be more than 0, e.g. 1GiB");
  if (k.max_inflight_bytes == 0)
    c.error("collection.max_inflight_bytes", "must be more than 0, e.g. 512MiB");
  if (k.lag_warning >= k.lag_error)
    c.error("collection.lag_warning", formatDuration(k.lag_warning) + " is not below lag_error (" +
                                          formatDuration(k.lag_error) +
                                          "); the warning must come first");
}

void checkBrokers(Checker& c, const std::string& brokers, const std::string& p) {
  if (brokers.empty()) {
    c.error(p + ".brokers",
            "is required; list the bootstrap brokers, e.g. kafka1:9092,kafka2:9092");
    return;
  }
  size_t start = 0;
  while (start <= brokers.size()) {
    size_t comma = std::min(brokers.find(',', start), brokers.size());
    std::string broker = brokers.substr(start, comma - start);
    broker.erase(0, broker.find_first_not_of(' '));
    broker.erase(broker.find_last_not_of(' ') + 1);
    if (!parseHostPort(broker)) {
      c.error(p + ".brokers", showValue(broker) +
                                  " is not host:port; write e.g. "
                                  "kafka1:9092,kafka2:9092");
      return;
    }
    start = comma + 1;
  }
}

// Inline secrets and empty *_file values of a Kafka client's `properties` (sink or cluster).
void checkKafkaSecrets(Checker& c, const std::map<std::string, std::string>& properties,
                       const std::string& p) {
  static const char* kSecretKeys[] = {"sasl.password", "ssl.key.password", "ssl.keystore.password",
                                      "sasl.oauthbearer.client.secret"};
  for (const auto& [key, value] : properties) {
    for (const char* secret : kSecretKeys)
      if (key == secret)
        c.warn(p + ".properties." + key, std::string("holds a secret inline; use `") + secret +
                                             "_file: /etc/o365fwd/<file>` instead (chmod 0640)");
    if (key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0 && value.empty())
      c.error(p + ".properties." + key, "is empty; name the file that holds the value");
  }
}

void checkKafka(Checker& c, const KafkaSinkConfig& k, const std::string& p) {
  checkBrokers(c, k.brokers, p);
  if (k.topic.empty()) {
    c.error(p + ".topic", "is required; e.g. o365-audit (may contain {tenant} and {content_type})");
  } else {
    std::string rest;
    for (size_t i = 0; i < k.topic.size(); ++i) {
      if (k.topic[i] == '{') {
        size_t close = k.topic.find('}', i);
        std::string ph = k.topic.substr(i, close == std::string::npos ? close : close - i + 1);
        if (ph != "{tenant}" && ph != "{content_type}") {
          c.error(p + ".topic", showValue(ph) +
                                    " is not a topic placeholder; use {tenant} or "
                                    "{content_type}");
          rest.clear();
          break;
        }
        rest += 'x';
        i = close;
      } else {
        rest += k.topic[i];
      }
    }
    bool legal = std::all_of(rest.begin(), rest.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
    });
    if (!rest.empty() && (!legal || k.topic.size() > 249))
      c.error(p + ".topic", showValue(k.topic) +
                                " is not a Kafka topic name; use at most 249 "
                                "characters of a-z, A-Z, 0-9, '.', '_', '-'");
  }
  static const char* kCompressions[] = {"none", "gzip", "snappy", "lz4", "zstd"};
  if (std::find(std::begin(kCompressions), std::end(kCompressions), k.compression) ==
      std::end(kCompressions))
    c.error(p + ".compression", showValue(k.compression) +
                                    " is not a compression; use one of none, "
                                    "gzip, snappy, lz4, zstd");
  if (k.message_timeout < seconds(1))
    c.error(p + ".message_timeout", "use at least 1s (delivery reports wait this long)");
  if (k.max_message_size < 1000)
    c.error(p + ".max_message_size", "is too small; use at least 1000 bytes (default 1000000)");
  static const std::pair<const char*, const char*> kOwned[] = {
      {"bootstrap.servers", "brokers"},          {"compression.type", "compression"},
      {"compression.codec", "compression"},      {"message.timeout.ms", "message_timeout"},
      {"message.max.bytes", "max_message_size"}, {"enable.idempotence", "idempotence"}};
  for (const auto& [key, value] : k.properties) {
    for (const auto& [owned, ours] : kOwned)
      if (key == owned)
        c.error(p + ".properties." + key,
                std::string("is set by the sink's `") + ours + "` key; set that instead");
  }
  checkKafkaSecrets(c, k.properties, p);
}

// cluster.kafka (docs/CLUSTER.md). The group names two topics, so it must be a topic name too.
void checkCluster(Checker& c, const Config& config) {
  const ClusterConfig& cluster = config.cluster;
  if (!cluster.enabled) return;
  const ClusterKafkaConfig& k = cluster.kafka;
  const std::string p = "cluster.kafka";
  if (c.reported("cluster") || c.reported(p)) return;  // no kafka block, or not a mapping
  checkBrokers(c, k.brokers, p);
  // "<group>.assignments" is the longer topic name: 12 characters after the group.
  constexpr size_t kMaxGroup = 249 - 12;
  if (k.group.empty()) {
    c.error(p + ".group",
            "is required; name the group the instances share, e.g. o365fwd-prod (topics "
            "<group>.assignments and <group>.state are created by `o365fwd cluster init`)");
  } else if (k.group.size() > kMaxGroup || k.group == "." || k.group == ".." ||
             !std::all_of(k.group.begin(), k.group.end(), [](char ch) {
               return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' ||
                      ch == '-';
             })) {
    c.error(p + ".group", showValue(k.group) + " cannot name Kafka topics; use at most " +
                              std::to_string(kMaxGroup) +
                              " characters of a-z, A-Z, 0-9, '.', '_', '-', e.g. o365fwd-prod");
  }
  if (k.partitions < 1 || k.partitions > 10000)
    c.error(p + ".partitions", std::to_string(k.partitions) +
                                   " is out of range; use 1..10000 (at most this many instances "
                                   "share the work; 64 suits up to a few dozen instances)");
  for (const auto& [key, value] : k.properties) {
    std::string bare = key.size() > 5 && key.compare(key.size() - 5, 5, "_file") == 0
                           ? key.substr(0, key.size() - 5)
                           : key;
    if (const char* remedy = clusterOwnedKafkaProperty(bare))
      c.error(p + ".properties." + key, std::string("is set by cluster mode; ") + remedy);
  }
  checkKafkaSecrets(c, k.properties, p);
  // Exactly-once needs the sink's records and the state in one transaction: one Kafka cluster.
  for (std::size_t i = 0; i < config.sinks.size() && k.exactly_once; ++i) {
    const SinkConfig& s = config.sinks[i];
    if (s.type == SinkType::kKafka && !exactlyOnceSink(config, s))
      c.warn("sinks[" + std::to_string(i) + "].brokers",
             "are not cluster.kafka.brokers: a Kafka transaction cannot span two Kafka clusters, "
             "so sink \"" +
                 s.name +
                 "\" is at-least-once (a killed or paused instance's in-flight blobs may be "
                 "forwarded again); for exactly-once write the cluster's brokers here (the same "
                 "host:port list), or set cluster.kafka.exactly_once: false to silence this");
  }
}

void checkSyslog(Checker& c, const SyslogSinkConfig& y, const std::string& p) {
  if (y.address.empty())
    c.error(p + ".address",
            "is required; write host:port, e.g. siem.example.com:6514 or "
            "[::1]:514");
  else if (!parseHostPort(y.address))
    c.error(p + ".address", showValue(y.address) +
                                " is not host:port; write e.g. "
                                "siem.example.com:6514 (IPv6 as [::1]:514)");
  if (y.max_message_size < 480)
    c.error(p + ".max_message_size",
            "is below 480 bytes, the smallest size every syslog "
            "receiver must accept; use e.g. 64KiB");
  if (y.cert_file.empty() != y.key_file.empty())
    c.error(p + (y.cert_file.empty() ? ".key_file" : ".cert_file"),
            "cert_file and key_file go together (the TLS client certificate and its key)");
  if (y.transport != SyslogTransport::kTls) {
    for (const auto& [key, value] :
         {std::pair<const char*, const std::string&>{"ca_file", y.ca_file},
          {"cert_file", y.cert_file},
          {"key_file", y.key_file},
          {"server_name", y.server_name}})
      if (!value.empty()) c.warn(p + "." + key, "is ignored unless transport is tls");
  }
  if (y.app_name.empty() || y.app_name.size() > 48 || !isPrintableNoSpace(y.app_name))
    c.error(p + ".app_name", "must be 1-48 printable characters without spaces (RFC 5424)");
  if (y.sd_id.empty() || y.sd_id.size() > 32 || !isPrintableNoSpace(y.sd_id) ||
      y.sd_id.find_first_of("=]\"") != std::string::npos)
    c.error(p + ".sd_id",
            "must be 1-32 printable characters without spaces, '=', ']' or '\"' "
            "(RFC 5424), e.g. o365@32473");
  if (y.hostname.size() > 255 || !isPrintableNoSpace(y.hostname))
    c.error(p + ".hostname", "must be at most 255 printable characters without spaces");
}

void checkSinks(Checker& c, const Config& config, const KeyLines& lines) {
  if (config.sinks.empty() && !c.reported("sinks") && !lines.count("sinks[0]"))
    c.error("sinks", "no sink configured; add one under `sinks:`, e.g. `- type: file` with a path");
  std::map<std::string, size_t> names;
  for (size_t i = 0; i < config.sinks.size(); ++i) {
    const SinkConfig& s = config.sinks[i];
    std::string p = "sinks[" + std::to_string(i) + "]";
    if (!isName(s.name))
      c.error(p + ".name", showValue(s.name) + " may use only a-z, 0-9, '_' and '-'");
    else if (auto [it, fresh] = names.emplace(s.name, i); !fresh)
      c.error(p + ".name", showValue(s.name) + " is already the name of sinks[" +
                               std::to_string(it->second) + "]; give each sink a unique `name`");
    switch (s.type) {
      case SinkType::kFile:
        if (s.file.path.empty())
          c.error(p + ".path",
                  "is required; name the output file, e.g. "
                  "/var/lib/o365fwd/out/audit.ndjson");
        else if (s.file.path.back() == '/')
          c.error(p + ".path", "names a directory; name the output file inside it");
        if (s.file.max_size == 0) c.error(p + ".max_size", "must be more than 0, e.g. 1GiB");
        if (s.file.max_files < 1 || s.file.max_files > 10000)
          c.error(p + ".max_files", std::to_string(s.file.max_files) +
                                        " is out of range; use "
                                        "1..10000");
        break;
      case SinkType::kKafka: checkKafka(c, s.kafka, p); break;
      case SinkType::kSyslog: checkSyslog(c, s.syslog, p); break;
    }
  }
}

void checkHealthAndLog(Checker& c, const Config& config) {
  const HealthConfig& h = config.health;
  if (!h.listen.empty()) {
    auto hp = parseHostPort(h.listen, /*allow_any_port=*/true);
    if (!hp)
      c.error("health.listen", showValue(h.listen) +
                                   " is not host:port; write e.g. 127.0.0.1:9465, "
                                   "or \"\" to disable the endpoint");
    else if (!isLoopbackHost(hp->host) && h.token_file.empty())
      c.error("health.listen",
              showValue(h.listen) +
                  " is reachable from other machines; set "
                  "health.token_file (a file holding the access token that clients "
                  "must present), or listen on 127.0.0.1");
  }
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(kLevels), std::end(kLevels), config.log.level) == std::end(kLevels))
    c.error("log.level", showValue(config.log.level) +
                             " is not a log level; use one of trace, "
                             "debug, info, warn, error");
  if (config.log.format != "text" && config.log.format != "json")
    c.error("log.format", showValue(config.log.format) + " is not a log format; use text or json");
}

}  // namespace

const char* clusterOwnedKafkaProperty(std::string_view key) {
  // Keys cluster mode sets itself: a different value would break membership or state reads.
  static const std::pair<const char*, const char*> kOwned[] = {
      {"bootstrap.servers", "set cluster.kafka.brokers instead"},
      {"metadata.broker.list", "set cluster.kafka.brokers instead"},
      {"group.id", "set cluster.kafka.group instead"},
      {"group.instance.id", "each member is named by its host and process; remove it"},
      {"partition.assignment.strategy", "assignment is cooperative-sticky; remove it"},
      {"enable.auto.commit", "state is committed after the sinks acknowledged; remove it"},
      {"enable.auto.offset.store", "state is committed after the sinks acknowledged; remove it"},
      {"isolation.level", "state is read read_committed; remove it"},
      {"transactional.id", "transactional ids are derived from the group; remove it"},
      {"enable.idempotence", "its producers are always idempotent; remove it"}};
  for (const auto& [owned, remedy] : kOwned)
    if (key == owned) return remedy;
  return nullptr;
}

void checkTenantList(const std::vector<TenantConfig>& tenants, const std::string& file,
                     const KeyLines& lines, std::vector<ConfigIssue>& issues) {
  Checker c(file, lines, issues);
  checkTenants(c, tenants, /*required=*/false);
}

void checkConfig(const Config& config, const std::string& file, const KeyLines& lines,
                 std::vector<ConfigIssue>& issues) {
  Checker c(file, lines, issues);
  checkTenants(c, config.tenants, config.tenants_dir.empty());
  checkSharedCredentials(c, config.credentials);
  checkCollection(c, config.collection);
  if (config.state_dir.empty() && !c.reported("state_dir"))
    c.error("state_dir",
            "is required; add `state_dir: /var/lib/o365fwd` (SQLite state, lock "
            "file, dead letters)");
  checkSinks(c, config, lines);
  checkHealthAndLog(c, config);
  checkCluster(c, config);
}

}  // namespace o365fwd
