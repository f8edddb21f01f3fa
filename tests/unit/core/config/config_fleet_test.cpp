// Fleet configuration: shared `credentials:` referenced by tenants, and `tenants_dir` files
// merged with `tenants:` (duplicates across files, broken files left out and named).
#include "core/config/config_fleet.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "core/config/config_loader.h"
#include "core/config/config_parse.h"
#include "tests/support/temp_dir.h"

namespace o365fwd {
namespace {

using o365fwd::testing::TempDir;

constexpr const char* kTenantId = "11111111-2222-3333-4444-555555555555";
constexpr const char* kClientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

std::string mainWith(const std::string& extra) {
  return std::string(
             "credentials:\n"
             "  - name: mssp-app\n"
             "    client_id: ") +
         kClientId +
         "\n"
         "    client_secret_file: secrets/mssp.secret\n"
         "state_dir: /var/lib/o365fwd\n"
         "sinks:\n"
         "  - type: file\n"
         "    path: /var/lib/o365fwd/out/audit.ndjson\n" +
         extra;
}

std::string tenant(const std::string& name, const std::string& extra = "") {
  return "  - name: " + name + "\n    tenant_id: " + kTenantId + "\n    credential: mssp-app\n" +
         extra;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), 0640);
}

std::vector<std::string> names(const Config& c) {
  std::vector<std::string> out;
  for (const TenantConfig& t : c.tenants) out.push_back(t.name);
  return out;
}

std::string errorsOf(const LoadedConfig& c) {
  std::string out;
  for (const ConfigIssue& i : c.issues)
    if (!i.warning) out += i.describe() + "\n";
  return out;
}

TEST(ConfigFleet, SharedCredentialIsCopiedIntoEachTenant) {
  LoadedConfig c = loadConfigString(mainWith("tenants:\n" + tenant("contoso") + tenant("fabrikam")),
                                    "/etc/o365fwd/c.yaml");
  ASSERT_TRUE(c.valid()) << errorsOf(c);
  ASSERT_EQ(c.config.tenants.size(), 2u);
  for (const TenantConfig& t : c.config.tenants) {
    EXPECT_EQ(t.credential, "mssp-app");
    EXPECT_EQ(t.client_id, kClientId);
    ASSERT_TRUE(t.client_secret_file);
    EXPECT_EQ(*t.client_secret_file, "/etc/o365fwd/secrets/mssp.secret");
  }
}

TEST(ConfigFleet, UnknownCredentialNamesTenantAndName) {
  LoadedConfig c = loadConfigString(mainWith("tenants:\n  - name: contoso\n    tenant_id: " +
                                             std::string(kTenantId) + "\n    credential: nope\n"),
                                    "/etc/o365fwd/c.yaml");
  EXPECT_FALSE(c.valid());
  std::string errors = errorsOf(c);
  EXPECT_NE(errors.find("tenant `contoso` refers to credential `nope`"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("defined: mssp-app"), std::string::npos) << errors;
  EXPECT_EQ(errors.find("no credential"), std::string::npos) << "one error, not two: " << errors;
}

TEST(ConfigFleet, CredentialAndOwnSecretAreExclusive) {
  LoadedConfig c = loadConfigString(
      mainWith("tenants:\n" + tenant("contoso", "    client_secret_env: X_SECRET\n")),
      "/etc/o365fwd/c.yaml");
  EXPECT_FALSE(c.valid());
  EXPECT_NE(errorsOf(c).find("has both `credential: mssp-app` and its own secret"),
            std::string::npos)
      << errorsOf(c);
}

TEST(ConfigFleet, CredentialEntriesAreChecked) {
  LoadedConfig c = loadConfigString(
      "credentials:\n  - name: Bad Name\n    client_id: nope\n"
      "tenants:\n" +
          tenant("contoso") + "state_dir: /x\n",
      "/etc/o365fwd/c.yaml");
  std::string errors = errorsOf(c);
  EXPECT_NE(errors.find("credentials[0].name"), std::string::npos) << errors;
  EXPECT_NE(errors.find("credentials[0].client_id"), std::string::npos) << errors;
  EXPECT_NE(errors.find("credentials[0]: no credential"), std::string::npos) << errors;
}

TEST(ConfigFleet, SecretValueNeverInMessages) {
  LoadedConfig c = loadConfigString(
      "credentials:\n  - name: app\n    client_secret: Sup3rS3cretValue!\n"
      "    client_secret_env: ALSO\n"
      "tenants:\n  - name: contoso\n    tenant_id: " +
          std::string(kTenantId) + "\n    credential: app\n    client_secret_file: /x\n",
      "/etc/o365fwd/c.yaml");
  for (const ConfigIssue& i : c.issues)
    EXPECT_EQ(i.describe().find("Sup3rS3cretValue"), std::string::npos) << i.describe();
}

TEST(ConfigFleet, TenantsDirFilesMergeWithTenants) {
  TempDir dir("fleet-config");
  std::filesystem::create_directory(dir.path() / "tenants.d");
  write(dir.file("tenants.d/a.yaml"), "tenants:\n" + tenant("alpha") + tenant("beta"));
  write(dir.file("tenants.d/b.yaml"), tenant("gamma"));  // a bare list
  write(dir.file("tenants.d/c.yaml"),
        std::string("name: delta\ntenant_id: ") + kTenantId + "\ncredential: mssp-app\n");
  write(dir.file("tenants.d/ignored.txt"), "not yaml");
  write(dir.file("connector.yaml"),
        mainWith("tenants_dir: tenants.d\ntenants:\n" + tenant("main")));
  LoadedConfig c = loadConfigFile(dir.file("connector.yaml"));
  ASSERT_TRUE(c.valid()) << errorsOf(c);
  EXPECT_EQ(names(c.config), (std::vector<std::string>{"main", "alpha", "beta", "gamma", "delta"}));
  EXPECT_EQ(c.config.tenants[1].source_file, dir.file("tenants.d/a.yaml"));
  EXPECT_TRUE(c.config.tenants[0].source_file.empty());
  ASSERT_EQ(c.tenant_files.size(), 3u);
  EXPECT_EQ(c.tenant_files[0].tenants, 2);
}

TEST(ConfigFleet, GlobSelectsFiles) {
  TempDir dir("fleet-config");
  std::filesystem::create_directory(dir.path() / "t");
  write(dir.file("t/a.yaml"), tenant("alpha"));
  write(dir.file("t/b.yml"), tenant("beta"));
  write(dir.file("connector.yaml"), mainWith("tenants_dir: " + dir.file("t") + "/*.yaml\n"));
  LoadedConfig c = loadConfigFile(dir.file("connector.yaml"));
  ASSERT_TRUE(c.valid()) << errorsOf(c);
  EXPECT_EQ(names(c.config), (std::vector<std::string>{"alpha"}));
}

TEST(ConfigFleet, DuplicateAcrossFilesNamesBothFiles) {
  TempDir dir("fleet-config");
  std::filesystem::create_directory(dir.path() / "t");
  write(dir.file("t/a.yaml"), tenant("alpha"));
  write(dir.file("t/b.yaml"), tenant("beta") + tenant("alpha"));
  write(dir.file("connector.yaml"), mainWith("tenants_dir: t\n"));
  LoadedConfig c = loadConfigFile(dir.file("connector.yaml"));
  EXPECT_FALSE(c.valid());
  EXPECT_TRUE(c.validExceptTenantFiles());
  EXPECT_EQ(c.brokenTenantFiles(), (std::vector<std::string>{dir.file("t/b.yaml")}));
  std::string errors = errorsOf(c);
  EXPECT_NE(errors.find(dir.file("t/b.yaml") + ":"), std::string::npos) << errors;
  EXPECT_NE(errors.find("already defined in " + dir.file("t/a.yaml")), std::string::npos) << errors;
  // The broken file's tenants are left out, beta included.
  EXPECT_EQ(names(c.config), (std::vector<std::string>{"alpha"}));
}

TEST(ConfigFleet, BrokenFileIsLeftOutAndNamedOthersApply) {
  TempDir dir("fleet-config");
  std::filesystem::create_directory(dir.path() / "t");
  write(dir.file("t/a.yaml"), tenant("alpha"));
  write(dir.file("t/b.yaml"),
        "- name: beta\n  tenant_id: nope\n  credential: mssp-app\n  colud: gcc\n");
  write(dir.file("t/c.yaml"), "- name: [unclosed\n");
  write(dir.file("t/d.yaml"), tenant("delta"));
  write(dir.file("connector.yaml"), mainWith("tenants_dir: t\n"));
  LoadedConfig c = loadConfigFile(dir.file("connector.yaml"));
  EXPECT_FALSE(c.valid());
  EXPECT_TRUE(c.validExceptTenantFiles());
  EXPECT_EQ(names(c.config), (std::vector<std::string>{"alpha", "delta"}));
  EXPECT_EQ(c.brokenTenantFiles(),
            (std::vector<std::string>{dir.file("t/b.yaml"), dir.file("t/c.yaml")}));
  std::string errors = errorsOf(c);
  EXPECT_NE(errors.find(dir.file("t/b.yaml") + ":2: tenants[0].tenant_id"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("tenants[0].colud: unknown key"), std::string::npos) << errors;
  EXPECT_NE(errors.find(dir.file("t/c.yaml") + ":"), std::string::npos) << errors;
  EXPECT_NE(errors.find("YAML syntax error"), std::string::npos) << errors;
}

TEST(ConfigFleet, MissingDirectoryIsAMainFileError) {
  LoadedConfig c =
      loadConfigString(mainWith("tenants_dir: /nonexistent/tenants.d\n"), "/etc/o365fwd/c.yaml");
  EXPECT_FALSE(c.validExceptTenantFiles());
  EXPECT_NE(errorsOf(c).find("tenants_dir"), std::string::npos);
}

TEST(ConfigFleet, EmptyDirectoryAndNoTenantsIsAnError) {
  TempDir dir("fleet-config");
  std::filesystem::create_directory(dir.path() / "t");
  write(dir.file("connector.yaml"), mainWith("tenants_dir: t\n"));
  LoadedConfig c = loadConfigFile(dir.file("connector.yaml"));
  EXPECT_FALSE(c.valid());
  EXPECT_NE(errorsOf(c).find("no tenant configured"), std::string::npos) << errorsOf(c);
}

TEST(ConfigFleet, TenantFileRelativePathsResolveAgainstItsDirectory) {
  TempDir dir("fleet-config");
  std::filesystem::create_directory(dir.path() / "t");
  write(dir.file("t/a.yaml"), std::string("- name: alpha\n  tenant_id: ") + kTenantId +
                                  "\n  client_id: " + kClientId +
                                  "\n  client_secret_file: alpha.secret\n");
  write(dir.file("connector.yaml"), mainWith("tenants_dir: t\n"));
  LoadedConfig c = loadConfigFile(dir.file("connector.yaml"));
  ASSERT_TRUE(c.valid()) << errorsOf(c);
  EXPECT_EQ(*c.config.tenants[0].client_secret_file, dir.file("t/alpha.secret"));
}

TEST(ConfigFleet, GroupWritableTenantFileIsBroken) {
  TempDir dir("fleet-config");
  std::filesystem::create_directory(dir.path() / "t");
  write(dir.file("t/a.yaml"), tenant("alpha"));
  ::chmod(dir.file("t/a.yaml").c_str(), 0660);
  write(dir.file("t/b.yaml"), tenant("beta"));
  write(dir.file("connector.yaml"), mainWith("tenants_dir: t\n"));
  LoadedConfig c = loadConfigFile(dir.file("connector.yaml"));
  EXPECT_EQ(names(c.config), (std::vector<std::string>{"beta"}));
  EXPECT_NE(errorsOf(c).find("writable by group"), std::string::npos);
}

}  // namespace
}  // namespace o365fwd

namespace o365fwd {
namespace {

// client_secret_expires (issue 13 part 3): a date per credential or per tenant secret.
TEST(SecretExpiryDate, ParsesDatesAndUtcTimesOnly) {
  using std::chrono::sys_days;
  using namespace std::chrono;
  EXPECT_EQ(parseExpiryDate("2027-05-01"), sys_days(2027y / May / 1));
  EXPECT_EQ(parseExpiryDate("2027-05-01T12:00:00Z"), sys_days(2027y / May / 1) + 12h);
  for (const char* bad : {"5/1/2027", "01.05.2027", "2027-02-30", "2027-13-01", "2027-5-1",
                          "2027-05-01T12:00:00", "2027-05-01 12:00", "tomorrow", ""})
    EXPECT_FALSE(parseExpiryDate(bad)) << bad;
}

TEST(SecretExpiryDate, CopiedFromTheSharedCredentialIntoEachTenant) {
  std::string yaml = mainWith("tenants:\n" + tenant("contoso") + tenant("fabrikam"));
  yaml.replace(yaml.find("    client_secret_file"), 0, "    client_secret_expires: 2027-05-01\n");
  LoadedConfig c = loadConfigString(yaml, "/etc/o365fwd/c.yaml");
  ASSERT_TRUE(c.valid()) << errorsOf(c);
  using namespace std::chrono;
  ASSERT_TRUE(c.config.credentials[0].client_secret_expires);
  for (const TenantConfig& t : c.config.tenants)
    EXPECT_EQ(t.client_secret_expires, sys_days(2027y / May / 1)) << t.name;
}

TEST(SecretExpiryDate, MalformedDateNamesTheKeyAndTheFormat) {
  std::string yaml = mainWith("tenants:\n" + tenant("contoso"));
  yaml.replace(yaml.find("    client_secret_file"), 0, "    client_secret_expires: 5/1/2027\n");
  LoadedConfig c = loadConfigString(yaml, "/etc/o365fwd/c.yaml");
  EXPECT_FALSE(c.valid());
  const std::string errors = errorsOf(c);
  EXPECT_NE(errors.find("credentials[0].client_secret_expires"), std::string::npos) << errors;
  EXPECT_NE(errors.find("\"5/1/2027\" is not a date"), std::string::npos) << errors;
  EXPECT_NE(errors.find("YYYY-MM-DD"), std::string::npos) << errors;
  EXPECT_NE(errors.find("Certificates & secrets"), std::string::npos) << errors;
}

TEST(SecretExpiryDate, BelongsToTheCredentialNotToATenantUsingIt) {
  LoadedConfig c = loadConfigString(
      mainWith("tenants:\n" + tenant("contoso", "    client_secret_expires: 2027-05-01\n")),
      "/etc/o365fwd/c.yaml");
  EXPECT_FALSE(c.valid());
  EXPECT_NE(errorsOf(c).find("set client_secret_expires there"), std::string::npos)
      << errorsOf(c);
}

TEST(SecretExpiryDate, RejectedBesideACertificate) {
  LoadedConfig c = loadConfigString(
      std::string("state_dir: /var/lib/o365fwd\nsinks:\n  - type: file\n    path: /tmp/x\n"
                  "tenants:\n  - name: contoso\n    tenant_id: ") +
          kTenantId + "\n    client_id: " + kClientId +
          "\n    certificate_file: /etc/o365fwd/c.pem\n    private_key_file: /etc/o365fwd/c.key\n"
          "    client_secret_expires: 2027-05-01\n",
      "/etc/o365fwd/c.yaml");
  EXPECT_FALSE(c.valid());
  EXPECT_NE(errorsOf(c).find("read from the certificate itself"), std::string::npos)
      << errorsOf(c);
}

}  // namespace
}  // namespace o365fwd
