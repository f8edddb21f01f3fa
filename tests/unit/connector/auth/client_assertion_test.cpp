#include "connector/auth/client_assertion.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/secrets/crypto.h"

namespace o365fwd {
namespace {

const std::string kClientId = "a3e5c7d9-1b2f-4a6c-8e0d-2f4b6a8c0e12";
const std::string kAudience =
    "https://login.microsoftonline.com/6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14/oauth2/v2.0/token";

class ClientAssertionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto generated = crypto::generateSelfSigned("o365fwd-test", 2048, 2);
    ASSERT_TRUE(generated.ok()) << generated.error().describe();
    generated_ = new crypto::GeneratedCertificate(*generated);
  }
  static void TearDownTestSuite() {
    delete generated_;
    generated_ = nullptr;
  }

  crypto::Certificate certificate() {
    auto c = crypto::Certificate::fromPem(generated_->certificate_pem);
    EXPECT_TRUE(c.ok());
    return *c;
  }
  crypto::PrivateKey key() {
    auto k = crypto::PrivateKey::fromPem(Secret(generated_->private_key_pem));
    EXPECT_TRUE(k.ok());
    return *k;
  }

  static crypto::GeneratedCertificate* generated_;
};

crypto::GeneratedCertificate* ClientAssertionTest::generated_ = nullptr;

std::vector<std::string> split(const std::string& jwt) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = jwt.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(jwt.substr(start, dot - start));
  parts.push_back(jwt.substr(start));
  return parts;
}

rapidjson::Document decodeJson(const std::string& part) {
  auto raw = crypto::base64UrlDecode(part);
  EXPECT_TRUE(raw.ok());
  rapidjson::Document doc;
  doc.Parse(raw->c_str());
  EXPECT_FALSE(doc.HasParseError());
  return doc;
}

TEST_F(ClientAssertionTest, SignedPs256WithThumbprintsAndClaims) {
  Random random(7);
  const WallTime now{std::chrono::seconds(1'736'856'000)};
  crypto::Certificate cert = certificate();
  auto jwt = buildClientAssertion(cert, key(), kClientId, kAudience, now, random);
  ASSERT_TRUE(jwt.ok()) << jwt.error().describe();
  auto parts = split(*jwt);
  ASSERT_EQ(parts.size(), 3u);

  auto signature = crypto::base64UrlDecode(parts[2]);
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(crypto::verify(crypto::SignatureAlg::kPs256, cert.publicKeyPem(),
                             parts[0] + "." + parts[1], *signature));
  EXPECT_FALSE(crypto::verify(crypto::SignatureAlg::kPs256, cert.publicKeyPem(),
                              parts[0] + "." + parts[1] + "x", *signature));

  auto header = decodeJson(parts[0]);
  EXPECT_STREQ(header["alg"].GetString(), "PS256");
  EXPECT_STREQ(header["typ"].GetString(), "JWT");
  EXPECT_EQ(header["x5t#S256"].GetString(), cert.x5tS256());
  EXPECT_EQ(header["x5t"].GetString(), cert.x5t());

  auto claims = decodeJson(parts[1]);
  EXPECT_EQ(claims["aud"].GetString(), kAudience);
  EXPECT_EQ(claims["iss"].GetString(), kClientId);
  EXPECT_EQ(claims["sub"].GetString(), kClientId);
  EXPECT_TRUE(isGuid(claims["jti"].GetString()));
  EXPECT_EQ(claims["nbf"].GetInt64(), 1'736'856'000);
  EXPECT_EQ(claims["iat"].GetInt64(), 1'736'856'000);
  EXPECT_EQ(claims["exp"].GetInt64(), 1'736'856'000 + 600);
}

TEST_F(ClientAssertionTest, EveryAssertionHasItsOwnJti) {
  Random random(7);
  const WallTime now{std::chrono::seconds(1'736'856'000)};
  auto a = buildClientAssertion(certificate(), key(), kClientId, kAudience, now, random);
  auto b = buildClientAssertion(certificate(), key(), kClientId, kAudience, now, random);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(decodeJson(split(*a)[1])["jti"].GetString(),
            std::string(decodeJson(split(*b)[1])["jti"].GetString()));
}

TEST_F(ClientAssertionTest, Rs256ForOlderTenants) {
  Random random(7);
  crypto::Certificate cert = certificate();
  auto jwt = buildClientAssertion(cert, key(), kClientId, kAudience, WallTime{}, random,
                                  crypto::SignatureAlg::kRs256);
  ASSERT_TRUE(jwt.ok());
  auto parts = split(*jwt);
  EXPECT_STREQ(decodeJson(parts[0])["alg"].GetString(), "RS256");
  auto signature = crypto::base64UrlDecode(parts[2]);
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(crypto::verify(crypto::SignatureAlg::kRs256, cert.publicKeyPem(),
                             parts[0] + "." + parts[1], *signature));
}

}  // namespace
}  // namespace o365fwd
