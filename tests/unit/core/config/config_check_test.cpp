// Rules of the configuration (core/config/config_check.cpp), driven through loadConfigString().
#include "core/config/config_check.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

constexpr const char* kTenant = R"(tenants:
  - name: contoso
    tenant_id: 11111111-2222-3333-4444-555555555555
    client_id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
    client_secret_env: O365FWD_TEST_SECRET
)";
constexpr const char* kRest = R"(state_dir: /var/lib/o365fwd
sinks:
  - type: file
    path: /var/lib/o365fwd/out/audit.ndjson
)";

// A valid configuration with `tenant_extra` lines added to the tenant and `extra` top-level text.
LoadedConfig load(const std::string& tenant_extra, const std::string& extra = "",
                  const std::string& sinks = "") {
  std::string yaml = std::string(kTenant) + tenant_extra + kRest + sinks + extra;
  return loadConfigString(yaml, "connector.yaml");
}

std::string all(const LoadedConfig& c) {
  std::string out;
  for (const ConfigIssue& i : c.issues) out += i.describe() + "\n";
  return out;
}

// The message of the only issue at `path`; fails the test when there is none.
std::string messageAt(const LoadedConfig& c, const std::string& path) {
  for (const ConfigIssue& i : c.issues)
    if (i.path == path) return i.message;
  ADD_FAILURE() << "no issue at " << path << "; issues:\n" << all(c);
  return "";
}

// `yaml` with the first `from` replaced by `to`.
std::string replaced(std::string yaml, const std::string& from, const std::string& to) {
  size_t at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? yaml : yaml.replace(at, from.size(), to);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ConfigCheck, TenantIdMustBeAGuidOrADomain) {
  std::string two = std::string(kTenant) +
                    "  - name: fabrikam\n    tenant_id: contoso\n"
                    "    client_id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
                    "    client_secret_env: X\n" +
                    kRest;
  LoadedConfig c = loadConfigString(two, "connector.yaml");
  ASSERT_EQ(c.issues.size(), 1u) << all(c);
  EXPECT_EQ(
      c.issues[0].describe(),
      "connector.yaml:7: tenants[1].tenant_id: \"contoso\" is not a GUID or a domain; use the "
      "Directory (tenant) ID from the app registration's Overview page");
}

TEST(ConfigCheck, ClientIdAndPublisherIdMustBeGuids) {
  LoadedConfig c = load("    publisher_id: my-publisher\n");
  EXPECT_TRUE(contains(messageAt(c, "tenants[0].publisher_id"), "is not a GUID"));
  std::string yaml =
      replaced(std::string(kTenant) + kRest, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "my-app");
  LoadedConfig bad = loadConfigString(yaml, "connector.yaml");
  EXPECT_EQ(messageAt(bad, "tenants[0].client_id"),
            "\"my-app\" is not a GUID; use the Application (client) ID from the app "
            "registration's Overview page");
}

TEST(ConfigCheck, ExactlyOneCredential) {
  std::string none =
      replaced(std::string(kTenant) + kRest, "    client_secret_env: O365FWD_TEST_SECRET\n", "");
  LoadedConfig c = loadConfigString(none, "connector.yaml");
  EXPECT_EQ(messageAt(c, "tenants[0]"),
            "no credential; set `credential: NAME` (a shared credential) or one of "
            "client_secret_file, client_secret_env, client_secret_credential (a systemd "
            "credential), or certificate_file + private_key_file");
  LoadedConfig two = load("    client_secret_file: /etc/o365fwd/x.secret\n");
  EXPECT_EQ(messageAt(two, "tenants[0].client_secret_env"),
            "more than one credential (client_secret_file, client_secret_env); keep exactly one");
  EXPECT_EQ(two.errorCount(), 1) << all(two);
}

TEST(ConfigCheck, CertificateNeedsItsKey) {
  std::string yaml =
      replaced(std::string(kTenant) + kRest, "client_secret_env: O365FWD_TEST_SECRET",
               "certificate_file: /etc/o365fwd/c.pem");
  LoadedConfig c = loadConfigString(yaml, "connector.yaml");
  EXPECT_TRUE(contains(messageAt(c, "tenants[0].certificate_file"), "needs private_key_file too"));
  yaml = replaced(yaml, "certificate_file: /etc/o365fwd/c.pem",
                  "certificate_file: c.pem\n    private_key_file: c.key");
  EXPECT_TRUE(loadConfigString(yaml, "/etc/o365fwd/connector.yaml").valid());
}

TEST(ConfigCheck, InlineSecretIsAWarning) {
  std::string yaml = replaced(std::string(kTenant) + kRest,
                              "client_secret_env: O365FWD_TEST_SECRET", "client_secret: abc~def");
  LoadedConfig c = loadConfigString(yaml, "connector.yaml");
  EXPECT_TRUE(c.valid()) << all(c);
  ASSERT_EQ(c.warningCount(), 1);
  EXPECT_TRUE(contains(c.issues[0].message, "inline secret is discouraged"));
  EXPECT_FALSE(contains(all(c), "abc~def"));
}

TEST(ConfigCheck, CredentialNamesAreChecked) {
  std::string yaml = replaced(std::string(kTenant) + kRest, "O365FWD_TEST_SECRET", "1-bad");
  EXPECT_TRUE(contains(messageAt(loadConfigString(yaml, "c"), "tenants[0].client_secret_env"),
                       "is not an environment variable name"));
  yaml = replaced(yaml, "client_secret_env: 1-bad", "client_secret_credential: ../x");
  EXPECT_TRUE(
      contains(messageAt(loadConfigString(yaml, "c"), "tenants[0].client_secret_credential"),
               "LoadCredential="));
}

TEST(ConfigCheck, UrlsMustBeHttpsOrLoopbackHttp) {
  EXPECT_TRUE(
      contains(messageAt(load("    login_url: ftp://login.example.com\n"), "tenants[0].login_url"),
               "is not an https:// URL"));
  EXPECT_TRUE(contains(
      messageAt(load("    api_url: https://manage.office.com/api/v1.0\n"), "tenants[0].api_url"),
      "has a path or query"));
  EXPECT_TRUE(contains(
      messageAt(load("    api_url: https://manage.office.com?x=1\n"), "tenants[0].api_url"),
      "has a path or query"));
  EXPECT_TRUE(
      contains(messageAt(load("    api_url: http://manage.office.com\n"), "tenants[0].api_url"),
               "plain http:// to a host that is not loopback"));
  EXPECT_TRUE(contains(messageAt(load("    api_url: http://10.0.0.1:8080\n"), "tenants[0].api_url"),
                       "not loopback"));
  EXPECT_TRUE(contains(
      messageAt(load("    api_url: https://user@manage.office.com\n"), "tenants[0].api_url"),
      "user name"));
  for (const char* ok :
       {"http://127.0.0.1:8080/", "http://127.1.2.3", "http://[::1]:9000", "http://localhost:9000",
        "https://manage.office.com//", "https://sim.example.com:8443"}) {
    LoadedConfig c = load(std::string("    api_url: ") + ok + "\n");
    EXPECT_TRUE(c.valid()) << ok << "\n" << all(c);
  }
}

TEST(ConfigCheck, NamesAreCheckedAndUnique) {
  std::string yaml = std::string(kTenant) + kTenant + kRest;
  yaml.erase(yaml.find("tenants:", 5), 9);  // one list with the same tenant twice
  LoadedConfig c = loadConfigString(yaml, "connector.yaml");
  EXPECT_EQ(messageAt(c, "tenants[1].name"),
            "\"contoso\" is already the name of tenants[0]; tenant names must be unique");
  EXPECT_TRUE(contains(messageAt(c, "tenants[1].tenant_id"), "the same tenant as tenants[0]"));
  yaml = replaced(std::string(kTenant) + kRest, "name: contoso", "name: Contoso Ltd");
  EXPECT_EQ(messageAt(loadConfigString(yaml, "c"), "tenants[0].name"),
            "\"Contoso Ltd\" may use only a-z, 0-9, '_' and '-'; e.g. `contoso`");
}

TEST(ConfigCheck, SinkNamesDefaultAndMustBeUnique) {
  LoadedConfig c = load("", "",
                        "  - type: file\n    path: /b\n  - type: file\n    name: file\n"
                        "    path: /c\n");
  ASSERT_EQ(c.config.sinks.size(), 3u);
  EXPECT_EQ(c.config.sinks[1].name, "file-2");
  EXPECT_EQ(messageAt(c, "sinks[2].name"),
            "\"file\" is already the name of sinks[0]; give each sink a unique `name`");
}

TEST(ConfigCheck, ContentTypesAreKnownAndUnique) {
  LoadedConfig c = load("    content_types: [Audit.Exchange, Audit.Exchang, Audit.Exchange]\n");
  EXPECT_EQ(messageAt(c, "tenants[0].content_types[1]"),
            "\"Audit.Exchang\" is not a content type; use Audit.AzureActiveDirectory, "
            "Audit.Exchange, Audit.SharePoint, Audit.General, DLP.All (did you mean "
            "`Audit.Exchange`?)");
  EXPECT_EQ(messageAt(c, "tenants[0].content_types[2]"),
            "\"Audit.Exchange\" is listed twice; remove one");
  EXPECT_TRUE(contains(messageAt(load("    content_types: []\n"), "tenants[0].content_types"),
                       "lists no content type"));
}

TEST(ConfigCheck, RequiredTopLevelParts) {
  LoadedConfig c = loadConfigString("tenants: []\nsinks: []\n", "connector.yaml");
  EXPECT_TRUE(contains(messageAt(c, "tenants"), "no tenant configured"));
  EXPECT_TRUE(contains(messageAt(c, "sinks"), "no sink configured"));
  EXPECT_TRUE(contains(messageAt(c, "state_dir"), "is required"));
}

TEST(ConfigCheck, AMaxBlobSizeTheInflightBudgetCannotHoldIsAWarning) {
  // A blob is charged ~1.5 x its body: 512 MiB admits bodies up to 341.3 MiB.
  LoadedConfig c = load("", "collection:\n  max_blob_size: 1GiB\n  max_inflight_bytes: 512MiB\n");
  EXPECT_TRUE(c.valid()) << all(c);
  ASSERT_EQ(c.warningCount(), 1) << all(c);
  std::string m = messageAt(c, "collection.max_blob_size");
  EXPECT_TRUE(contains(m, "above 341.3 MiB are dead-lettered (exceeds_inflight_budget)")) << m;
  EXPECT_TRUE(contains(m, "raise max_inflight_bytes to at least 1.5 GiB")) << m;
  // Only the budget set, too small for the default max_blob_size: said at the budget.
  c = load("", "collection:\n  max_inflight_bytes: 256MiB\n");
  EXPECT_TRUE(contains(messageAt(c, "collection.max_inflight_bytes"), "max_blob_size 320.0 MiB"))
      << all(c);
  // A budget that holds the default 320 MiB blob, and the defaults themselves: nothing to say.
  EXPECT_EQ(load("", "collection:\n  max_inflight_bytes: 480MiB\n").warningCount(), 0);
  EXPECT_EQ(load("", "collection:\n  max_blob_size: 300MiB\n").warningCount(), 0);
  EXPECT_EQ(load("").warningCount(), 0);
}

TEST(ConfigCheck, CollectionRanges) {
  LoadedConfig c = load("",
                        "collection:\n  initial_lookback: 8d\n  overlap: 169h\n"
                        "  poll_interval: 500ms\n  max_concurrent_downloads: 0\n"
                        "  max_requests_per_minute: 100001\n  dedup_window: 30m\n"
                        "  max_blob_attempts: 0\n  max_blob_size: 0\n"
                        "  lag_warning: 3d\n  lag_error: 3d\n");
  EXPECT_EQ(messageAt(c, "collection.initial_lookback"),
            "8d is more than 7d, the API's retention; use at most 7d");
  EXPECT_TRUE(contains(messageAt(c, "collection.overlap"), "more than 7d"));
  EXPECT_EQ(messageAt(c, "collection.poll_interval"), "500ms is too short; use at least 1s");
  EXPECT_EQ(messageAt(c, "collection.max_concurrent_downloads"), "0 is out of range; use 1..256");
  EXPECT_EQ(messageAt(c, "collection.max_requests_per_minute"),
            "100001 is out of range; use 1..100000");
  EXPECT_EQ(messageAt(c, "collection.dedup_window"), "30m is too short; use at least 1h");
  EXPECT_TRUE(contains(messageAt(c, "collection.max_blob_attempts"), "out of range"));
  EXPECT_TRUE(contains(messageAt(c, "collection.max_blob_size"), "more than 0"));
  EXPECT_TRUE(contains(messageAt(c, "collection.lag_warning"), "is not below lag_error"));
  EXPECT_EQ(c.errorCount(), 9) << all(c);
}

TEST(ConfigCheck, SweepIntervalDefaultsToAnHourZeroDisablesAndItIsRangeChecked) {
  EXPECT_EQ(load("").config.collection.sweep_interval, std::chrono::hours(1));
  LoadedConfig off = load("", "collection:\n  sweep_interval: 0\n");
  EXPECT_EQ(off.errorCount(), 0) << all(off);
  EXPECT_EQ(off.config.collection.sweep_interval, std::chrono::milliseconds(0));
  LoadedConfig set = load("", "collection:\n  sweep_interval: 30m\n");
  EXPECT_EQ(set.config.collection.sweep_interval, std::chrono::minutes(30));
  EXPECT_EQ(
      messageAt(load("", "collection:\n  sweep_interval: 500ms\n"), "collection.sweep_interval"),
      "500ms is too short; use at least 1s");
  EXPECT_TRUE(contains(
      messageAt(load("", "collection:\n  sweep_interval: 8d\n"), "collection.sweep_interval"),
      "more than 7d"));
  EXPECT_FALSE(
      messageAt(load("", "collection:\n  sweep_interval: soon\n"), "collection.sweep_interval")
          .empty());
}

TEST(ConfigCheck, FileSinkNeedsAPath) {
  LoadedConfig c = load("", "", "  - type: file\n    name: second\n");
  EXPECT_TRUE(contains(messageAt(c, "sinks[1].path"), "is required"));
  EXPECT_EQ(c.issues[0].line, 10);  // the sink's line, since the key is absent
}

TEST(ConfigCheck, KafkaRules) {
  LoadedConfig c = load("", "",
                        "  - type: kafka\n    brokers: k1:9092,k2\n    topic: o365-{tenants}\n"
                        "    compression: brotli\n    properties:\n"
                        "      bootstrap.servers: x:1\n      sasl.password: hunter2\n"
                        "      nested: {a: 1}\n");
  EXPECT_TRUE(contains(messageAt(c, "sinks[1].brokers"), "\"k2\" is not host:port"));
  EXPECT_TRUE(contains(messageAt(c, "sinks[1].topic"), "\"{tenants}\" is not a topic placeholder"));
  EXPECT_TRUE(contains(messageAt(c, "sinks[1].compression"), "\"brotli\" is not a compression"));
  EXPECT_TRUE(contains(messageAt(c, "sinks[1].properties.bootstrap.servers"), "`brokers`"));
  EXPECT_TRUE(contains(messageAt(c, "sinks[1].properties.sasl.password"), "sasl.password_file"));
  EXPECT_EQ(messageAt(c, "sinks[1].properties.nested"), "expected a single value, found a mapping");
  EXPECT_FALSE(contains(all(c), "hunter2"));
  LoadedConfig missing = load("", "", "  - type: kafka\n");
  EXPECT_TRUE(contains(messageAt(missing, "sinks[1].brokers"), "is required"));
  EXPECT_TRUE(contains(messageAt(missing, "sinks[1].topic"), "is required"));
  LoadedConfig good = load("", "",
                           "  - type: kafka\n    brokers: k1:9092\n"
                           "    topic: \"{tenant}.{content_type}\"\n");
  EXPECT_TRUE(good.valid()) << all(good);
}

TEST(ConfigCheck, SyslogRules) {
  LoadedConfig c = load("", "",
                        "  - type: syslog\n    address: ::1:514\n    transport: tpc\n"
                        "    facility: 24\n    severity: loud\n    max_message_size: 100\n");
  EXPECT_TRUE(contains(messageAt(c, "sinks[1].address"), "IPv6 as [::1]:514"));
  EXPECT_EQ(
      messageAt(c, "sinks[1].transport"),
      "\"tpc\" is not a syslog transport; use one of tcp, tls, udp, relp (did you mean `tcp`?)");
  EXPECT_EQ(messageAt(c, "sinks[1].facility"), "24 is not a syslog facility; use 0..23 or a name");
  EXPECT_TRUE(contains(messageAt(c, "sinks[1].severity"), "is not a syslog severity"));
  EXPECT_TRUE(contains(messageAt(c, "sinks[1].max_message_size"), "480"));
  LoadedConfig tcp = load("", "",
                          "  - type: syslog\n    address: \"[::1]:514\"\n    transport: tcp\n"
                          "    ca_file: /ca.pem\n    facility: audit\n");
  EXPECT_TRUE(tcp.valid()) << all(tcp);
  EXPECT_EQ(tcp.config.sinks[1].syslog.facility, 13);
  EXPECT_EQ(messageAt(tcp, "sinks[1].ca_file"), "is ignored unless transport is tls");
}

TEST(ConfigCheck, NonLoopbackHealthNeedsAToken) {
  LoadedConfig c = load("", "health:\n  listen: 0.0.0.0:9465\n");
  EXPECT_TRUE(contains(messageAt(c, "health.listen"), "set health.token_file"));
  EXPECT_TRUE(load("", "health:\n  listen: 0.0.0.0:9465\n  token_file: /etc/o365fwd/t\n").valid());
  EXPECT_TRUE(load("", "health:\n  listen: \"[::1]:9465\"\n").valid());
  EXPECT_TRUE(load("", "health:\n  listen: \"\"\n").valid());
  EXPECT_TRUE(contains(messageAt(load("", "health:\n  listen: 9465\n"), "health.listen"),
                       "is not host:port"));
}

TEST(ConfigCheck, LogLevelAndFormat) {
  LoadedConfig c = load("", "log:\n  level: verbose\n  format: xml\n");
  EXPECT_TRUE(contains(messageAt(c, "log.level"), "use one of trace, debug, info, warn, error"));
  EXPECT_EQ(messageAt(c, "log.format"), "\"xml\" is not a log format; use text or json");
}

}  // namespace
}  // namespace o365fwd
