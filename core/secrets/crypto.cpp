#include "core/secrets/crypto.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

namespace o365fwd::crypto {
namespace {

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

Result<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::permanent(ErrorKind::kConfig, "cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string pemOfPublicKey(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

bool configurePss(EVP_PKEY_CTX* pctx, SignatureAlg alg) {
  if (alg != SignatureAlg::kPs256) return true;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0;
}

}  // namespace

std::string sha1(std::string_view data) {
  return digest(EVP_sha1(), data);
}
std::string sha256(std::string_view data) {
  return digest(EVP_sha256(), data);
}

std::string base64Encode(std::string_view data) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(data[i]) << 16) |
                 (static_cast<unsigned char>(data[i + 1]) << 8) |
                 static_cast<unsigned char>(data[i + 2]);
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += kTable[v & 63];
  }
  if (i < data.size()) {
    unsigned v = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) v |= static_cast<unsigned char>(data[i + 1]) << 8;
    out += kTable[(v >> 18) & 63];
    out += kTable[(v >> 12) & 63];
    out += i + 1 < data.size() ? kTable[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64UrlEncode(std::string_view data) {
  std::string s = base64Encode(data);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  return s;
}

Result<std::string> base64UrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-' || c == '+')
      v = 62;
    else if (c == '_' || c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return Error::permanent(ErrorKind::kCorrupt, "invalid base64 character");
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

Result<Certificate> Certificate::fromPemFile(const std::string& path) {
  auto pem = readFile(path);
  if (!pem.ok()) return pem.error();
  auto cert = fromPem(*pem);
  if (!cert.ok()) return Error::permanent(ErrorKind::kConfig, path + ": " + cert.error().message);
  return cert;
}

Result<Certificate> Certificate::fromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<X509, X509Deleter> x509(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!x509)
    return Error::permanent(ErrorKind::kConfig,
                            "not a PEM certificate (expected -----BEGIN CERTIFICATE-----)");
  Certificate cert;
  unsigned char* der = nullptr;
  int len = i2d_X509(x509.get(), &der);
  if (len <= 0) return Error::permanent(ErrorKind::kConfig, "certificate cannot be encoded as DER");
  cert.der_.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  EVP_PKEY* pub = X509_get0_pubkey(x509.get());
  if (pub) cert.public_key_pem_ = pemOfPublicKey(pub);
  const ASN1_TIME* not_after = X509_get0_notAfter(x509.get());
  struct tm tm {};
  if (not_after && ASN1_TIME_to_tm(not_after, &tm) == 1)
    cert.not_after_ = static_cast<long long>(timegm(&tm));
  return cert;
}

struct PrivateKey::Impl {
  PkeyPtr key;
};

Result<PrivateKey> PrivateKey::fromPemFile(const std::string& path) {
  auto pem = readFile(path);
  if (!pem.ok()) return pem.error();
  auto key = fromPem(Secret(std::move(*pem)));
  if (!key.ok()) return Error::permanent(ErrorKind::kConfig, path + ": " + key.error().message);
  return key;
}

Result<PrivateKey> PrivateKey::fromPem(const Secret& pem) {
  const std::string& text = pem.reveal();
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key)
    return Error::permanent(
        ErrorKind::kConfig,
        "not an unencrypted PEM private key (expected -----BEGIN PRIVATE KEY----- "
        "or -----BEGIN RSA PRIVATE KEY-----)");
  if (EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA)
    return Error::permanent(ErrorKind::kConfig,
                            "the private key is not an RSA key; Entra ID needs RSA");
  PrivateKey out;
  auto impl = std::make_shared<Impl>();
  impl->key = std::move(key);
  out.impl_ = std::move(impl);
  return out;
}

int PrivateKey::bits() const {
  return impl_ ? EVP_PKEY_bits(impl_->key.get()) : 0;
}

std::string PrivateKey::publicKeyPem() const {
  return impl_ ? pemOfPublicKey(impl_->key.get()) : "";
}

Result<std::string> PrivateKey::sign(SignatureAlg alg, std::string_view data) const {
  if (!impl_) return Error::permanent(ErrorKind::kInternal, "no private key loaded");
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, impl_->key.get()) != 1 ||
      !configurePss(pctx, alg))
    return Error::permanent(ErrorKind::kInternal, "cannot initialise RSA signing");
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1)
    return Error::permanent(ErrorKind::kInternal, "RSA signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
    return Error::permanent(ErrorKind::kInternal, "RSA signing failed");
  sig.resize(len);
  return sig;
}

bool verify(SignatureAlg alg, std::string_view public_key_pem, std::string_view data,
            std::string_view signature) {
  BioPtr bio(BIO_new_mem_buf(public_key_pem.data(), static_cast<int>(public_key_pem.size())));
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1 ||
      !configurePss(pctx, alg))
    return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

Result<GeneratedCertificate> generateSelfSigned(const std::string& common_name, int bits,
                                                int days) {
  PkeyPtr key(EVP_RSA_gen(static_cast<unsigned>(bits)));
  if (!key) return Error::permanent(ErrorKind::kInternal, "RSA key generation failed");
  std::unique_ptr<X509, X509Deleter> x509(X509_new());
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(x509.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x509.get(), name);
  if (X509_sign(x509.get(), key.get(), EVP_sha256()) == 0)
    return Error::permanent(ErrorKind::kInternal, "certificate signing failed");
  GeneratedCertificate out;
  BioPtr cbio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cbio.get(), x509.get());
  char* data = nullptr;
  long len = BIO_get_mem_data(cbio.get(), &data);
  out.certificate_pem.assign(data, static_cast<size_t>(len));
  BioPtr kbio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(kbio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  len = BIO_get_mem_data(kbio.get(), &data);
  out.private_key_pem.assign(data, static_cast<size_t>(len));
  return out;
}

}  // namespace o365fwd::crypto
