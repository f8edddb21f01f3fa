// Parsing half of the configuration loader: structure, unknown keys, types, units, placeholders,
// defaults, path resolution, file checks, the shipped example. Rules: config_check_test.cpp.
#include "core/config/config_loader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/test_paths.h"

namespace o365fwd {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = o365fwd::testing::sourceDir();

constexpr const char* kMinimal = R"(tenants:
  - name: contoso
    tenant_id: 11111111-2222-3333-4444-555555555555
    client_id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
    client_secret_env: O365FWD_TEST_SECRET
state_dir: /var/lib/o365fwd
sinks:
  - type: file
    path: /var/lib/o365fwd/out/audit.ndjson
)";

LoadedConfig load(const std::string& yaml) {
  return loadConfigString(yaml, "/etc/o365fwd/test.yaml");
}

// kMinimal with `extra` appended (top-level keys) or one line replaced.
std::string minimalWith(const std::string& from, const std::string& to) {
  std::string yaml = kMinimal;
  size_t at = yaml.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return yaml.replace(at, from.size(), to);
}

std::string all(const LoadedConfig& c) {
  std::string out;
  for (const ConfigIssue& i : c.issues) out += i.describe() + "\n";
  return out;
}

const ConfigIssue* issueAt(const LoadedConfig& c, const std::string& path) {
  for (const ConfigIssue& i : c.issues)
    if (i.path == path) return &i;
  return nullptr;
}

std::string readText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ConfigLoader, MinimalIsValidAndFilledWithDefaults) {
  LoadedConfig c = load(kMinimal);
  ASSERT_TRUE(c.valid()) << all(c);
  EXPECT_TRUE(c.issues.empty()) << all(c);
  ASSERT_EQ(c.config.tenants.size(), 1u);
  const TenantConfig& t = c.config.tenants[0];
  EXPECT_EQ(t.name, "contoso");
  EXPECT_EQ(t.cloud, Cloud::kCommercial);
  EXPECT_EQ(t.login_url, "https://login.microsoftonline.com");
  EXPECT_EQ(t.api_url, "https://manage.office.com");
  EXPECT_EQ(t.token_endpoint, TokenEndpoint::kV2);
  EXPECT_EQ(t.content_types.size(), 5u);
  EXPECT_EQ(t.publisher_id, "");
  EXPECT_EQ(t.line, 2);
  EXPECT_EQ(c.config.collection.poll_interval, std::chrono::seconds(60));
  EXPECT_EQ(c.config.collection.dedup_window, std::chrono::hours(24 * 7));
  EXPECT_EQ(c.config.collection.max_concurrent_downloads, 16);
  ASSERT_EQ(c.config.sinks.size(), 1u);
  EXPECT_EQ(c.config.sinks[0].name, "file");
  EXPECT_EQ(c.config.sinks[0].file.max_files, 10);
  EXPECT_EQ(c.config.sinks[0].line, 8);
  EXPECT_EQ(c.config.health.listen, "127.0.0.1:9465");
  EXPECT_EQ(c.config.log.level, "info");
  EXPECT_EQ(c.config.source_path, "/etc/o365fwd/test.yaml");
  EXPECT_EQ(c.lineOf("tenants[0].client_id"), 4);
  EXPECT_EQ(c.lineOf("tenants[0].cloud"), 2);  // absent: the tenant's line
}

TEST(ConfigLoader, CloudSelectsDefaultHosts) {
  LoadedConfig c =
      load(minimalWith("    client_secret_env", "    cloud: gcc-high\n    client_secret_env"));
  ASSERT_TRUE(c.valid()) << all(c);
  EXPECT_EQ(c.config.tenants[0].login_url, "https://login.microsoftonline.us");
  EXPECT_EQ(c.config.tenants[0].api_url, "https://manage.office365.us");
}

TEST(ConfigLoader, ServiceHealthIsOffByDefaultAndGraphHostFollowsTheCloud) {
  LoadedConfig c = load(kMinimal);
  ASSERT_TRUE(c.valid()) << all(c);
  EXPECT_FALSE(c.config.tenants[0].service_health);
  EXPECT_EQ(c.config.tenants[0].graph_url, "https://graph.microsoft.com");
  for (auto [cloud, host] : {std::pair{"gcc", "https://graph.microsoft.com"},
                             std::pair{"gcc-high", "https://graph.microsoft.us"},
                             std::pair{"dod", "https://dod-graph.microsoft.us"}}) {
    c = load(minimalWith("    client_secret_env", std::string("    cloud: ") + cloud +
                                                        "\n    service_health: true\n"
                                                        "    client_secret_env"));
    ASSERT_TRUE(c.valid()) << all(c);
    EXPECT_TRUE(c.config.tenants[0].service_health);
    EXPECT_EQ(c.config.tenants[0].graph_url, host) << cloud;
  }
  c = load(minimalWith("    client_secret_env",
                       "    graph_url: http://127.0.0.1:8080/\n    client_secret_env"));
  ASSERT_TRUE(c.valid()) << all(c);
  EXPECT_EQ(c.config.tenants[0].graph_url, "http://127.0.0.1:8080");
  c = load(minimalWith("    client_secret_env",
                       "    graph_url: http://graph.example.com\n    client_secret_env"));
  EXPECT_FALSE(c.valid());
  EXPECT_NE(issueAt(c, "tenants[0].graph_url"), nullptr) << all(c);
  c = load(minimalWith("    client_secret_env", "    service_health: maybe\n    client_secret_env"));
  EXPECT_FALSE(c.valid());
}

TEST(ConfigLoader, FullFixtureSetsEveryKey) {
  LoadedConfig c = loadConfigFile((kSourceDir / "tests/data/config/full.yaml").string());
  ASSERT_TRUE(c.valid()) << all(c);
  const fs::path dir = kSourceDir / "tests/data/config";
  const Config& k = c.config;
  ASSERT_EQ(k.tenants.size(), 2u);
  const TenantConfig& t = k.tenants[0];
  EXPECT_EQ(t.tenant_id, "contoso.onmicrosoft.com");
  EXPECT_EQ(t.client_secret_file, (dir / "secrets/contoso.secret").string());
  EXPECT_EQ(t.cloud, Cloud::kGccHigh);
  EXPECT_EQ(t.publisher_id, "99999999-8888-7777-6666-555555555555");
  EXPECT_EQ(t.content_types, (std::vector<std::string>{"Audit.Exchange", "DLP.All"}));
  EXPECT_EQ(t.login_url, "http://127.0.0.1:18443");  // trailing slash removed
  EXPECT_EQ(t.api_url, "http://[::1]:18444");
  EXPECT_EQ(t.token_endpoint, TokenEndpoint::kV1);
  EXPECT_EQ(k.tenants[1].certificate_file, "/etc/o365fwd/fabrikam.crt");
  EXPECT_EQ(k.tenants[1].api_url, "https://manage.protection.apps.mil");
  const CollectionConfig& col = k.collection;
  EXPECT_EQ(col.poll_interval, std::chrono::seconds(90));
  EXPECT_EQ(col.initial_lookback, std::chrono::hours(24 * 7));
  EXPECT_EQ(col.overlap, std::chrono::hours(6));
  EXPECT_EQ(col.max_concurrent_downloads, 4);
  EXPECT_EQ(col.max_requests_per_minute, 600);
  EXPECT_EQ(col.dedup_window, std::chrono::hours(48));
  EXPECT_EQ(col.request_timeout, std::chrono::minutes(2));
  EXPECT_EQ(col.max_blob_size, 256ull << 20);
  EXPECT_EQ(col.max_inflight_bytes, 128ull << 20);
  EXPECT_EQ(col.max_blob_attempts, 3);
  EXPECT_EQ(col.drain_timeout, std::chrono::seconds(30));
  EXPECT_EQ(col.lag_warning, std::chrono::hours(6));
  EXPECT_EQ(col.lag_error, std::chrono::hours(48));
  EXPECT_EQ(k.state_dir, (dir / "state").string());
  ASSERT_EQ(k.sinks.size(), 4u);
  EXPECT_EQ(k.sinks[0].name, "archive");
  EXPECT_EQ(k.sinks[0].file.path, (dir / "out/audit.ndjson").string());
  EXPECT_EQ(k.sinks[0].file.max_size, 100ull << 20);
  EXPECT_EQ(k.sinks[0].file.max_files, 3);
  const KafkaSinkConfig& kafka = k.sinks[1].kafka;
  EXPECT_EQ(k.sinks[1].name, "kafka");
  EXPECT_EQ(kafka.topic, "o365-{tenant}-{content_type}");
  EXPECT_EQ(kafka.compression, "lz4");
  EXPECT_EQ(kafka.message_timeout, std::chrono::seconds(30));
  EXPECT_EQ(kafka.max_message_size, 2000000u);
  EXPECT_FALSE(kafka.idempotence);
  EXPECT_EQ(kafka.properties.at("linger.ms"), "5");  // scalars kept as text
  EXPECT_EQ(kafka.properties.at("sasl.password_file"), (dir / "kafka.password").string());
  const SyslogSinkConfig& s1 = k.sinks[2].syslog;
  EXPECT_EQ(k.sinks[2].name, "syslog");
  EXPECT_EQ(s1.transport, SyslogTransport::kTcp);
  EXPECT_EQ(s1.format, SyslogFormat::kRfc3164);
  EXPECT_EQ(s1.facility, 19);
  EXPECT_EQ(s1.severity, 4);
  EXPECT_EQ(s1.hostname, "collector01");
  EXPECT_EQ(s1.app_name, "o365");
  EXPECT_EQ(s1.sd_id, "audit@32473");
  EXPECT_EQ(s1.max_message_size, 8192u);
  EXPECT_EQ(s1.oversize, OversizePolicy::kTruncate);
  const SyslogSinkConfig& s2 = k.sinks[3].syslog;
  EXPECT_EQ(k.sinks[3].name, "syslog-2");
  EXPECT_EQ(s2.facility, 16);
  EXPECT_EQ(s2.severity, 5);
  EXPECT_EQ(s2.ca_file, (dir / "tls/ca.pem").string());
  EXPECT_EQ(s2.key_file, (dir / "tls/client.key").string());
  EXPECT_EQ(s2.server_name, "siem.example.com");
  EXPECT_EQ(k.health.token_file, (dir / "health.token").string());
  EXPECT_EQ(k.log.level, "debug");
  EXPECT_EQ(k.log.format, "json");
}

TEST(ConfigLoader, UnknownKeyNamesLineAndSuggestion) {
  LoadedConfig c =
      loadConfigString(minimalWith("    tenant_id:", "    tenant_idd:"), "connector.yaml");
  const ConfigIssue* i = issueAt(c, "tenants[0].tenant_idd");
  ASSERT_NE(i, nullptr) << all(c);
  EXPECT_EQ(i->describe(),
            "connector.yaml:3: tenants[0].tenant_idd: unknown key; did you mean `tenant_id`?");
  EXPECT_FALSE(c.valid());
}

TEST(ConfigLoader, UnknownKeysAreErrorsAtEveryLevel) {
  std::string yaml = std::string(kMinimal) +
                     "colection: {}\n"
                     "collection:\n  poll_intervall: 60s\n"
                     "health:\n  listne: 127.0.0.1:1\n"
                     "log:\n  levle: info\n";
  yaml = yaml.replace(yaml.find("    path:"), 9, "    max_file: 3\n    path:");
  LoadedConfig c = load(yaml);
  EXPECT_EQ(c.errorCount(), 5) << all(c);
  for (auto [path, hint] : {std::pair{"colection", "collection"},
                            {"collection.poll_intervall", "poll_interval"},
                            {"health.listne", "listen"},
                            {"log.levle", "level"},
                            {"sinks[0].max_file", "max_files"}}) {
    const ConfigIssue* i = issueAt(c, path);
    ASSERT_NE(i, nullptr) << path << "\n" << all(c);
    EXPECT_EQ(i->message, std::string("unknown key; did you mean `") + hint + "`?");
  }
}

TEST(ConfigLoader, UnknownKeyWithoutNearMatchListsTheKeys) {
  LoadedConfig c = load(std::string(kMinimal) + "log:\n  verbosity: 3\n");
  const ConfigIssue* i = issueAt(c, "log.verbosity");
  ASSERT_NE(i, nullptr) << all(c);
  EXPECT_EQ(i->message, "unknown key; log takes: level, format");
  EXPECT_EQ(i->line, 11);
}

TEST(ConfigLoader, KeyOfAnotherSinkTypeIsNamedAsSuch) {
  LoadedConfig c = load(minimalWith("  - type: file\n    path: /var/lib/o365fwd/out/audit.ndjson",
                                    "  - type: kafka\n    brokers: k:9092\n    topic: t\n"
                                    "    address: x:1"));
  const ConfigIssue* i = issueAt(c, "sinks[0].address");
  ASSERT_NE(i, nullptr) << all(c);
  EXPECT_NE(i->message.find("unknown key for a kafka sink (it belongs to another sink type)"),
            std::string::npos)
      << i->message;
  EXPECT_EQ(c.errorCount(), 1) << all(c);
}

TEST(ConfigLoader, SinkTypeUnknownOrMissing) {
  LoadedConfig c = load(minimalWith("  - type: file\n    path: /var/lib/o365fwd/out/audit.ndjson",
                                    "  - type: kafak\n    brokers: k:9092\n  - path: /x"));
  const ConfigIssue* bad = issueAt(c, "sinks[0].type");
  ASSERT_NE(bad, nullptr) << all(c);
  EXPECT_EQ(bad->message,
            "\"kafak\" is not a sink type; use one of file, kafka, syslog (did you mean `kafka`?)");
  const ConfigIssue* missing = issueAt(c, "sinks[1]");
  ASSERT_NE(missing, nullptr) << all(c);
  EXPECT_EQ(missing->message, "no `type`; add `type: file`, `type: kafka` or `type: syslog`");
  EXPECT_EQ(missing->line, 10);
  EXPECT_EQ(issueAt(c, "sinks"), nullptr) << "no extra 'no sink' error: " << all(c);
}

TEST(ConfigLoader, BadDurationNamesTheForm) {
  LoadedConfig c = load(std::string(kMinimal) + "collection:\n  poll_interval: 60\n");
  const ConfigIssue* i = issueAt(c, "collection.poll_interval");
  ASSERT_NE(i, nullptr) << all(c);
  EXPECT_EQ(i->message,
            "\"60\" is not a duration; write a number and a unit: 500ms, 90s, 15m, 12h or 7d");
  EXPECT_EQ(i->line, 11);
}

TEST(ConfigLoader, BadSizeNamesTheForm) {
  LoadedConfig c = load(minimalWith("    path:", "    max_size: 1 gig\n    path:"));
  const ConfigIssue* i = issueAt(c, "sinks[0].max_size");
  ASSERT_NE(i, nullptr) << all(c);
  EXPECT_EQ(i->message,
            "\"1 gig\" is not a size; write a number and a unit: 64KiB, 512MiB, 1GiB "
            "(or KB, MB, GB; no unit means bytes)");
}

TEST(ConfigLoader, WrongTypesAreReported) {
  LoadedConfig c = load(std::string(kMinimal) +
                        "collection:\n  max_concurrent_downloads: many\n  lag_error: [1d]\n");
  ASSERT_NE(issueAt(c, "collection.max_concurrent_downloads"), nullptr) << all(c);
  EXPECT_EQ(issueAt(c, "collection.max_concurrent_downloads")->message,
            "\"many\" is not a whole number");
  EXPECT_EQ(issueAt(c, "collection.lag_error")->message, "expected a single value, found a list");
}

TEST(ConfigLoader, YamlSyntaxErrorHasLineAndColumn) {
  LoadedConfig c = loadConfigFile((kSourceDir / "tests/data/config/syntax_error.yaml").string());
  ASSERT_EQ(c.issues.size(), 1u) << all(c);
  EXPECT_GT(c.issues[0].line, 0);
  EXPECT_NE(c.issues[0].message.find("YAML syntax error at column"), std::string::npos)
      << c.issues[0].message;
  LoadedConfig tabs = load("tenants:\n\t- name: x\n");
  ASSERT_FALSE(tabs.valid());
  EXPECT_EQ(tabs.issues[0].line, 2) << all(tabs);
}

TEST(ConfigLoader, EmptyAndNonMappingDocuments) {
  EXPECT_NE(load("").issues.at(0).message.find("the configuration is empty"), std::string::npos);
  EXPECT_NE(load("# only a comment\n").issues.at(0).message.find("empty"), std::string::npos);
  EXPECT_NE(load("- a\n- b\n").issues.at(0).message.find("expected a mapping"), std::string::npos);
}

TEST(ConfigLoader, AliasExpansionIsBounded) {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i)
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + "*a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
            std::to_string(i - 1) + "]\n";
  LoadedConfig c = load(yaml);  // 5^8 * 10 values once expanded
  ASSERT_EQ(c.issues.size(), 1u) << all(c);
  EXPECT_NE(c.issues[0].message.find("too large or too deeply nested"), std::string::npos);
  std::string deep = "tenants: " + std::string(200, '[') + std::string(200, ']') + "\n";
  EXPECT_FALSE(load(deep).valid());
}

TEST(ConfigLoader, AnchorsAndAliasesWork) {
  LoadedConfig c = load(minimalWith("    client_id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                                    "    client_id: &app aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n"
                                    "    publisher_id: *app"));
  ASSERT_TRUE(c.valid()) << all(c);
  EXPECT_EQ(c.config.tenants[0].publisher_id, "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
}

TEST(ConfigLoader, DuplicateKeyIsAnError) {
  LoadedConfig c = load(std::string(kMinimal) + "state_dir: /tmp/other\n");
  const ConfigIssue* i = issueAt(c, "state_dir");
  ASSERT_NE(i, nullptr) << all(c);
  EXPECT_EQ(i->message, "duplicate key (first at line 6); keep one");
  EXPECT_EQ(i->line, 10);
}

TEST(ConfigLoader, PlaceholdersAreNamed) {
  LoadedConfig c = load(minimalWith("11111111-2222-3333-4444-555555555555", "<your-tenant-guid>"));
  ASSERT_EQ(c.errorCount(), 1) << all(c);
  EXPECT_EQ(c.issues[0].path, "tenants[0].tenant_id");
  EXPECT_EQ(c.issues[0].message,
            "still holds the placeholder <your-tenant-guid>; replace it with the Directory "
            "(tenant) ID from the app registration's Overview page");
}

TEST(ConfigLoader, RelativePathsResolveAgainstTheFileDirectory) {
  std::string yaml =
      minimalWith("client_secret_env: O365FWD_TEST_SECRET", "client_secret_file: contoso.secret");
  yaml = yaml.replace(yaml.find("/var/lib/o365fwd\n"), 17, "../state\n");
  yaml = yaml.replace(yaml.find("/var/lib/o365fwd/out"), 20, "./out");
  LoadedConfig c = loadConfigString(yaml, "/etc/o365fwd/conf.d/connector.yaml");
  ASSERT_TRUE(c.valid()) << all(c);
  EXPECT_EQ(*c.config.tenants[0].client_secret_file, "/etc/o365fwd/conf.d/contoso.secret");
  EXPECT_EQ(c.config.state_dir, "/etc/o365fwd/state");
  EXPECT_EQ(c.config.sinks[0].file.path, "/etc/o365fwd/conf.d/out/audit.ndjson");
}

TEST(ConfigLoader, MultipleErrorsAreReportedTogetherInLineOrder) {
  LoadedConfig c = loadConfigFile((kSourceDir / "tests/data/config/many_errors.yaml").string());
  std::vector<std::string> paths;
  for (const ConfigIssue& i : c.issues) paths.push_back(i.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"tenants[0].name", "tenants[0].tenant_id",
                                             "tenants[0].clodu", "collection.poll_interval",
                                             "sinks[0].path", "sinks[1].type", "health.listen"}))
      << all(c);
  for (size_t i = 1; i < c.issues.size(); ++i) EXPECT_LE(c.issues[i - 1].line, c.issues[i].line);
}

TEST(ConfigLoader, ShippedExampleFailsOnlyOnPlaceholders) {
  const fs::path example = kSourceDir / "conf/connector.yaml";
  LoadedConfig c = loadConfigFile(example.string());
  EXPECT_FALSE(c.valid());
  EXPECT_GE(c.errorCount(), 2);
  for (const ConfigIssue& i : c.issues) {
    EXPECT_FALSE(i.warning) << i.describe();
    EXPECT_NE(i.message.find("still holds the placeholder <"), std::string::npos) << i.describe();
  }
  std::string text = readText(example);
  for (auto [from, to] :
       {std::pair{"<your-tenant-guid>", "11111111-2222-3333-4444-555555555555"},
        {"<your-application-client-id>", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}}) {
    for (size_t at; (at = text.find(from)) != std::string::npos;)
      text.replace(at, strlen(from), to);
  }
  LoadedConfig filled = loadConfigString(text, example.string());
  EXPECT_TRUE(filled.valid()) << all(filled);
  EXPECT_EQ(filled.warningCount(), 0) << all(filled);
}

TEST(ConfigLoader, ShippedExampleMentionsEveryKey) {
  std::string text = readText(kSourceDir / "conf/connector.yaml");
  for (const char* key : {"tenants:",
                          "name:",
                          "tenant_id:",
                          "client_id:",
                          "client_secret_file:",
                          "client_secret_env:",
                          "client_secret_credential:",
                          "client_secret:",
                          "certificate_file:",
                          "private_key_file:",
                          "cloud:",
                          "publisher_id:",
                          "content_types:",
                          "login_url:",
                          "api_url:",
                          "token_endpoint:",
                          "collection:",
                          "poll_interval:",
                          "initial_lookback:",
                          "overlap:",
                          "max_concurrent_downloads:",
                          "max_requests_per_minute:",
                          "dedup_window:",
                          "request_timeout:",
                          "max_blob_size:",
                          "max_inflight_bytes:",
                          "max_blob_attempts:",
                          "drain_timeout:",
                          "lag_warning:",
                          "lag_error:",
                          "state_dir:",
                          "sinks:",
                          "type: file",
                          "type: kafka",
                          "type: syslog",
                          "path:",
                          "max_size:",
                          "max_files:",
                          "brokers:",
                          "topic:",
                          "compression:",
                          "message_timeout:",
                          "max_message_size:",
                          "idempotence:",
                          "properties:",
                          "address:",
                          "transport:",
                          "format:",
                          "facility:",
                          "severity:",
                          "hostname:",
                          "app_name:",
                          "sd_id:",
                          "ca_file:",
                          "cert_file:",
                          "key_file:",
                          "server_name:",
                          "oversize:",
                          "health:",
                          "listen:",
                          "token_file:",
                          "log:",
                          "level:"})
    EXPECT_NE(text.find(key), std::string::npos) << key;
}

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/o365fwd-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& text, mode_t mode) {
    fs::path p = dir_ / "connector.yaml";
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
    return p.string();
  }
  fs::path dir_;
};

TEST_F(ConfigFile, MissingFileSaysWhatToDo) {
  LoadedConfig c = loadConfigFile((dir_ / "absent.yaml").string());
  ASSERT_EQ(c.issues.size(), 1u);
  EXPECT_NE(c.issues[0].message.find("does not exist"), std::string::npos);
  EXPECT_NE(c.issues[0].message.find("-c FILE"), std::string::npos);
}

TEST_F(ConfigFile, GroupWritableFileIsAnError) {
  LoadedConfig c = loadConfigFile(write(kMinimal, 0664));
  ASSERT_FALSE(c.valid());
  EXPECT_NE(c.issues[0].message.find("writable by group or others"), std::string::npos) << all(c);
  EXPECT_TRUE(loadConfigFile(write(kMinimal, 0640)).valid());
}

TEST_F(ConfigFile, InlineSecretInWorldReadableFileIsAnError) {
  std::string yaml = minimalWith("client_secret_env: O365FWD_TEST_SECRET", "client_secret: abc");
  LoadedConfig open = loadConfigFile(write(yaml, 0644));
  const ConfigIssue* i = nullptr;
  for (const ConfigIssue& issue : open.issues)
    if (!issue.warning && issue.path == "tenants[0].client_secret") i = &issue;
  ASSERT_NE(i, nullptr) << all(open);
  EXPECT_NE(i->message.find("world-readable"), std::string::npos);
  EXPECT_EQ(i->line, 5);
  LoadedConfig closed = loadConfigFile(write(yaml, 0600));
  EXPECT_TRUE(closed.valid()) << all(closed);
  EXPECT_EQ(closed.warningCount(), 1);
}

TEST(ConfigLoader, DefaultConfigPathHonoursTheEnvironment) {
  ::unsetenv("O365FWD_CONFIG");
  EXPECT_EQ(defaultConfigPath(), "/etc/o365fwd/connector.yaml");
  ::setenv("O365FWD_CONFIG", "/opt/o365fwd/c.yaml", 1);
  EXPECT_EQ(defaultConfigPath(), "/opt/o365fwd/c.yaml");
  ::setenv("O365FWD_CONFIG", "", 1);
  EXPECT_EQ(defaultConfigPath(), "/etc/o365fwd/connector.yaml");
  ::unsetenv("O365FWD_CONFIG");
}

TEST(ConfigLoader, EditDistance) {
  EXPECT_EQ(editDistance("", ""), 0);
  EXPECT_EQ(editDistance("tenant_id", "tenant_idd"), 1);
  EXPECT_EQ(editDistance("kafak", "kafka"), 2);
  EXPECT_EQ(editDistance("abc", ""), 3);
  EXPECT_EQ(editDistance("listen", "level"), 4);
}

TEST(ConfigIssue, DescribeLeavesOutUnknownParts) {
  EXPECT_EQ((ConfigIssue{"c.yaml", "log.level", 3, "bad", false}).describe(),
            "c.yaml:3: log.level: bad");
  EXPECT_EQ((ConfigIssue{"c.yaml", "", 0, "bad", false}).describe(), "c.yaml: bad");
  EXPECT_EQ((ConfigIssue{"c.yaml", "x", 2, "hm", true}).describe(), "c.yaml:2: x: warning: hm");
}

}  // namespace
}  // namespace o365fwd

namespace o365fwd {
namespace {

// Found by fuzz/config_loader_fuzzer.cpp: yaml-cpp 0.7's LoadAll() never ends on a lone ",".
TEST(ConfigLoaderFuzzFindings, ALoneCommaIsAnErrorNotAnEndlessAllocation) {
  LoadedConfig c = loadConfigString(",", "connector.yaml");
  EXPECT_FALSE(c.valid());
  ASSERT_FALSE(c.issues.empty());
}

TEST(ConfigLoaderFuzzFindings, IssuesAreInLineOrderOnEveryPath) {
  LoadedConfig c = loadConfigString("x\n---\ny\n", "connector.yaml");
  ASSERT_GE(c.issues.size(), 2u);
  for (std::size_t i = 1; i < c.issues.size(); ++i) {
    int a = c.issues[i - 1].line == 0 ? INT32_MAX : c.issues[i - 1].line;
    int b = c.issues[i].line == 0 ? INT32_MAX : c.issues[i].line;
    EXPECT_LE(a, b) << c.issues[i - 1].describe() << " / " << c.issues[i].describe();
  }
  bool second_document = false;
  for (const ConfigIssue& issue : c.issues)
    second_document =
        second_document || issue.message.find("more than one YAML document") != std::string::npos;
  EXPECT_TRUE(second_document);
}

TEST(ConfigLoader, MetricsDetailIsStreamTenantOrTotal) {
  EXPECT_EQ(load(kMinimal).config.health.metrics_detail, MetricsDetail::kStream);
  for (auto [text, detail] :
       {std::pair{"stream", MetricsDetail::kStream}, std::pair{"tenant", MetricsDetail::kTenant},
        std::pair{"total", MetricsDetail::kTotal}}) {
    LoadedConfig c = load(std::string(kMinimal) + "health:\n  metrics_detail: " + text + "\n");
    ASSERT_TRUE(c.valid()) << all(c);
    EXPECT_EQ(c.config.health.metrics_detail, detail) << text;
    EXPECT_STREQ(toString(detail), text);
  }
  LoadedConfig bad = load(std::string(kMinimal) + "health:\n  metrics_detail: series\n");
  EXPECT_FALSE(bad.valid());
  const ConfigIssue* issue = issueAt(bad, "health.metrics_detail");
  ASSERT_NE(issue, nullptr) << all(bad);
  EXPECT_NE(issue->message.find("tenant"), std::string::npos) << issue->message;
}

}  // namespace
}  // namespace o365fwd
