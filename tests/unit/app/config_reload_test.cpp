#include "app/config_reload.h"

#include <gtest/gtest.h>

namespace o365fwd {
namespace {

Config base() {
  Config c;
  TenantConfig t;
  t.name = "contoso";
  t.tenant_id = "6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14";
  t.client_id = "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
  t.client_secret_file = "/etc/o365fwd/contoso.secret";
  t.content_types = {"Audit.Exchange", "DLP.All"};
  t.line = 3;
  c.tenants = {t};
  SinkConfig s;
  s.name = "siem";
  s.type = SinkType::kSyslog;
  s.syslog.address = "siem.example.com:6514";
  c.sinks = {s};
  return c;
}

// Record filters: a tenant whose effective filters changed is restarted by the fleet on SIGHUP.
TEST(SameTenantSettings, AChangeOfFiltersChangesTheTenant) {
  Config running = base(), reloaded = base();
  EXPECT_TRUE(sameTenantSettings(running.tenants[0], reloaded.tenants[0]));
  reloaded.tenants[0].filters.domains = {"contoso.com"};
  EXPECT_FALSE(sameTenantSettings(running.tenants[0], reloaded.tenants[0]));
  reloaded = base();
  reloaded.tenants[0].filters.exclude.user_type = {4};
  EXPECT_FALSE(sameTenantSettings(running.tenants[0], reloaded.tenants[0]));
}

TEST(ChangesNeedingRestart, NothingWhenOnlyReloadableThingsChanged) {
  Config running = base(), reloaded = base();
  reloaded.log.level = "debug";  // applied by the reload
  reloaded.tenants[0].line = 9;  // a comment added above the tenant
  reloaded.tenants[0].client_secret = Secret(std::string("inline-secret-value"));
  EXPECT_TRUE(changesNeedingRestart(running, reloaded).empty());
}

TEST(ChangesNeedingRestart, NamesEachChangedSection) {
  Config running = base(), reloaded = base();
  reloaded.tenants[0].content_types.push_back("Audit.General");
  reloaded.tenants[0].client_id = "9a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d";
  TenantConfig added = reloaded.tenants[0];
  added.name = "fabrikam";
  reloaded.tenants.push_back(added);
  reloaded.collection.poll_interval = std::chrono::seconds(30);
  reloaded.sinks[0].syslog.transport = SyslogTransport::kRelp;
  reloaded.health.listen = "127.0.0.1:9466";
  reloaded.state_dir = "/srv/o365fwd";
  reloaded.log.format = "json";
  std::vector<std::string> expected{"tenants[contoso]",
                                    "tenants[contoso].content_types",
                                    "tenants[fabrikam] (added)",
                                    "collection",
                                    "state_dir",
                                    "sinks",
                                    "health",
                                    "log.format"};
  EXPECT_EQ(changesNeedingRestart(running, reloaded), expected);
}

TEST(ChangesNeedingRestart, ClusterBlockAddedOrChanged) {
  Config running = base(), reloaded = base();
  reloaded.cluster.enabled = true;
  reloaded.cluster.kafka.brokers = "kafka1:9092";
  reloaded.cluster.kafka.group = "o365fwd-prod";
  EXPECT_EQ(changesNeedingRestart(running, reloaded), std::vector<std::string>{"cluster"});
  Config changed = reloaded;
  changed.cluster.kafka.partitions = 32;
  EXPECT_EQ(changesNeedingRestart(reloaded, changed), std::vector<std::string>{"cluster"});
  EXPECT_TRUE(changesNeedingRestart(reloaded, reloaded).empty());
}

TEST(ChangesNeedingRestart, RemovedTenantAndSink) {
  Config running = base(), reloaded = base();
  reloaded.tenants.clear();
  reloaded.sinks.clear();
  std::vector<std::string> expected{"tenants[contoso] (removed)", "sinks"};
  EXPECT_EQ(changesNeedingRestart(running, reloaded), expected);
}

}  // namespace
}  // namespace o365fwd
