#include "core/secrets/secret_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/secrets/sensitive_values.h"
#include "core/time_format.h"

namespace o365fwd {
namespace {

constexpr size_t kMaxSecretBytes = 64 * 1024;
constexpr size_t kMaxPemBytes = 1024 * 1024;
constexpr long long kExpiryWarningSeconds = 30LL * 86400;
constexpr long long kExpiryCriticalSeconds = 7LL * 86400;

Error configError(std::string message) {
  return Error::permanent(ErrorKind::kConfig, std::move(message));
}

struct FileContent {
  std::string data;
  mode_t mode = 0;
};

// Reads a small regular file through one descriptor; checks type, size and write permissions on
// that descriptor. `what` names the file in messages ("client secret file").
Result<FileContent> readCheckedFile(const std::string& path, const std::string& what,
                                    size_t max_bytes, bool follow_links) {
  std::string name = what + " " + path;
  int flags = O_RDONLY | O_CLOEXEC | (follow_links ? 0 : O_NOFOLLOW);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    int err = errno;
    switch (err) {
      case ENOENT:
        return configError(name +
                           " does not exist; create it (chown root:o365fwd, chmod 0640) "
                           "or correct the path in the configuration");
      case EACCES:
        return configError(name +
                           " cannot be read by this user (permission denied); run as "
                           "root or the service user, with the file chown root:o365fwd "
                           "and chmod 0640");
      case ELOOP:
        return configError(name +
                           " is a symbolic link; secret files are opened without "
                           "following links, so name the file itself");
      default:
        return Error::permanent(ErrorKind::kIo, "cannot open " + name + ": " + std::strerror(err));
    }
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return Error::permanent(ErrorKind::kIo, "cannot stat " + name + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return configError(name + " is not a regular file; name the file itself");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return configError(name +
                       " is writable by group or others, so they could replace it; "
                       "chmod 0640 " +
                       path);
  if (static_cast<size_t>(st.st_size) > max_bytes)
    return configError(name + " is larger than " + std::to_string(max_bytes / 1024) +
                       " KiB; it should hold only the credential");
  FileContent out;
  out.mode = st.st_mode;
  out.data.reserve(static_cast<size_t>(st.st_size));
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Error::permanent(ErrorKind::kIo, "cannot read " + name + ": " + std::strerror(errno));
    if (n == 0) break;
    out.data.append(buf, static_cast<size_t>(n));
    if (out.data.size() > max_bytes)
      return configError(name + " is larger than " + std::to_string(max_bytes / 1024) +
                         " KiB; it should hold only the credential");
  }
  ::explicit_bzero(buf, sizeof buf);
  return out;
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Applies the client secret rules to `text` (already without a file's line terminator).
// `name` describes the source in messages. Returns the warnings.
Result<std::vector<std::string>> checkSecretText(const std::string& text, const std::string& name) {
  if (text.empty())
    return configError(name +
                       " is empty; put the secret's Value (Certificates & secrets in the "
                       "app registration) there");
  if (isSpace(text.front()))
    return configError(name + " has leading whitespace — a common copy-paste fault; remove it");
  if (isSpace(text.back()))
    return configError(name + " has trailing whitespace — a common copy-paste fault; remove it");
  for (char c : text) {
    if (c == '\n' || c == '\r')
      return configError(name + " holds more than one line; a client secret is a single line");
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return configError(name + " holds control characters; a client secret is printable text");
  }
  std::vector<std::string> warnings;
  if (isGuid(text))
    warnings.push_back(name +
                       " looks like a client secret ID, not the secret value "
                       "(AADSTS7000215 follows); copy the Value column");
  return warnings;
}

// Removes one line terminator that ends a file: "\n" or "\r\n".
void stripLineTerminator(std::string& text) {
  size_t cut = 0;
  if (text.size() >= 2 && text.compare(text.size() - 2, 2, "\r\n") == 0)
    cut = 2;
  else if (!text.empty() && text.back() == '\n')
    cut = 1;
  for (size_t i = text.size() - cut; i < text.size(); ++i) text[i] = '\0';
  text.resize(text.size() - cut);
}

Result<LoadedSecret> fromFile(const std::string& path, const std::string& what,
                              const std::string& source) {
  auto file = readCheckedFile(path, what, kMaxSecretBytes, /*follow_links=*/false);
  if (!file.ok()) return file.error();
  stripLineTerminator(file->data);
  Secret value(std::move(file->data));
  registerSensitive(value.reveal(), SensitiveKind::kSecret);  // masked by value in every output
  auto warnings = checkSecretText(value.reveal(), what + " " + path);
  if (!warnings.ok()) return warnings.error();
  LoadedSecret out{std::move(value), source, std::move(*warnings)};
  if (file->mode & S_IROTH)
    out.warnings.push_back(what + " " + path + " is readable by every user; chmod 0640 " + path +
                           " (and chown root:o365fwd)");
  return out;
}

std::string utcText(long long epoch) {
  return formatApiTime(WallTime(std::chrono::seconds(epoch))) + "Z";
}

}  // namespace

std::optional<std::string> SecretEnvironment::systemGetenv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value) return std::nullopt;
  return std::string(value);
}

Result<LoadedSecret> readSecretFile(const std::string& path, const std::string& what) {
  return fromFile(path, what, "file " + path);
}

Result<LoadedSecret> loadClientSecret(const TenantConfig& tenant, const SecretEnvironment& env) {
  if (tenant.client_secret_file)
    return readSecretFile(*tenant.client_secret_file, "client secret file");
  if (tenant.client_secret_env) {
    const std::string& var = *tenant.client_secret_env;
    std::optional<std::string> raw = env.getenv ? env.getenv(var) : std::nullopt;
    if (!raw)
      return configError("environment variable " + var +
                         " (client_secret_env) is not set; set it "
                         "for the service (Environment= or EnvironmentFile= in the unit), or use "
                         "client_secret_file");
    Secret value(std::move(*raw));
    registerSensitive(value.reveal(), SensitiveKind::kSecret);
    auto warnings = checkSecretText(value.reveal(), "environment variable " + var);
    if (!warnings.ok()) return warnings.error();
    return LoadedSecret{std::move(value), "environment " + var, std::move(*warnings)};
  }
  if (tenant.client_secret_credential) {
    const std::string& name = *tenant.client_secret_credential;
    std::optional<std::string> dir =
        env.getenv ? env.getenv("CREDENTIALS_DIRECTORY") : std::nullopt;
    if (!dir || dir->empty())
      return configError("client_secret_credential " + name +
                         " needs $CREDENTIALS_DIRECTORY, which systemd "
                         "(247 or later) sets for a service whose unit has LoadCredential=" +
                         name + ":/etc/o365fwd/" + name +
                         "; run under that unit (systemd-run -p LoadCredential=... "
                         "for a manual test) or use client_secret_file");
    return fromFile(*dir + "/" + name, "systemd credential", "systemd credential " + name);
  }
  if (tenant.client_secret) {
    registerSensitive(tenant.client_secret->reveal(), SensitiveKind::kSecret);
    auto warnings = checkSecretText(tenant.client_secret->reveal(), "the inline client_secret");
    if (!warnings.ok()) return warnings.error();
    return LoadedSecret{*tenant.client_secret, "inline", std::move(*warnings)};
  }
  if (tenant.certificate_file)
    return configError("tenant " + tenant.name + " uses a certificate, not a client secret");
  return configError("tenant " + tenant.name +
                     " has no credential; set client_secret_file, "
                     "client_secret_env, client_secret_credential or certificate_file + "
                     "private_key_file");
}

Result<LoadedCertificate> loadCertificate(const TenantConfig& tenant, WallTime now) {
  if (!tenant.certificate_file || !tenant.private_key_file)
    return configError("tenant " + tenant.name +
                       " needs both certificate_file and "
                       "private_key_file for a certificate credential");
  const std::string& cert_path = *tenant.certificate_file;
  const std::string& key_path = *tenant.private_key_file;
  auto cert_file = readCheckedFile(cert_path, "certificate file", kMaxPemBytes, true);
  if (!cert_file.ok()) return cert_file.error();
  auto cert = crypto::Certificate::fromPem(cert_file->data);
  if (!cert.ok()) return configError("certificate file " + cert_path + ": " + cert.error().message);
  auto key_file = readCheckedFile(key_path, "private key file", kMaxPemBytes, false);
  if (!key_file.ok()) return key_file.error();
  mode_t key_mode = key_file->mode;
  auto key = crypto::PrivateKey::fromPem(Secret(std::move(key_file->data)));
  if (!key.ok()) return configError("private key file " + key_path + ": " + key.error().message);

  LoadedCertificate out{
      std::move(*cert), std::move(*key), "certificate " + cert_path + ", key " + key_path, {}};
  if (out.key.publicKeyPem() != out.certificate.publicKeyPem())
    return configError("private key file " + key_path + " does not belong to certificate " +
                       cert_path +
                       " (their public keys differ); use the key created together "
                       "with this certificate");
  if (out.key.bits() < 2048)
    return configError("private key file " + key_path + " holds a " +
                       std::to_string(out.key.bits()) +
                       "-bit RSA key; Entra ID needs at least "
                       "2048 bits: create a new certificate (openssl req -x509 -newkey rsa:3072 "
                       "...) and upload it");
  long long now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  long long not_after = out.certificate.notAfterEpoch();
  if (not_after <= now_s)
    return configError("certificate " + cert_path + " expired on " + utcText(not_after) +
                       "; create a new one and upload it to the app registration (Certificates "
                       "& secrets)");
  if (not_after - now_s <= kExpiryWarningSeconds)
    out.warnings.push_back(
        "certificate " + cert_path + " expires on " + utcText(not_after) + " (in " +
        std::to_string((not_after - now_s) / 86400) + " days); " +
        (not_after - now_s <= kExpiryCriticalSeconds ? "collection stops then: renew it now, "
                                                     : "renew it, ") +
        "upload the new one to the app registration (Certificates & secrets), point "
        "certificate_file and private_key_file at it and `systemctl reload o365fwd`");
  if (key_mode & S_IROTH)
    out.warnings.push_back("private key file " + key_path +
                           " is readable by every user; chmod "
                           "0640 " +
                           key_path + " (and chown root:o365fwd)");
  return out;
}

}  // namespace o365fwd
