#include "core/secrets/crypto.h"

#include <gtest/gtest.h>

namespace o365fwd::crypto {
namespace {

// One 2048-bit key pair for the whole suite: generation is the slow part.
const GeneratedCertificate& testCertificate() {
  static const GeneratedCertificate cert = [] {
    auto generated = generateSelfSigned("o365fwd-test", 2048, 30);
    EXPECT_TRUE(generated.ok());
    return generated.ok() ? *generated : GeneratedCertificate{};
  }();
  return cert;
}

TEST(Crypto, Base64KnownVectors) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64Encode("\xfb\xff"), "+/8=");
}

TEST(Crypto, Base64UrlRoundTripsEveryLengthAndByte) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    auto decoded = base64UrlDecode(base64UrlEncode(data));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(*decoded, data) << "length " << i;
    auto padded = base64UrlDecode(base64Encode(data));  // standard, padded form is accepted too
    ASSERT_TRUE(padded.ok());
    EXPECT_EQ(*padded, data);
    data.push_back(static_cast<char>(i * 37 + 11));
  }
  EXPECT_FALSE(base64UrlDecode("ab$d").ok());
}

TEST(Crypto, Digests) {
  EXPECT_EQ(base64Encode(sha256("")), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(base64Encode(sha1("abc")), "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
  EXPECT_EQ(sha1("x").size(), 20u);
  EXPECT_EQ(sha256("x").size(), 32u);
}

TEST(Crypto, GeneratedCertificateAndKeyMatch) {
  const GeneratedCertificate& g = testCertificate();
  auto cert = Certificate::fromPem(g.certificate_pem);
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  auto key = PrivateKey::fromPem(Secret(g.private_key_pem));
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(key->bits(), 2048);
  EXPECT_EQ(key->publicKeyPem(), cert->publicKeyPem());
  EXPECT_EQ(cert->x5t().size(), 27u);      // base64url of 20 bytes, unpadded
  EXPECT_EQ(cert->x5tS256().size(), 43u);  // base64url of 32 bytes, unpadded
  EXPECT_EQ(*base64UrlDecode(cert->x5t()), sha1(cert->der()));
  EXPECT_GT(cert->notAfterEpoch(), 1'700'000'000);
}

TEST(Crypto, SignsAndVerifiesRs256AndPs256) {
  const GeneratedCertificate& g = testCertificate();
  auto key = PrivateKey::fromPem(Secret(g.private_key_pem));
  ASSERT_TRUE(key.ok());
  auto cert = Certificate::fromPem(g.certificate_pem);
  ASSERT_TRUE(cert.ok());
  const std::string data = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0";
  for (SignatureAlg alg : {SignatureAlg::kRs256, SignatureAlg::kPs256}) {
    auto sig = key->sign(alg, data);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(sig->size(), 256u);
    EXPECT_TRUE(verify(alg, cert->publicKeyPem(), data, *sig));
    EXPECT_FALSE(verify(alg, cert->publicKeyPem(), data + "x", *sig));
    std::string tampered = *sig;
    tampered[10] = static_cast<char>(tampered[10] ^ 1);
    EXPECT_FALSE(verify(alg, cert->publicKeyPem(), data, tampered));
  }
  // RS256 is deterministic; PS256 is salted.
  EXPECT_EQ(*key->sign(SignatureAlg::kRs256, data), *key->sign(SignatureAlg::kRs256, data));
  EXPECT_NE(*key->sign(SignatureAlg::kPs256, data), *key->sign(SignatureAlg::kPs256, data));
  // A signature of one algorithm does not verify as the other.
  EXPECT_FALSE(verify(SignatureAlg::kPs256, cert->publicKeyPem(), data,
                      *key->sign(SignatureAlg::kRs256, data)));
}

TEST(Crypto, RejectsWhatIsNotPem) {
  EXPECT_FALSE(Certificate::fromPem("hello").ok());
  EXPECT_FALSE(PrivateKey::fromPem(Secret("-----BEGIN PRIVATE KEY-----\nAAAA\n")).ok());
  EXPECT_FALSE(PrivateKey::fromPem(Secret(testCertificate().certificate_pem)).ok());
  EXPECT_FALSE(verify(SignatureAlg::kRs256, "not a key", "data", "sig"));
  EXPECT_FALSE(Certificate::fromPemFile("/nonexistent/cert.pem").ok());
}

}  // namespace
}  // namespace o365fwd::crypto
