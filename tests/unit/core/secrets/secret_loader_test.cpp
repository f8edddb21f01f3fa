#include "core/secrets/secret_loader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace o365fwd {
namespace {

namespace fs = std::filesystem;

// Distinctive, so a leak into any message is easy to find.
const std::string kSecret = "Zq8~tOp.Secret_Value-42xYz";

SecretEnvironment fakeEnv(std::map<std::string, std::string> vars) {
  SecretEnvironment env;
  env.getenv = [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  return env;
}

class SecretLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/o365fwd-secret-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    ::chmod(p.c_str(), mode);
    return p.string();
  }
  TenantConfig fileTenant(const std::string& path) {
    TenantConfig t;
    t.name = "contoso";
    t.client_secret_file = path;
    return t;
  }
  // Loads and checks that the secret appears nowhere but in the value.
  Result<LoadedSecret> load(const TenantConfig& t, const SecretEnvironment& env = {}) {
    auto r = loadClientSecret(t, env);
    if (!r.ok()) {
      EXPECT_EQ(r.error().message.find(kSecret), std::string::npos) << "secret leaked";
      EXPECT_EQ(r.error().kind, ErrorKind::kConfig);
      EXPECT_FALSE(r.error().retryable);
    } else {
      EXPECT_EQ(r->source.find(kSecret), std::string::npos);
      for (const auto& w : r->warnings) EXPECT_EQ(w.find(kSecret), std::string::npos) << w;
    }
    return r;
  }
  fs::path dir_;
};

TEST_F(SecretLoader, FileWithOneLineTerminatorIsAccepted) {
  for (const char* ending : {"", "\n", "\r\n"}) {
    std::string path = write("s", kSecret + ending);
    auto r = load(fileTenant(path));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->secret.reveal(), kSecret);
    EXPECT_EQ(r->source, "file " + path);
    EXPECT_TRUE(r->warnings.empty());
  }
}

TEST_F(SecretLoader, AnyOtherWhitespaceIsRejected) {
  for (const char* content :
       {"Zq8~tOp.Secret_Value-42xYz \n", "Zq8~tOp.Secret_Value-42xYz\n\n",
        "Zq8~tOp.Secret_Value-42xYz\t", "Zq8~tOp.Secret_Value-42xYz\r\n\r\n"}) {
    auto r = load(fileTenant(write("s", content)));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(
        r.error().message.find("has trailing whitespace — a common copy-paste fault; remove it"),
        std::string::npos)
        << r.error().message;
  }
  auto leading = load(fileTenant(write("s", " " + kSecret)));
  ASSERT_FALSE(leading.ok());
  EXPECT_NE(leading.error().message.find("leading whitespace"), std::string::npos);
  auto lines = load(fileTenant(write("s", kSecret + "\nsecond\n")));
  ASSERT_FALSE(lines.ok());
  EXPECT_NE(lines.error().message.find("more than one line"), std::string::npos);
}

TEST_F(SecretLoader, EmptyFileIsAnError) {
  for (const char* content : {"", "\n"}) {
    auto r = load(fileTenant(write("s", content)));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("is empty"), std::string::npos) << r.error().message;
  }
}

TEST_F(SecretLoader, MissingFileNamesPathAndFix) {
  std::string path = (dir_ / "absent.secret").string();
  auto r = load(fileTenant(path));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "client secret file " + path +
                                   " does not exist; create it (chown root:o365fwd, chmod 0640) "
                                   "or correct the path in the configuration");
}

TEST_F(SecretLoader, UnreadableFileIsAnError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads files regardless of their mode";
  auto r = load(fileTenant(write("s", kSecret, 0000)));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("permission denied"), std::string::npos);
}

TEST_F(SecretLoader, SymlinkIsNotFollowed) {
  std::string target = write("real", kSecret);
  fs::create_symlink(target, dir_ / "link");
  auto r = load(fileTenant((dir_ / "link").string()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("is a symbolic link"), std::string::npos);
}

TEST_F(SecretLoader, DirectoryIsNotASecretFile) {
  fs::create_directory(dir_ / "d");
  auto r = load(fileTenant((dir_ / "d").string()));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a regular file"), std::string::npos);
}

TEST_F(SecretLoader, WorldReadableIsAWarning) {
  std::string path = write("s", kSecret + "\n", 0644);
  auto r = load(fileTenant(path));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("chmod 0640 " + path), std::string::npos) << r->warnings[0];
  EXPECT_TRUE(load(fileTenant(write("s", kSecret, 0640))).value().warnings.empty());
}

TEST_F(SecretLoader, GroupOrWorldWritableIsAnError) {
  for (mode_t mode : {0620, 0602, 0666}) {
    auto r = load(fileTenant(write("s", kSecret, mode)));
    ASSERT_FALSE(r.ok()) << std::oct << mode;
    EXPECT_NE(r.error().message.find("writable by group or others"), std::string::npos);
  }
}

TEST_F(SecretLoader, OversizedFileIsAnError) {
  auto r = load(fileTenant(write("s", std::string(100 * 1024, 'a'))));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("larger than"), std::string::npos);
}

TEST_F(SecretLoader, GuidLooksLikeASecretId) {
  auto r = load(fileTenant(write("s", "0b5e2f4c-1a2b-4c3d-8e9f-001122334455\n")));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("looks like a client secret ID, not the secret value "
                                "(AADSTS7000215 follows); copy the Value column"),
            std::string::npos);
}

TEST_F(SecretLoader, EnvironmentVariable) {
  TenantConfig t;
  t.name = "contoso";
  t.client_secret_env = "O365_X";
  auto r = load(t, fakeEnv({{"O365_X", kSecret}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->secret.reveal(), kSecret);
  EXPECT_EQ(r->source, "environment O365_X");
  auto missing = load(t, fakeEnv({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("O365_X (client_secret_env) is not set"),
            std::string::npos);
  // No line terminator is allowed in a variable.
  auto newline = load(t, fakeEnv({{"O365_X", kSecret + "\n"}}));
  ASSERT_FALSE(newline.ok());
  EXPECT_NE(newline.error().message.find("trailing whitespace"), std::string::npos);
  EXPECT_FALSE(load(t, fakeEnv({{"O365_X", ""}})).ok());
}

TEST_F(SecretLoader, SystemdCredential) {
  TenantConfig t;
  t.name = "contoso";
  t.client_secret_credential = "contoso-secret";
  auto no_dir = load(t, fakeEnv({}));
  ASSERT_FALSE(no_dir.ok());
  EXPECT_NE(no_dir.error().message.find("$CREDENTIALS_DIRECTORY"), std::string::npos);
  EXPECT_NE(no_dir.error().message.find("LoadCredential=contoso-secret:"), std::string::npos);
  write("contoso-secret", kSecret, 0400);
  auto r = load(t, fakeEnv({{"CREDENTIALS_DIRECTORY", dir_.string()}}));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->secret.reveal(), kSecret);
  EXPECT_EQ(r->source, "systemd credential contoso-secret");
}

TEST_F(SecretLoader, InlineSecret) {
  TenantConfig t;
  t.name = "contoso";
  t.client_secret = Secret(kSecret);
  auto r = load(t);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->source, "inline");
  t.client_secret = Secret(kSecret + " ");
  auto spaced = load(t);
  ASSERT_FALSE(spaced.ok());
  EXPECT_NE(spaced.error().message.find("trailing whitespace"), std::string::npos);
}

TEST_F(SecretLoader, CertificateTenantHasNoClientSecret) {
  TenantConfig t;
  t.name = "contoso";
  t.certificate_file = "/x.pem";
  t.private_key_file = "/x.key";
  EXPECT_FALSE(load(t).ok());
  t.certificate_file.reset();
  t.private_key_file.reset();
  EXPECT_FALSE(load(t).ok());
}

class CertificateLoader : public SecretLoader {
 protected:
  static const crypto::GeneratedCertificate& generated(int index, int bits = 2048) {
    static std::map<std::pair<int, int>, crypto::GeneratedCertificate> cache;
    auto key = std::make_pair(index, bits);
    if (!cache.count(key)) cache[key] = *crypto::generateSelfSigned("test", bits, 365);
    return cache[key];
  }
  TenantConfig tenant(const crypto::GeneratedCertificate& cert, const std::string& key_pem,
                      mode_t key_mode = 0600) {
    TenantConfig t;
    t.name = "fabrikam";
    t.certificate_file = write("c.pem", cert.certificate_pem, 0644);
    t.private_key_file = write("c.key", key_pem, key_mode);
    return t;
  }
  WallTime notAfter(const crypto::GeneratedCertificate& g) {
    return WallTime(
        std::chrono::seconds(crypto::Certificate::fromPem(g.certificate_pem)->notAfterEpoch()));
  }
};

TEST_F(CertificateLoader, MatchingPairLoads) {
  const auto& g = generated(0);
  TenantConfig t = tenant(g, g.private_key_pem);
  auto r = loadCertificate(t, notAfter(g) - std::chrono::hours(24 * 100));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->warnings.empty());
  EXPECT_EQ(r->source, "certificate " + *t.certificate_file + ", key " + *t.private_key_file);
  EXPECT_EQ(r->certificate.x5t().size(), 27u);
  EXPECT_EQ(r->key.bits(), 2048);
}

TEST_F(CertificateLoader, KeyOfAnotherCertificateIsAnError) {
  auto r = loadCertificate(tenant(generated(0), generated(1).private_key_pem),
                           notAfter(generated(0)) - std::chrono::hours(24 * 100));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("does not belong to certificate"), std::string::npos);
}

TEST_F(CertificateLoader, SmallKeyIsAnError) {
  const auto& g = generated(2, 1024);
  auto r =
      loadCertificate(tenant(g, g.private_key_pem), notAfter(g) - std::chrono::hours(24 * 100));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("1024-bit RSA key; Entra ID needs at least 2048 bits"),
            std::string::npos);
}

TEST_F(CertificateLoader, ExpiryIsAnErrorAndNearExpiryAWarning) {
  const auto& g = generated(0);
  TenantConfig t = tenant(g, g.private_key_pem);
  auto expired = loadCertificate(t, notAfter(g) + std::chrono::hours(1));
  ASSERT_FALSE(expired.ok());
  EXPECT_NE(expired.error().message.find("expired on "), std::string::npos);
  auto soon = loadCertificate(t, notAfter(g) - std::chrono::hours(24 * 10 + 1));
  ASSERT_TRUE(soon.ok());
  ASSERT_EQ(soon->warnings.size(), 1u);
  EXPECT_NE(soon->warnings[0].find("(in 10 days)"), std::string::npos) << soon->warnings[0];
}

TEST_F(CertificateLoader, KeyFileRulesApply) {
  const auto& g = generated(0);
  WallTime now = notAfter(g) - std::chrono::hours(24 * 100);
  auto readable = loadCertificate(tenant(g, g.private_key_pem, 0644), now);
  ASSERT_TRUE(readable.ok());
  ASSERT_EQ(readable->warnings.size(), 1u);
  EXPECT_NE(readable->warnings[0].find("private key file"), std::string::npos);
  EXPECT_FALSE(loadCertificate(tenant(g, g.private_key_pem, 0666), now).ok());
  auto garbage = loadCertificate(tenant(g, "not a key"), now);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message.find("not an unencrypted PEM private key"), std::string::npos);
  // The key's PEM text never appears in a message.
  EXPECT_EQ(garbage.error().message.find("PRIVATE KEY-----\nMII"), std::string::npos);
}

}  // namespace
}  // namespace o365fwd
