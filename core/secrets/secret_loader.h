#pragma once
// Loads a tenant's credential from where the configuration says it is: a file, an environment
// variable, a systemd credential ($CREDENTIALS_DIRECTORY), inline YAML, or a certificate and its
// private key. Called at start-up, on SIGHUP and by `o365fwd validate`, from any thread (no shared
// state; the environment is read only through SecretEnvironment).
//
// Promises:
// - Secret values never appear in an Error message, a warning or a source description.
// - Files are opened with O_NOFOLLOW|O_CLOEXEC and checked on the opened descriptor (fstat):
//   group/world-writable is an error, world-readable a warning ("chmod 0640"), size is bounded.
// - A client secret read from a file may end in one "\n" or "\r\n" (a line terminator); any other
//   leading or trailing whitespace anywhere is an error, since Entra ID would reject it with an
//   unhelpful AADSTS7000215. A value shaped like a GUID draws a warning (a secret ID, not a value).
// - Every error is ErrorKind::kConfig (or kIo for an unexpected read failure), permanent, and says
//   what to do.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config/config.h"
#include "core/result.h"
#include "core/secrets/crypto.h"
#include "core/secrets/secret.h"

namespace o365fwd {

// Where environment variables come from; tests inject their own.
struct SecretEnvironment {
  std::function<std::optional<std::string>(const std::string&)> getenv = systemGetenv;
  static std::optional<std::string> systemGetenv(const std::string& name);
};

struct LoadedSecret {
  Secret secret;
  // "file /etc/o365fwd/x.secret", "environment O365_X", "systemd credential x", "inline".
  std::string source;
  std::vector<std::string> warnings;  // operator-facing, value-free
};

struct LoadedCertificate {
  crypto::Certificate certificate;
  crypto::PrivateKey key;
  std::string source;  // "certificate /etc/o365fwd/c.pem, key /etc/o365fwd/c.key"
  std::vector<std::string> warnings;
};

// The client secret of a tenant that uses client_secret_file, client_secret_env,
// client_secret_credential or client_secret. Error for a certificate tenant.
Result<LoadedSecret> loadClientSecret(const TenantConfig& tenant,
                                      const SecretEnvironment& env = {});

// The certificate credential of a tenant (certificate_file + private_key_file). Errors when the key
// does not match the certificate, the RSA key has fewer than 2048 bits, or the certificate has
// expired at `now`; warns within 30 days of expiry.
Result<LoadedCertificate> loadCertificate(const TenantConfig& tenant, WallTime now);

// A secret held in a file of its own (client secret, Kafka *_file property, health token), with
// the file rules above. `what` names it in messages ("client secret file").
Result<LoadedSecret> readSecretFile(const std::string& path, const std::string& what);

}  // namespace o365fwd
