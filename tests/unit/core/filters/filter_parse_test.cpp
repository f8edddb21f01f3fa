// `filters:` in the configuration: global and per tenant (the tenant's replaces the global one),
// normalisation (domains lower-case, names to numbers), errors naming the key, warnings with
// "did you mean" for unknown Operation/Workload values.
#include "core/filters/filter_parse.h"

#include <gtest/gtest.h>

#include "core/config/config_loader.h"

namespace o365fwd {
namespace {

constexpr const char* kBase = R"(tenants:
  - name: contoso
    tenant_id: 11111111-2222-3333-4444-555555555555
    client_id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
    client_secret_env: O365FWD_TEST_SECRET
  - name: fabrikam
    tenant_id: 11111111-2222-3333-4444-666666666666
    client_id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
    client_secret_env: O365FWD_TEST_SECRET
    filters:
      domains: [Fabrikam.com]
state_dir: /var/lib/o365fwd
sinks:
  - type: file
    path: /var/lib/o365fwd/out/audit.ndjson
)";

LoadedConfig load(const std::string& extra) {
  return loadConfigString(std::string(kBase) + extra, "/etc/o365fwd/test.yaml");
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

TEST(FilterParseTest, DefaultIsAllAndTenantFiltersReplaceTheGlobalOnes) {
  LoadedConfig none = load("");
  ASSERT_TRUE(none.valid()) << all(none);
  EXPECT_TRUE(none.config.filters.admitsAll());
  EXPECT_TRUE(none.config.tenants[0].filters.admitsAll());
  EXPECT_FALSE(none.config.tenants[0].own_filters);
  EXPECT_EQ(none.config.tenants[1].filters.domains, std::vector<std::string>{"fabrikam.com"});

  LoadedConfig global = load(R"(filters:
  domains: ["*"]
  exclude:
    Operation: [FileAccessed]
    RecordType: [AzureActiveDirectoryStsLogon, 50]
)");
  ASSERT_TRUE(global.valid()) << all(global);
  const TenantConfig& contoso = global.config.tenants[0];
  EXPECT_EQ(contoso.filters.exclude.operation, std::vector<std::string>{"FileAccessed"});
  EXPECT_EQ(contoso.filters.exclude.record_type, (std::vector<int>{15, 50}));
  // fabrikam has its own filters: the global exclude does not apply to it (replaced whole).
  const TenantConfig& fabrikam = global.config.tenants[1];
  EXPECT_TRUE(fabrikam.own_filters);
  EXPECT_TRUE(fabrikam.filters.exclude.empty());
  EXPECT_EQ(fabrikam.filters.domains, std::vector<std::string>{"fabrikam.com"});
}

TEST(FilterParseTest, NamesAndNumbersForRecordTypeAndUserType) {
  LoadedConfig c = load(R"(filters:
  include:
    RecordType: [SharePointFileOperation, "15", viva engage, Yammer]
    UserType: [Regular, 2, dcadmin]
)");
  ASSERT_TRUE(c.valid()) << all(c);
  EXPECT_EQ(c.config.filters.include.record_type, (std::vector<int>{6, 15, 22}));
  EXPECT_EQ(c.config.filters.include.user_type, (std::vector<int>{0, 2, 3}));
}

TEST(FilterParseTest, UnknownRecordTypeOrUserTypeIsAnErrorNamingTheKey) {
  LoadedConfig c = load(R"(filters:
  exclude:
    RecordType: [SharePointFileOperatoin]
    UserType: [Robot]
)");
  EXPECT_FALSE(c.valid());
  const ConfigIssue* rt = issueAt(c, "filters.exclude.RecordType[0]");
  ASSERT_NE(rt, nullptr) << all(c);
  EXPECT_FALSE(rt->warning);
  EXPECT_NE(rt->message.find("did you mean `SharePointFileOperation`?"), std::string::npos)
      << rt->message;
  const ConfigIssue* ut = issueAt(c, "filters.exclude.UserType[0]");
  ASSERT_NE(ut, nullptr) << all(c);
  EXPECT_NE(ut->message.find("not a UserType name or number"), std::string::npos) << ut->message;
  EXPECT_GT(ut->line, 0);
}

TEST(FilterParseTest, UnknownOperationAndWorkloadAreWarningsWithDidYouMean) {
  LoadedConfig c = load(R"(filters:
  exclude:
    Operation: [FileAcessed, MyBrandNewOperation]
    Workload: [exchange, SharePont]
)");
  EXPECT_TRUE(c.valid()) << all(c);  // warnings only
  const ConfigIssue* op = issueAt(c, "filters.exclude.Operation[0]");
  ASSERT_NE(op, nullptr) << all(c);
  EXPECT_TRUE(op->warning);
  EXPECT_NE(op->message.find("did you mean `FileAccessed`?"), std::string::npos) << op->message;
  const ConfigIssue* fresh = issueAt(c, "filters.exclude.Operation[1]");
  ASSERT_NE(fresh, nullptr);
  EXPECT_TRUE(fresh->warning);
  EXPECT_EQ(fresh->message.find("did you mean"), std::string::npos) << fresh->message;
  EXPECT_EQ(issueAt(c, "filters.exclude.Workload[0]"), nullptr);  // case does not matter
  const ConfigIssue* wl = issueAt(c, "filters.exclude.Workload[1]");
  ASSERT_NE(wl, nullptr);
  EXPECT_NE(wl->message.find("did you mean `SharePoint`?"), std::string::npos) << wl->message;
  // Unknown values are still used as written.
  EXPECT_EQ(c.config.filters.exclude.operation.size(), 2u);
}

TEST(FilterParseTest, BadShapesAndDomainsAreErrors) {
  struct Case {
    std::string yaml, path, text;
  };
  const Case cases[] = {
      {"filters:\n  domains: []\n", "filters.domains", "lists no domain"},
      {"filters:\n  domains: contoso.com\n", "filters.domains", "expected a list"},
      {"filters:\n  domains: [\"@contoso.com\"]\n", "filters.domains[0]", "without `@`"},
      {"filters:\n  domains: [\"*.contoso.com\"]\n", "filters.domains[0]", "only `*` alone"},
      {"filters:\n  domains: [\"contoso com\"]\n", "filters.domains[0]", "not a domain name"},
      {"filters:\n  include:\n    Operations: [FileAccessed]\n", "filters.include.Operations",
       "did you mean `Operation`?"},
      {"filters:\n  exclude:\n    Operation: FileAccessed\n", "filters.exclude.Operation",
       "expected a list"},
      {"filters:\n  exclude:\n    Operation: [\"\"]\n", "filters.exclude.Operation[0]",
       "non-empty"},
      {"filters:\n  domain: [contoso.com]\n", "filters.domain", "did you mean `domains`?"},
      {"filters: [contoso.com]\n", "filters", "mapping"},
  };
  for (const Case& k : cases) {
    LoadedConfig c = load(k.yaml);
    EXPECT_FALSE(c.valid()) << k.yaml;
    const ConfigIssue* i = issueAt(c, k.path);
    ASSERT_NE(i, nullptr) << k.yaml << all(c);
    EXPECT_NE(i->message.find(k.text), std::string::npos) << k.yaml << i->message;
  }
}

TEST(FilterParseTest, TenantFiltersAreReportedUnderTheTenantPath) {
  std::string yaml = kBase;
  yaml.replace(yaml.find("[Fabrikam.com]"), 14,
               "[Fabrikam.com]\n      include:\n        UserType: [Nobody]");
  LoadedConfig c = loadConfigString(yaml, "/etc/o365fwd/test.yaml");
  EXPECT_NE(issueAt(c, "tenants[1].filters.include.UserType[0]"), nullptr) << all(c);
}

TEST(FilterParseTest, SuggestionIgnoresCase) {
  EXPECT_EQ(suggestionIgnoringCase("fileaccesed", {"FileAccessed", "FileDeleted"}),
            "did you mean `FileAccessed`?");
  EXPECT_EQ(suggestionIgnoringCase("Zzzzzzzz", {"FileAccessed"}), "");
}

}  // namespace
}  // namespace o365fwd
