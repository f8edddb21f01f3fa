// RecordFilter: each rule (domains, include and exclude per field), the `*` semantics, names vs
// numbers, case. The same rules on the public samples: tests/unit/pipeline/record_filtering_test.
#include "core/filters/record_filter.h"

#include <gtest/gtest.h>

#include "core/filters/audit_names.h"

namespace o365fwd {
namespace {

FilterFields user(std::string_view user_id) {
  return FilterFields{user_id, "FileAccessed", "SharePoint", "6", "0"};
}

FilterConfig withDomains(std::vector<std::string> domains) {
  FilterConfig f;
  f.domains = std::move(domains);
  return f;
}

TEST(RecordFilterTest, DefaultAdmitsEverythingIncludingAccountsWithoutAddress) {
  RecordFilter f{FilterConfig{}};
  EXPECT_TRUE(f.admitsAll());
  EXPECT_EQ(makeRecordFilter(FilterConfig{}), nullptr);
  EXPECT_TRUE(f.admits(user("alice@contoso.com")));
  EXPECT_TRUE(f.admits(user("NT AUTHORITY\\SYSTEM")));
  EXPECT_TRUE(f.admits(user("")));
}

TEST(RecordFilterTest, ListedDomainsOnlyAndNoAccountsWithoutAddress) {
  RecordFilter f{withDomains({"contoso.com", "fabrikam.com"})};
  EXPECT_FALSE(f.admitsAll());
  EXPECT_TRUE(f.admits(user("alice@contoso.com")));
  EXPECT_TRUE(f.admits(user("bob@fabrikam.com")));
  EXPECT_FALSE(f.admits(user("eve@example.org")));
  EXPECT_FALSE(f.admits(user("mallory@sub.contoso.com")));  // exact domains, no subdomains
  EXPECT_FALSE(f.admits(user("alice@contoso.com.evil.org")));
  EXPECT_FALSE(f.admits(user("NT AUTHORITY\\SYSTEM")));
  EXPECT_FALSE(f.admits(user("DlpAgent")));
  EXPECT_FALSE(f.admits(user("")));  // no UserId at all
  EXPECT_FALSE(f.admits(user("alice@")));
}

TEST(RecordFilterTest, DomainsCompareWithoutCaseOnTheLastAt) {
  RecordFilter f{withDomains({"contoso.com"})};
  EXPECT_TRUE(f.admits(user("Alice@CONTOSO.com")));
  EXPECT_TRUE(f.admits(user("odd@name@Contoso.Com")));
  RecordFilter upper{withDomains({"CONTOSO.COM"})};  // the parser lowers; the filter copes too
  EXPECT_TRUE(upper.admits(user("alice@contoso.com")));
}

TEST(RecordFilterTest, StarTogetherWithDomainsMeansAll) {
  RecordFilter f{withDomains({"*", "contoso.com"})};
  EXPECT_TRUE(f.admitsAll());
  EXPECT_TRUE(f.admits(user("eve@example.org")));
  EXPECT_TRUE(f.admits(user("S-1-5-18")));
}

TEST(RecordFilterTest, IncludeOperationKeepsOnlyListedIgnoringCase) {
  FilterConfig c;
  c.include.operation = {"FileAccessed", "mailitemsaccessed"};
  RecordFilter f{c};
  EXPECT_TRUE(f.admits({"a@b.c", "FileAccessed", "SharePoint", "6", "0"}));
  EXPECT_TRUE(f.admits({"a@b.c", "fileaccessed", "SharePoint", "6", "0"}));
  EXPECT_TRUE(f.admits({"a@b.c", "MailItemsAccessed", "Exchange", "50", "0"}));
  EXPECT_FALSE(f.admits({"a@b.c", "FileDeleted", "SharePoint", "6", "0"}));
  EXPECT_FALSE(f.admits({"a@b.c", "", "SharePoint", "6", "0"}));  // no Operation: not included
}

TEST(RecordFilterTest, ExcludeWorkloadDropsListed) {
  FilterConfig c;
  c.exclude.workload = {"OneDrive"};
  RecordFilter f{c};
  EXPECT_FALSE(f.admits({"a@b.c", "FileAccessed", "OneDrive", "6", "0"}));
  EXPECT_FALSE(f.admits({"a@b.c", "FileAccessed", "onedrive", "6", "0"}));
  EXPECT_TRUE(f.admits({"a@b.c", "FileAccessed", "SharePoint", "6", "0"}));
  EXPECT_TRUE(f.admits({"a@b.c", "FileAccessed", "", "6", "0"}));  // no Workload: not excluded
}

TEST(RecordFilterTest, RecordTypeMatchesNumbersNumericStringsAndNames) {
  FilterConfig c;
  c.include.record_type = {6, 22};
  RecordFilter f{c};
  EXPECT_TRUE(f.admits({"a@b.c", "x", "y", "6", ""}));  // a JSON number, as text
  EXPECT_TRUE(f.admits({"a@b.c", "x", "y", "22", ""}));
  EXPECT_TRUE(f.admits({"a@b.c", "x", "y", "Yammer", ""}));  // a string name in the record
  EXPECT_TRUE(f.admits({"a@b.c", "x", "y", "SharePointFileOperation", ""}));
  EXPECT_FALSE(f.admits({"a@b.c", "x", "y", "15", ""}));
  EXPECT_FALSE(f.admits({"a@b.c", "x", "y", "", ""}));
  EXPECT_FALSE(f.admits({"a@b.c", "x", "y", "6.0", ""}));  // not an integer, not a name
}

TEST(RecordFilterTest, UserTypeExcludeByNumber) {
  FilterConfig c;
  c.exclude.user_type = {4, 5};  // System, Application
  RecordFilter f{c};
  EXPECT_FALSE(f.admits({"a@b.c", "x", "y", "6", "4"}));
  EXPECT_FALSE(f.admits({"a@b.c", "x", "y", "6", "Application"}));
  EXPECT_TRUE(f.admits({"a@b.c", "x", "y", "6", "0"}));
  EXPECT_TRUE(f.admits({"a@b.c", "x", "y", "6", ""}));
}

TEST(RecordFilterTest, AllRulesTogether) {
  FilterConfig c;
  c.domains = {"contoso.com"};
  c.include.workload = {"Exchange", "SharePoint"};
  c.exclude.operation = {"FileAccessed"};
  RecordFilter f{c};
  EXPECT_TRUE(f.admits({"a@contoso.com", "FileDeleted", "SharePoint", "6", "0"}));
  EXPECT_FALSE(f.admits({"a@contoso.com", "FileAccessed", "SharePoint", "6", "0"}));
  EXPECT_FALSE(f.admits({"a@contoso.com", "MemberAdded", "MicrosoftTeams", "25", "0"}));
  EXPECT_FALSE(f.admits({"a@fabrikam.com", "FileDeleted", "SharePoint", "6", "0"}));
}

TEST(AuditNamesTest, RecordTypeTableFromTheSchema) {
  EXPECT_EQ(recordTypeNumber("ExchangeAdmin"), 1);
  EXPECT_EQ(recordTypeNumber("azureactivedirectorystslogon"), 15);
  EXPECT_EQ(recordTypeNumber("Viva Engage"), 22);
  EXPECT_EQ(recordTypeNumber("VivaEngage"), 22);
  EXPECT_EQ(recordTypeNumber("Yammer"), 22);
  EXPECT_EQ(recordTypeNumber("CopilotInteraction"), 261);
  EXPECT_EQ(recordTypeNumber("VivaGlintAgenticCampaign"), 463);
  EXPECT_EQ(recordTypeNumber("NoSuchType"), std::nullopt);
  EXPECT_EQ(recordTypeName(6), "SharePointFileOperation");
  EXPECT_EQ(recordTypeName(5), "");  // 5 is not in the schema's table
  EXPECT_GT(recordTypeNames().size(), 250u);
  EXPECT_EQ(userTypeNumber("dcadmin"), 3);
  EXPECT_EQ(userTypeNumber("Guest"), 10);
  EXPECT_EQ(userTypeName(6), "ServicePrincipal");
}

}  // namespace
}  // namespace o365fwd
