#include "sim/auth/client_assertion.h"

#include <gtest/gtest.h>

#include "core/secrets/crypto.h"
#include "tests/support/sim_process.h"

namespace o365fwd::sim {
namespace {

using o365fwd::testing::AssertionSpec;
using o365fwd::testing::makeClientAssertion;

constexpr const char* kClient = "a3e5c7d9-1b2f-4a6c-8e0d-2f4b6a8c0e12";
constexpr const char* kAud =
    "http://127.0.0.1:1234/6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14/oauth2/v2.0/token";

class ClientAssertionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto a = crypto::generateSelfSigned("app", 2048, 30);
    auto b = crypto::generateSelfSigned("other", 2048, 30);
    ASSERT_TRUE(a.ok() && b.ok());
    cert_ = new crypto::GeneratedCertificate(*a);
    other_ = new crypto::GeneratedCertificate(*b);
  }
  static void TearDownTestSuite() {
    delete cert_;
    delete other_;
  }
  static std::vector<CertKey> keys() {
    auto c = crypto::Certificate::fromPem(cert_->certificate_pem);
    return {CertKey{c->x5t(), c->x5tS256(), c->publicKeyPem()}};
  }
  static AssertionSpec spec() {
    AssertionSpec s;
    s.certificate_pem = cert_->certificate_pem;
    s.private_key_pem = cert_->private_key_pem;
    s.audience = kAud;
    s.client_id = kClient;
    s.nbf = now();
    return s;
  }
  static long long now() { return 1'736'856'000; }
  static AssertionResult check(const std::string& jwt) {
    return verifyClientAssertion(jwt, kAud, kClient, keys(), now());
  }
  static crypto::GeneratedCertificate* cert_;
  static crypto::GeneratedCertificate* other_;
};
crypto::GeneratedCertificate* ClientAssertionTest::cert_ = nullptr;
crypto::GeneratedCertificate* ClientAssertionTest::other_ = nullptr;

TEST_F(ClientAssertionTest, AcceptsRs256WithX5tAndPs256WithX5tS256) {
  auto s = spec();
  s.jti = "jti-1";
  auto r = check(makeClientAssertion(s));
  EXPECT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.jti, "jti-1");
  EXPECT_EQ(r.issuer, kClient);
  s.ps256 = true;
  r = check(makeClientAssertion(s));
  EXPECT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(assertionIssuer(makeClientAssertion(s)), kClient);
}

TEST_F(ClientAssertionTest, RefusesAnUnregisteredCertificateOrABadSignature) {
  auto s = spec();
  s.certificate_pem = other_->certificate_pem;
  s.private_key_pem = other_->private_key_pem;
  auto r = check(makeClientAssertion(s));
  EXPECT_EQ(r.error_code, 700027);
  EXPECT_NE(r.detail.find("key was not found"), std::string::npos) << r.detail;

  // Registered thumbprint, but signed with another key.
  s = spec();
  s.private_key_pem = other_->private_key_pem;
  r = check(makeClientAssertion(s));
  EXPECT_EQ(r.error_code, 700027);
  EXPECT_NE(r.detail.find("verify the signature failed"), std::string::npos) << r.detail;

  std::string jwt = makeClientAssertion(spec());
  char& c = jwt[jwt.size() - 10];  // a signature character that carries no padding bits
  c = c == 'A' ? 'B' : 'A';
  EXPECT_NE(check(jwt).error_code, 0);
}

TEST_F(ClientAssertionTest, RefusesWrongClaims) {
  auto s = spec();
  s.audience =
      "https://login.microsoftonline.com/6f1c9a52-3d7e-4b8a-9c21-5e0f7a3b9d14/oauth2/v2.0/token";
  EXPECT_EQ(check(makeClientAssertion(s)).error_code, 50027) << "aud must be the endpoint called";
  s = spec();
  s.sub_override = "someone-else";
  EXPECT_EQ(check(makeClientAssertion(s)).error_code, 50027) << "sub != iss";
  s = spec();
  s.iss_override = s.sub_override = "11111111-1111-4111-8111-111111111111";
  EXPECT_EQ(check(makeClientAssertion(s)).error_code, 50027) << "iss != client_id";
  s = spec();
  s.nbf = now() - 1200;
  s.exp = now() - 1;
  EXPECT_EQ(check(makeClientAssertion(s)).error_code, 50027) << "expired";
  s = spec();
  s.nbf = now() + 600;
  EXPECT_EQ(check(makeClientAssertion(s)).error_code, 50027) << "not yet valid";
  s = spec();
  s.nbf = now() + 200;  // within the 5 minute tolerance
  EXPECT_TRUE(check(makeClientAssertion(s)).ok());
  s = spec();
  s.exp = s.nbf + 86400 + 1;
  EXPECT_EQ(check(makeClientAssertion(s)).error_code, 50027) << "lifetime over 24 h";
}

TEST_F(ClientAssertionTest, RefusesMalformedTokens) {
  EXPECT_EQ(check("abc").error_code, 50027);
  EXPECT_EQ(check("a.b.c").error_code, 50027);
  std::string header = crypto::base64UrlEncode("{\"alg\":\"HS256\",\"x5t\":\"x\"}");
  std::string payload = crypto::base64UrlEncode("{}");
  EXPECT_EQ(check(header + "." + payload + ".c2ln").error_code, 50027) << "HS256 is not allowed";
}

}  // namespace
}  // namespace o365fwd::sim
