#pragma once
// The project's only door to OpenSSL's libcrypto: hashes, base64url, PEM loading, RSA signatures.
// Used to build certificate client assertions (connector) and to check them (simulator).
// All functions are thread-safe. Key material is held in opaque handles.
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/secrets/secret.h"

namespace o365fwd::crypto {

std::string sha1(std::string_view data);             // raw 20 bytes
std::string sha256(std::string_view data);           // raw 32 bytes
std::string base64UrlEncode(std::string_view data);  // no padding
std::string base64Encode(std::string_view data);     // standard, padded
// Accepts padded or unpadded base64url (and standard base64).
Result<std::string> base64UrlDecode(std::string_view text);

// An X.509 certificate read from PEM.
class Certificate {
 public:
  static Result<Certificate> fromPemFile(const std::string& path);
  static Result<Certificate> fromPem(std::string_view pem);
  const std::string& der() const { return der_; }
  // base64url(SHA-1(DER)) and base64url(SHA-256(DER)): the JWT x5t and x5t#S256 headers.
  std::string x5t() const { return base64UrlEncode(sha1(der_)); }
  std::string x5tS256() const { return base64UrlEncode(sha256(der_)); }
  // Seconds since the epoch of notAfter, for expiry warnings.
  long long notAfterEpoch() const { return not_after_; }
  std::string publicKeyPem() const { return public_key_pem_; }

 private:
  std::string der_;
  std::string public_key_pem_;
  long long not_after_ = 0;
};

enum class SignatureAlg { kRs256, kPs256 };

// An RSA private key read from PEM (PKCS#1 or PKCS#8, unencrypted).
class PrivateKey {
 public:
  static Result<PrivateKey> fromPemFile(const std::string& path);
  static Result<PrivateKey> fromPem(const Secret& pem);
  Result<std::string> sign(SignatureAlg alg, std::string_view data) const;  // raw signature bytes
  int bits() const;
  // The matching public key in PEM (SubjectPublicKeyInfo), to compare with a certificate.
  std::string publicKeyPem() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// Verifies an RSA signature with a public key in PEM form.
bool verify(SignatureAlg alg, std::string_view public_key_pem, std::string_view data,
            std::string_view signature);

// Generates a self-signed RSA certificate and key (for tests and the simulator's demo mode).
struct GeneratedCertificate {
  std::string certificate_pem;
  std::string private_key_pem;
};
Result<GeneratedCertificate> generateSelfSigned(const std::string& common_name, int bits, int days);

}  // namespace o365fwd::crypto
